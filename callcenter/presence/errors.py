"""What presence refuses, and why, in words the desk can show in the agent's language."""
from __future__ import annotations


class PresenceError(ValueError):
    """A request the desk cannot carry out; ``field`` names the input at fault, ``code`` the case
    (so a page can say it in the agent's language), ``params`` the values the message names."""

    def __init__(self, message: str, field: str | None = None, code: str = "", **params: str) -> None:
        super().__init__(message)
        self.field, self.code, self.params = field, code, params


class PresenceUnavailable(PresenceError):
    """Asterisk did not carry it out (link down, refused): nothing was changed."""
