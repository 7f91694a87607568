"""What a rule's conditions see of one event: the ticket, its customer, the call or survey, the clock.

Read once per event, in the worker's transaction, and shared by every rule that event runs; the one
costly fact, a customer's recent tickets, is counted only when a condition asks, once per window.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..customers import tags as customer_tags
from ..customers.segments import Segments
from ..dispatch.calendar import BusinessCalendar
from ..models import Call, Customer, FormSubmission, Queue, Survey, Team, Ticket
from .schema import Condition

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Facts:
    values: dict[str, Any]
    ticket: Ticket | None = None
    customer: Customer | None = None
    _session: Session | None = None
    _counted: dict[tuple[int, str], int] = field(default_factory=dict)

    def get(self, condition: Condition) -> Any:
        if condition.field == "customer.recent_tickets":
            return self.recent_tickets(condition.days, condition.category)
        return self.values.get(condition.field)

    def recent_tickets(self, days: int, category: str) -> int:
        """The customer's tickets created in the last ``days`` (this one included), of ``category`` if set."""
        if self.customer is None or self._session is None:
            return 0
        key = (days, category)
        if key not in self._counted:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
            q = select(func.count(Ticket.id)).where(Ticket.customer_id == self.customer.id, Ticket.created_at >= since)
            if category:
                q = q.where(Ticket.category == category)
            self._counted[key] = int(self._session.scalar(q) or 0)
        return self._counted[key]


def ticket_of(session: Session, name: str, payload: dict[str, Any]) -> tuple[Ticket | None, Call | None,
                                                                              Survey | None]:
    """The event's ticket, and its call or survey when it is about one."""
    call = survey = None
    ticket_id = payload.get("ticket_id")
    if name == "call_ended" and isinstance(payload.get("call_id"), int):
        call = session.get(Call, payload["call_id"])
        ticket_id = call.ticket_id if call is not None else None
    if name == "survey_answered" and isinstance(payload.get("survey_id"), int):
        survey = session.get(Survey, payload["survey_id"])
        ticket_id = survey.ticket_id if survey is not None else ticket_id
    ticket = session.get(Ticket, ticket_id) if isinstance(ticket_id, int) else None
    return ticket, call, survey


def gather(session: Session, name: str, payload: dict[str, Any], segments: Segments, timezone: str,
           calendar: BusinessCalendar, now: dt.datetime) -> Facts:
    ticket, call, survey = ticket_of(session, name, payload)
    values: dict[str, Any] = {"event.fields": list(payload.get("fields") or [])}
    customer_id = ticket.customer_id if ticket is not None else (call.customer_id if call is not None else None)
    if ticket is not None:
        values |= {"ticket.category": ticket.category or "", "ticket.priority": _v(ticket.priority),
                   "ticket.status": _v(ticket.status), "ticket.channel": ticket.source or "",
                   "ticket.tags": list(ticket.tags or []), "ticket.subject": ticket.subject or "",
                   "ticket.language": ticket.language or "", "ticket.assigned": ticket.assignee_id is not None,
                   "ticket.queue": session.scalar(select(Queue.name).where(Queue.id == ticket.queue_id)) or ""
                   if ticket.queue_id else "",
                   "ticket.team": session.scalar(select(Team.name).where(Team.id == ticket.team_id)) or ""
                   if ticket.team_id else ""}
        answers = session.scalar(select(FormSubmission.data).where(FormSubmission.ticket_id == ticket.id)
                                 .order_by(FormSubmission.id.desc()).limit(1))
        for key, value in (answers or {}).items():
            values[f"form.{key}"] = value
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is not None:
        tags = customer_tags.active(session, customer.id, now)
        values |= {"customer.tags": tags, "customer.vip": _v(customer.vip_tier),
                   "customer.language": customer.language or "",
                   "customer.segments": segments.of_customer(session, customer.id, tags).names}
    else:
        values |= {"customer.tags": [], "customer.vip": "none", "customer.segments": []}
    if call is not None:
        values |= {"call.queue": call.queue_name or "", "call.talk_seconds": call.talk_seconds or 0,
                   "call.wait_seconds": call.wait_seconds or 0}
    if survey is not None:
        values["survey.score"] = survey.score
    local = now.astimezone(ZoneInfo(timezone))
    values |= {"time.weekday": WEEKDAYS[local.weekday()], "time.hour": local.hour,
               "time.open": calendar.is_open(now)}
    return Facts(values, ticket, customer, session)


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether one condition holds; a fact the event does not have holds for nothing but is_not/not_*."""
    have, want, op = facts.get(condition), condition.value, condition.op
    if op in ("at_least", "at_most"):
        if not isinstance(have, (int, float)) or isinstance(have, bool):
            return False
        return have >= want if op == "at_least" else have <= want  # type: ignore[operator]  # the schema made want a number
    if isinstance(have, list):
        if op in ("contains", "is"):
            return _norm(want) in [_norm(h) for h in have]
        if op in ("not_contains", "is_not"):
            return _norm(want) not in [_norm(h) for h in have]
        wanted = {_norm(w) for w in want} if isinstance(want, list) else {_norm(want)}
        overlap = bool(wanted & {_norm(h) for h in have})
        return overlap if op == "in" else not overlap
    if op == "is":
        return have is not None and _norm(have) == _norm(want)
    if op == "is_not":
        return have is None or _norm(have) != _norm(want)
    if op in ("in", "not_in"):
        inside = have is not None and _norm(have) in {_norm(w) for w in (want if isinstance(want, list) else [want])}
        return inside if op == "in" else not inside
    text = _norm(have) if have is not None else ""
    found = _norm(want) in text if text else False
    return found if op == "contains" else not found


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(getattr(value, "value", value)).strip().casefold()


def _v(value: Any) -> str:
    return str(getattr(value, "value", value) or "")
