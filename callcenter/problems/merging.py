"""Merging a ticket into another (two tickets about one request), and undoing it within a day.

Merging A into B moves A's messages, calls, notes (internal ones stay
internal), callbacks, article links and incidents to B, closes A and
points it at B: a reply to A's e-mail thread finds its message on B, a
reply quoting A's number and a caller keying it are sent on to B
(``current``).  What moved is kept by id in a ``TicketMerge`` row, so the
undo moves back exactly that (what arrived on B since stays on B) and
gives A its status again.  Both sides get a history row, an audit row and
an event, in the caller's transaction like every ticket change.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from ..access import audit
from ..access.audit import Actor
from ..access.roles import DESK
from ..i18n import N_, say_later
from ..models import (
    Call,
    Callback,
    Message,
    Ticket,
    TicketArticle,
    TicketMerge,
    TicketNote,
    TicketStatus,
    utcnow,
)
from ..tickets.service import TicketError, TicketService
from .notifier import MergeNotifier

UNDO_WITHIN = dt.timedelta(hours=24)
MAX_CHAIN = 10  # merged into a ticket merged into another ...: followed this far
# What moves, by kind: the model and its ticket column.
MOVES: dict[str, tuple[Any, Any]] = {"messages": (Message, Message.ticket_id), "calls": (Call, Call.ticket_id),
         "notes": (TicketNote, TicketNote.ticket_id), "callbacks": (Callback, Callback.ticket_id),
         "articles": (TicketArticle, TicketArticle.ticket_id), "incidents": (Ticket, Ticket.problem_id)}


def current(session: Session, ticket: Ticket) -> Ticket:
    """The ticket a merged one now lives in (itself when it was never merged)."""
    found = ticket
    for _ in range(MAX_CHAIN):
        if found.merged_into_id is None:
            return found
        target = session.get(Ticket, found.merged_into_id)
        if target is None:
            return found
        found = target
    return found


class Merges:
    def __init__(self, tickets: TicketService, notifier: MergeNotifier) -> None:
        self.tickets, self.notifier = tickets, notifier

    def merge(self, session: Session, actor: Actor, source: Ticket, target: Ticket) -> TicketMerge:
        """Merge ``source`` into ``target`` (or into the ticket ``target`` was merged into)."""
        if actor.user is not None and actor.role not in DESK:
            raise TicketError(N_("Only agents, supervisors and admins merge tickets."), code="forbidden")
        target = current(session, target)
        if target.id == source.id:
            raise TicketError(N_("A ticket cannot be merged into itself."), code="same_ticket")
        if source.merged_into_id is not None:
            raise TicketError(N_("Ticket %(number)s was already merged."), number=source.number or "",
                              code="already_merged")
        if target.status is TicketStatus.CLOSED:
            raise TicketError(N_("Ticket %(number)s is closed: merge into an open ticket."),
                              number=target.number or "", code="target_closed")
        moved: dict[str, list[int]] = {}
        for kind, (model, column) in MOVES.items():
            query = select(model.id).where(column == source.id)
            if model is TicketArticle:  # a link the target has already stays behind (one per article and kind)
                theirs = aliased(TicketArticle)
                held = select(theirs.id).where(theirs.ticket_id == target.id,
                                               theirs.article_id == TicketArticle.article_id,
                                               theirs.kind == TicketArticle.kind)
                query = select(TicketArticle.id).where(TicketArticle.ticket_id == source.id, ~held.exists())
            ids = list(session.scalars(query))
            if ids:
                session.execute(update(model).where(model.id.in_(ids)).values({column.key: target.id})
                                .execution_options(synchronize_session=False))
            moved[kind] = ids
        row = TicketMerge(source_id=source.id, target_id=target.id, moved=moved, source_status=source.status.value,
                          source_was_problem=source.is_problem, by_id=actor.user_id)
        session.add(row)
        if moved["incidents"] and not target.is_problem:
            target.is_problem = True
        source.is_problem = False
        source.merged_into_id = target.id
        self.tickets.change(session, source, actor, status=TicketStatus.CLOSED,
                            reason=say_later(N_("merged into %(number)s"), number=target.number or ""))
        self.tickets.history(session, source, actor, "merged_into", None, target.number,
                             say_later(N_("merged into %(number)s"), number=target.number or ""))
        self.tickets.history(session, target, actor, "merged_from", None, source.number,
                             say_later(N_("%(number)s merged into this ticket"), number=source.number or ""))
        session.flush()
        audit.record(session, "ticket_merged", actor, object_type="ticket", object_id=source.number,
                     into=target.number, moved={k: len(v) for k, v in moved.items()})
        self.notifier.merged(session, source, target, actor)
        return row

    def last(self, session: Session, ticket: Ticket) -> TicketMerge | None:
        """The merge that can still be undone from this ticket's page (either side), if any."""
        return session.scalar(select(TicketMerge).where(
            (TicketMerge.source_id == ticket.id) | (TicketMerge.target_id == ticket.id),
            TicketMerge.undone_at.is_(None), TicketMerge.created_at >= utcnow() - UNDO_WITHIN)
            .order_by(TicketMerge.id.desc()).limit(1))

    def undo(self, session: Session, actor: Actor, merge: TicketMerge) -> Ticket:
        """Move back exactly what the merge moved and reopen the merged ticket as it was; within a day."""
        if actor.user is not None and actor.role not in DESK:
            raise TicketError(N_("Only agents, supervisors and admins merge tickets."), code="forbidden")
        if merge.undone_at is not None:
            raise TicketError(N_("This merge was already undone."), code="already_undone")
        if utcnow() - merge.created_at > UNDO_WITHIN:
            raise TicketError(N_("A merge can be undone for 24 hours; this one is older."), code="too_late")
        source, target = session.get(Ticket, merge.source_id), session.get(Ticket, merge.target_id)
        if source is None or target is None:
            raise TicketError(N_("One of the merged tickets is gone."), code="not_found")
        for kind, (model, column) in MOVES.items():
            ids = [int(i) for i in (merge.moved or {}).get(kind, [])]
            if ids:
                session.execute(update(model).where(model.id.in_(ids), column == target.id)
                                .values({column.key: source.id}).execution_options(synchronize_session=False))
        source.merged_into_id = None
        source.is_problem = merge.source_was_problem
        if target.is_problem and not session.scalar(select(Ticket.id).where(Ticket.problem_id == target.id).limit(1)):
            target.is_problem = False
        merge.undone_at, merge.undone_by_id = utcnow(), actor.user_id
        reason = say_later(N_("merge into %(number)s undone"), number=target.number or "")
        self.tickets.change(session, source, actor, status=TicketStatus(merge.source_status), reason=reason)
        self.tickets.history(session, source, actor, "merged_into", target.number, None, reason)
        self.tickets.history(session, target, actor, "merged_from", source.number, None, reason)
        session.flush()
        audit.record(session, "ticket_merge_undone", actor, object_type="ticket", object_id=source.number,
                     into=target.number)
        self.notifier.undone(session, source, target, actor)
        return source
