"""The e-mail channel: one support mailbox read over IMAP, answered over SMTP.

Reading a mail: ``parse.parse`` reads any bytes into a ``ParsedMail``
without raising; ``loops`` says which mail we must never answer
automatically; ``bounces`` reads delivery reports; ``inbound.to_inbound``
is what the intake gets.  Transport: ``imap.py`` (the fetcher that turns
the mailbox into tickets), ``compose.py`` and ``smtp.py`` (replies).
"""
