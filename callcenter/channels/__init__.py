"""Every way a customer writes to us besides a call: e-mail, the web form, WeChat, SMS.

Each channel is one module that turns what its side sends into an ``Inbound``
(``base.py``) for the one ``ChannelIntake`` (``intake.py``), and sends replies
through one ``Adapter`` that the ``Delivery`` service (``delivery.py``) drives.
"""
