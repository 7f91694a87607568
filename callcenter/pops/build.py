"""A ring's pop, built once for the agent it rings: caller, customer, history on every channel, IVR choices.

The pop is data (codes, ISO times): it is stored as it is and each desk
says it in its reader's language (``web.desk.present``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import false
from sqlalchemy.orm import Session

from ..access import visibility
from ..calls.numbers import display, try_e164
from ..calls.records import ensure_call, find_call
from ..customers.history import customer_history
from ..customers.lookup import by_number
from ..events import CallRingingAgent
from ..models import Customer, Ticket, User
from ..tickets.queries import open_for_customer, open_hidden_for_customer
from .service import key_of

HISTORY = 8


def build_pop(session: Session, p: CallRingingAgent, user_id: int, region: str) -> dict[str, Any]:
    call = find_call(session, p.pbx, p.linkedid) or ensure_call(
        session, p.pbx, p.linkedid, caller_number=p.caller_number, caller_name=p.caller_name,
        queue_name=p.queue)
    number = call.caller_number or try_e164(p.caller_number, region)
    customer = session.get(Customer, call.customer_id) if call.customer_id else None
    if customer is None and number:
        # The bridge links the customer in its next batch; the pop must not wait for it.
        customer = by_number(session, number)
    history: list[dict[str, Any]] = []
    open_tickets: list[dict[str, Any]] = []
    restricted = 0
    if customer is not None:
        # The ringing agent sees subjects only of tickets they may open; the rest are a count.
        agent = session.get(User, user_id)
        history = _history(session, customer.id, call.id, agent)
        visible = visibility.ticket_clause(agent) if agent is not None else false()
        open_tickets = [{"id": t.id, "number": t.number, "subject": t.subject, "status": t.status.value}
                        for t in open_for_customer(session, customer.id, 5, visible)]
        restricted = open_hidden_for_customer(session, customer.id, visible)
    # A transferred call brings its ticket: the receiving desk opens it with the pop.
    ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
    return {
        "key": key_of(p.pbx, p.linkedid),
        "call_id": call.id,
        "ticket": None if ticket is None else {"id": ticket.id, "number": ticket.number, "subject": ticket.subject},
        "caller_number": display(number) if number else None,
        "caller_name": call.caller_name or p.caller_name,
        "customer": None if customer is None else {
            "id": customer.id, "name": customer.name, "vip_tier": customer.vip_tier.value,
            "language": customer.language, "company": customer.company},
        "history": history,
        "open_tickets": open_tickets,
        "restricted_tickets": restricted,
        "ivr": p.ivr or call.ivr or {},
        "queue": p.queue or call.queue_name,
        "wait_seconds": p.wait_seconds,
    }


def _history(session: Session, customer_id: int, call_id: int, agent: User | None) -> list[dict[str, Any]]:
    """The customer's recent contacts on every channel that the ringing agent may see, newest first."""
    if agent is None:
        return []
    contacts = customer_history(session, customer_id, agent, limit=HISTORY, except_call=call_id).contacts
    return [{"at": c.at.isoformat(), "kind": c.kind, "channel": c.channel, "direction": c.direction,
             "ticket": c.ticket_number, "call_id": c.call_id, "openable": c.call_openable, "queue": c.queue,
             "disposition": c.disposition, "subject": c.subject} for c in contacts]
