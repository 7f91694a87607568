"""Messages people read, marked once in the services and said in each reader's language by the web.

The services below the web speak English (the CLI, logs and the API's
``detail`` show it), but a person at the desk reads Chinese too.  So a
service marks its message with ``N_`` (Babel extracts it into the
catalogue) and keeps the values apart: the web translates the message,
then fills in the values (``web.messages.say``).  ``Refusal`` is the error
every service raises for something a person asked that cannot be done.
"""
from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue (``N_`` is a name Babel extracts by default); it is
    translated where it is shown, not here."""
    return message


class Refusal(ValueError):
    """A request a service will not carry out, and why.

    ``template`` is the English message (marked with ``N_``) with ``%(name)s``
    placeholders, ``params`` their values, ``field`` the input at fault and
    ``code`` a short name a client may switch on.  ``str()`` is the English text.
    """

    def __init__(self, template: str, *, field: str | None = None, code: str = "", **params: Any) -> None:
        self.template, self.field, self.code, self.params = template, field, code, params
        super().__init__(fill(template, params))


def fill(template: str, params: dict[str, Any]) -> str:
    """``template`` with its values, never failing on a missing or extra one."""
    if not params:
        return template
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template
