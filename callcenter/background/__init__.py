"""Long work a person asks for (re-applying keyword rules, big exports), off the request and in short transactions.

A page submits a job and shows its progress; the worker service claims it
(``SKIP LOCKED`` on PostgreSQL), runs it a batch per transaction so the AMI
writer and the IVR never wait behind it, and records the result.
"""
