"""Acting on calls from the desk: click-to-call, transfers, supervisor monitoring.

Each service checks who may do what and which number may be dialled, acts
through the safe AMI ``Actions`` (``container.controls``), audits the action
and publishes its typed event; the desk and API routes only call them.
"""
