"""The e-mail channel: one support mailbox read over IMAP, answered over SMTP.

Transport: ``imap.py`` (the fetcher), ``smtp.py`` and ``compose.py`` (replies).
Reading a mail: ``parse.py``, ``loops.py``, ``bounces.py``, ``inbound.py``.
"""
