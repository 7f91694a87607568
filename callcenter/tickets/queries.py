"""Finding tickets: by number, a customer's open ones, and the list filters the pages and the API share."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, not_, or_, select
from sqlalchemy.orm import Session

from .. import days
from ..models import OPEN_STATUSES, Customer, CustomerPhone, Priority, Ticket, TicketStatus
from .deadlines import SLA_STATES, sla_clause
from .numbers import is_valid

MAX_SEARCH = 100


def by_number(session: Session, number: str) -> Ticket | None:
    if not is_valid(number):
        return None
    return session.scalar(select(Ticket).where(Ticket.number == number))


def open_for_customer(session: Session, customer_id: int, limit: int = 10,
                      visible: ColumnElement[bool] | None = None) -> list[Ticket]:
    """The customer's open tickets, newest first; only those ``visible`` lets the viewer open, if given."""
    query = select(Ticket).where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES))
    if visible is not None:
        query = query.where(visible)
    return list(session.scalars(query.order_by(Ticket.created_at.desc()).limit(limit)))


def open_hidden_for_customer(session: Session, customer_id: int, visible: ColumnElement[bool]) -> int:
    """How many of the customer's open tickets the viewer may not open: counted, never listed."""
    return session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES), not_(visible))) or 0


def filters(args: Mapping[str, Any], zone: str, user_id: int | None = None) -> list[ColumnElement[bool]]:
    """Each filter the ticket list offers (page or API), as WHERE clauses.

    Values come from the query string: bad ones are ignored, never fatal.
    ``from``/``to`` are days of the centre's time zone; ``assignee=me`` needs ``user_id``.
    """
    clauses: list[ColumnElement[bool]] = []
    status = args.get("status")
    if status in {s.value for s in TicketStatus}:
        clauses.append(Ticket.status == TicketStatus(status))
    elif status == "open_all":
        clauses.append(Ticket.status.in_(OPEN_STATUSES))
    if args.get("priority") in {p.value for p in Priority}:
        clauses.append(Ticket.priority == Priority(args["priority"]))
    if str(args.get("queue", "")).isdigit():
        clauses.append(Ticket.queue_id == int(args["queue"]))
    if args.get("category"):
        clauses.append(Ticket.category == str(args["category"])[:80])
    assignee = str(args.get("assignee", ""))
    if assignee == "me" and user_id is not None:
        clauses.append(Ticket.assignee_id == user_id)
    elif assignee == "none":
        clauses.append(Ticket.assignee_id.is_(None))
    elif assignee.isdigit():
        clauses.append(Ticket.assignee_id == int(assignee))
    if args.get("sla") in SLA_STATES:
        clauses.append(sla_clause(str(args["sla"])))
    clauses += days.between(args.get("from"), args.get("to"), zone).clauses(Ticket.created_at)
    q = str(args.get("q", "")).strip()[:MAX_SEARCH]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        phones = select(CustomerPhone.customer_id).where(CustomerPhone.number.like(like, escape="\\"))
        names = select(Customer.id).where(Customer.name.ilike(like, escape="\\"))
        clauses.append(or_(Ticket.number == q, Ticket.subject.ilike(like, escape="\\"),
                           Ticket.description.ilike(like, escape="\\"),
                           Ticket.customer_id.in_(phones), Ticket.customer_id.in_(names)))
    return clauses
