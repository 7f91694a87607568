"""ticket_status: the caller keys a ticket number and hears its status.

A number with a wrong check digit is refused at once, before any database
lookup, so a typo never reads out someone else's ticket; a valid one yields
the status only, never the subject, notes or owner.  A ticket merged into
another answers with that one's status and number (the agent pops it).
"""
from __future__ import annotations

import functools

from sqlalchemy import select

from ...calls.records import merge_call
from ...models import Ticket, TicketStatus
from ...problems.merging import current
from ...tickets.numbers import is_valid
from .. import variables as var
from ..request import Request

MAX_DIGITS = 12
AGENT_KEY = "0"
STATUS_PROMPTS = {
    TicketStatus.NEW: "ticket-status-open",
    TicketStatus.OPEN: "ticket-status-open",
    TicketStatus.PENDING: "ticket-status-pending",
    TicketStatus.RESOLVED: "ticket-status-resolved",
    TicketStatus.CLOSED: "ticket-status-closed",
}


def handle(req: Request) -> None:
    number = ask_number(req)
    if number is not None:
        with req.reading():
            found = req.db.scalar(select(Ticket).where(Ticket.number == number))
            if found is not None:
                found = current(req.db, found)
                number = found.number or number
            status = found.status if found is not None else None
        req.later.append(functools.partial(merge_call, pbx=req.pbx, linkedid=req.linkedid,
                                           ivr={"ticket_status": status.value if status else "unknown"}))
        req.agi.set(var.TICKET_NUMBER, number)
        req.agi.set(var.TICKET_STATUS, status.value if status else "unknown")
        prompt = STATUS_PROMPTS.get(status, "ticket-status-unknown") if status else "ticket-status-unknown"
        req.agi.play(req.prompt(prompt))
    wants_agent = req.agi.ask(req.prompt("ticket-status-more"), req.timeout_ms(), 1) == AGENT_KEY
    req.agi.set(var.IVR_PATH, "queue" if wants_agent else "hangup")
    if not wants_agent:
        req.agi.play("goodbye")


def ask_number(req: Request) -> str | None:
    """A ticket number with a valid check digit, or None after the retries."""
    for _ in range(max(1, req.ivr.retries)):
        typed = req.agi.ask(req.prompt("enter-ticket-number"), req.timeout_ms(), MAX_DIGITS)
        if is_valid(typed):
            return typed
        if typed:
            req.agi.play(req.prompt("ticket-number-invalid"))
    return None
