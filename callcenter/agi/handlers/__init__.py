"""The IVR's handlers, one module each, registered by the name the dialplan
uses in ``AGI(agi://host:4573/NAME)``.  Imported explicitly, never discovered."""
from __future__ import annotations

from collections.abc import Callable

from ..request import Request
from . import callback, incident, knowledge, lookup, menu, notice, queue, survey, ticket_status

Handler = Callable[[Request], None]

HANDLERS: dict[str, Handler] = {
    "lookup": lookup.handle,
    "menu": menu.handle,
    "queue": queue.handle,
    "ticket_status": ticket_status.handle,
    "callback": callback.handle,
    "survey": survey.handle,
    "knowledge": knowledge.handle,
    "incident": incident.handle,
    "notice": notice.handle,
}
