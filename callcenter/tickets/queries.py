"""Finding tickets: by number, a customer's open ones, and the list filters the pages and the API share."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, asc, case, desc, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from ..inputs.parsers import Args
from ..models import OPEN_STATUSES, Customer, CustomerPhone, Priority, Ticket, TicketStatus, User
from ..text import search
from .deadlines import SLA_STATES, due_column, sla_clause
from .numbers import is_valid

MAX_SEARCH = 100
# A search that looks like a phone number is matched without its spaces and dashes.
PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{4,}$")


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


STATUS_FILTERS = {*(s.value for s in TicketStatus), "open_all"}
PRIORITY_FILTERS = {p.value for p in Priority}


def filters(args: Mapping[str, Any] | Args, zone: str, user_id: int | None = None) -> list[ColumnElement[bool]]:
    """Each filter the ticket list offers (page or API), as WHERE clauses.

    ``args`` is a query string read by ``inputs.parsers.Args``: strict (the API) raises
    ``InvalidInput`` for a bad value, lenient (a plain mapping, the pages) ignores it and notes it.
    ``from``/``to`` are days of the centre's time zone; ``assignee`` is an id, ``me`` or ``none``.
    """
    read = args if isinstance(args, Args) else Args(args, strict=False)
    clauses: list[ColumnElement[bool]] = []
    status = read.choice("status", STATUS_FILTERS)
    if status == "open_all":
        clauses.append(Ticket.status.in_(OPEN_STATUSES))
    elif status is not None:
        clauses.append(Ticket.status == TicketStatus(status))
    priority = read.choice("priority", PRIORITY_FILTERS)
    if priority is not None:
        clauses.append(Ticket.priority == Priority(priority))
    queue = read.ident("queue")
    if queue is not None:
        clauses.append(Ticket.queue_id == queue)
    category = read.text("category", 80)
    if category:
        clauses.append(Ticket.category == category)
    assignee = read.args.get("assignee")
    if assignee == "me":
        if user_id is not None:
            clauses.append(Ticket.assignee_id == user_id)
    elif assignee == "none":
        clauses.append(Ticket.assignee_id.is_(None))
    else:
        assignee_id = read.ident("assignee")
        if assignee_id is not None:
            clauses.append(Ticket.assignee_id == assignee_id)
    sla = read.choice("sla", SLA_STATES)
    if sla is not None:
        clauses.append(sla_clause(sla))
    clauses += read.period(zone).clauses(Ticket.created_at)
    q = read.text("q", MAX_SEARCH)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        phones = select(CustomerPhone.customer_id).where(CustomerPhone.number.like(like, escape="\\"))
        names = select(Customer.id).where(Customer.name.ilike(like, escape="\\"))
        either = [Ticket.number == q, Ticket.subject.ilike(like, escape="\\"),
                  Ticket.description.ilike(like, escape="\\"),
                  Ticket.customer_id.in_(phones), Ticket.customer_id.in_(names)]
        words = search.ticket_matches(q)  # the same words in another order, or in traditional characters
        clauses.append(or_(*either, *([words] if words is not None else [])))
    return clauses


# The list's columns a reader may sort by (the only names ``ordered`` accepts), and the default.
SORTS = ("number", "subject", "status", "priority", "customer", "assignee", "sla", "created", "updated")
DEFAULT_SORT, DEFAULT_DIRECTION = "created", "desc"
# Workflow and urgency order, not the alphabet: new < open < pending < resolved < closed; low < ... < urgent.
_STATUS_RANK = {s.value: i for i, s in enumerate(TicketStatus)}
_PRIORITY_RANK = {p.value: i for i, p in enumerate(Priority)}


def ordered(query: Select[Any], sort: str | None, direction: str | None) -> Select[Any]:
    """``query`` (of Ticket) sorted by one of ``SORTS``, ascending or descending; empty values last either way.

    No ``sort`` (or an unknown one) is the default, newest first; ties are broken by id, so pages never overlap.
    """
    key, descending = (sort, direction == "desc") if sort in SORTS else (DEFAULT_SORT, DEFAULT_DIRECTION == "desc")
    order = desc if descending else asc
    if key == "customer":
        query = query.outerjoin(Customer, Customer.id == Ticket.customer_id)
        column: Any = func.nullif(Customer.name, "")
    elif key == "assignee":
        assignee = aliased(User)
        query = query.outerjoin(assignee, assignee.id == Ticket.assignee_id)
        column = func.coalesce(func.nullif(assignee.display_name, ""), assignee.username)
    elif key == "sla":  # running clocks by due time, then paused ones (pending), then none
        due = due_column()
        return query.order_by(due.is_(None), Ticket.status == TicketStatus.PENDING, order(due), order(Ticket.id))
    else:
        column = {"number": Ticket.number, "subject": Ticket.subject, "created": Ticket.created_at,
                  "updated": Ticket.updated_at, "status": _rank(Ticket.status, _STATUS_RANK),
                  "priority": _rank(Ticket.priority, _PRIORITY_RANK)}[key]
    return query.order_by(column.is_(None), order(column), order(Ticket.id))


def _rank(column: Any, ranks: dict[str, int]) -> ColumnElement[int]:
    return case(*((column == value, rank) for value, rank in ranks.items()), else_=len(ranks))


def attachable(session: Session, visible: ColumnElement[bool], q: str, zone: str,
               limit: int = 10) -> list[tuple[Ticket, str | None]]:
    """Tickets a call may join, with their customer's name: found as the ticket list's search finds
    them (number, subject, the customer's name or number, typed with spaces or not), among those
    ``visible`` to the agent, never closed ones; open ones first."""
    q = q.strip()
    if PHONE_LIKE.match(q):
        q = re.sub(r"[^\d+]", "", q)
    if not q:
        return []
    rows = session.execute(
        select(Ticket, Customer.name).join(Customer, Customer.id == Ticket.customer_id, isouter=True)
        .where(visible, Ticket.status != TicketStatus.CLOSED, *filters({"q": q}, zone))
        .order_by(case((Ticket.status.in_(OPEN_STATUSES), 0), else_=1), Ticket.created_at.desc()).limit(limit))
    return [(ticket, name) for ticket, name in rows.tuples()]
