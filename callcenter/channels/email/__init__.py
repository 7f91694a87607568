"""The e-mail channel: raw RFC 5322 bytes in, an ``Inbound`` out (parsing half); IMAP and SMTP beside it.

``parse.parse`` reads any bytes into a ``ParsedMail`` without raising;
``loops`` says which mail we must never answer automatically; ``bounces``
reads delivery reports; ``inbound.to_inbound`` is what the intake gets.
"""
