"""Bulk actions on many tickets: assign, status, priority, a tag, a reply, a link to a problem, close.

The selection (ticked rows, or every row a filter matches across all pages)
is fixed when the job is asked for: one ``BulkItem`` per ticket the asker
may see.  The background worker then works through the pending items a
batch per transaction; each ticket's change goes through the same services
as a change by hand (its history row, audit row and event) and its item is
marked done or failed (with why) in that transaction, so a job resumed
after its process died does each ticket once.  A cancel stops it at the
next batch; the rest are marked skipped.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from ..access import audit, visibility
from ..access.audit import Actor
from ..access.roles import ASSIGNABLE, DESK, MANAGERS
from ..background import jobs
from ..background.worker import Work
from ..conversations.replies import Replies, default_channel, last_channels
from ..db import transaction
from ..i18n import N_, Refusal, say_later
from ..models import (
    BackgroundJob,
    BulkItem,
    BulkItemState,
    Channel,
    Customer,
    JobStatus,
    Priority,
    ReplyTemplate,
    Ticket,
    TicketStatus,
    User,
    utcnow,
)
from ..tickets.service import TicketError, TicketService
from .links import Problems

KIND = "bulk_tickets"
# What a batch does: the action, its value, and (for a reply) the channel each ticket's customer last wrote on.
What = tuple[str, str, dict[int, Channel]]
ACTIONS = ("assign", "status", "priority", "tag", "reply", "link", "close")
BATCH = 100
MAX_TICKETS = 50_000
MAX_TAG = 40


@dataclass(frozen=True)
class Counts:
    total: int
    done: int
    failed: int
    skipped: int
    pending: int


class BulkActions:
    def __init__(self, tickets: TicketService, replies: Replies, problems: Problems) -> None:
        self.tickets, self.replies, self.problems = tickets, replies, problems

    # -- asking ----------------------------------------------------------------------------------------
    def submit(self, session: Session, actor: Actor, *, action: str, value: str = "", selection: Sequence[int] = (),
               matching: Sequence[ColumnElement[bool]] | None = None, label: str = "") -> BackgroundJob:
        """Queue ``action`` for the ticked ``selection`` (ids) or every ticket ``matching`` the filters; only
        tickets the asker may see are taken.  Refuses a bad action or value before anything is queued."""
        user = actor.user
        if user is None or user.role not in DESK:
            raise TicketError(N_("Only agents, supervisors and admins change tickets in bulk."), code="forbidden")
        params = {"action": action, "value": self._checked(session, actor, action, value.strip())}
        query = select(Ticket.id).where(visibility.ticket_clause(user))
        if matching is not None:
            query = query.where(*matching)
        else:
            query = query.where(Ticket.id.in_([int(i) for i in selection][:MAX_TICKETS]))
        ids = list(session.scalars(query.order_by(Ticket.id).limit(MAX_TICKETS + 1)))
        if not ids:
            raise TicketError(N_("No ticket is selected."), field="selection", code="empty")
        if len(ids) > MAX_TICKETS:
            raise TicketError(N_("At most %(n)s tickets at once: narrow the filter."), field="selection",
                              code="too_many", n=f"{MAX_TICKETS:,}")
        params["selection"] = uuid.uuid4().hex  # two selections with one action are two jobs
        job = jobs.submit(session, actor, KIND, params, label or f"Bulk {action}: {len(ids)} tickets")
        job.total = len(ids)
        session.execute(insert(BulkItem), [{"job_id": job.id, "ticket_id": i, "state": BulkItemState.PENDING,
                                            "reason_params": {}} for i in ids])
        audit.record(session, "bulk_submitted", actor, object_type="background_job", object_id=job.id,
                     bulk_action=action, value=params["value"], tickets=len(ids))
        return job

    def _checked(self, session: Session, actor: Actor, action: str, value: str) -> str:
        """The action's value, checked now so a job never starts on a typo."""
        if action not in ACTIONS:
            raise TicketError(N_("Not a bulk action."), field="action", code="not_a_choice")
        if action == "status" and value not in {s.value for s in TicketStatus}:
            raise TicketError(N_("Choose a status."), field="value", code="not_a_choice")
        if action == "priority" and value not in {p.value for p in Priority}:
            raise TicketError(N_("Choose a priority."), field="value", code="not_a_choice")
        if action == "tag" and not (0 < len(value) <= MAX_TAG):
            raise TicketError(N_("A tag has 1 to %(n)s characters."), field="value", code="bad_tag", n=MAX_TAG)
        if action == "assign":
            if actor.role not in MANAGERS:
                raise TicketError(N_("Only supervisors and admins assign tickets in bulk."), code="forbidden")
            agent = session.get(User, int(value)) if value.isdigit() else None
            if agent is None or not agent.is_active or agent.role not in ASSIGNABLE:
                raise TicketError(N_("Not someone who can take tickets."), field="value", code="not_assignable")
        if action == "reply":
            if not value.isdigit():
                raise TicketError(N_("Choose the reply's template."), field="value", code="required")
            self.replies.templates.usable(session, int(value))
        if action == "link":
            problem = session.scalar(select(Ticket).where(Ticket.number == value)) if value.isdigit() else None
            if problem is None or actor.user is None or not visibility.can_see_ticket(session, actor.user, problem.id):
                raise TicketError(N_("No such problem ticket."), field="value", code="not_found")
        return value

    def cancel(self, session: Session, actor: Actor, job: BackgroundJob) -> bool:
        """Ask the job to stop; False when it already ended."""
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING) or job.cancel_requested_at is not None:
            return False
        job.cancel_requested_at = utcnow()
        audit.record(session, "bulk_cancelled", actor, object_type="background_job", object_id=job.id)
        return True

    @staticmethod
    def counts(session: Session, job_id: int) -> Counts:
        found = dict(session.execute(select(BulkItem.state, func.count()).where(BulkItem.job_id == job_id)
                                     .group_by(BulkItem.state)).tuples().all())
        return Counts(sum(found.values()), found.get(BulkItemState.DONE, 0), found.get(BulkItemState.FAILED, 0),
                      found.get(BulkItemState.SKIPPED, 0), found.get(BulkItemState.PENDING, 0))

    # -- the job ---------------------------------------------------------------------------------------
    def run(self, work: Work, batch: int = BATCH) -> dict[str, Any]:
        """Every pending item, a batch per transaction (see the module's docstring)."""
        action, value = str(work.params["action"]), str(work.params.get("value") or "")
        with work.session_factory() as session:
            total = self.counts(session, work.job_id).total
        while True:
            with work.session_factory() as session:
                job = session.get(BackgroundJob, work.job_id)
                stop = job is None or job.cancel_requested_at is not None
            if stop:
                with transaction(work.session_factory) as session:
                    session.execute(update(BulkItem).where(BulkItem.job_id == work.job_id,
                                                           BulkItem.state == BulkItemState.PENDING)
                                    .values(state=BulkItemState.SKIPPED, done_at=utcnow()))
                break
            with transaction(work.session_factory) as session:
                items = list(session.scalars(select(BulkItem).where(
                    BulkItem.job_id == work.job_id, BulkItem.state == BulkItemState.PENDING)
                    .order_by(BulkItem.id).limit(batch).with_for_update()))
                if not items:
                    break
                actor = work.actor(session)
                ids = [i.ticket_id for i in items]
                editable, held = self._prefetch(session, actor, ids, action, value)
                channels = last_channels(session, ids) if action == "reply" else {}
                self._batch(session, actor, items, (action, value, channels), editable)
                del held
            with work.session_factory() as session:
                counts = self.counts(session, work.job_id)
            work.progress(counts.total - counts.pending, total)
        with work.session_factory() as session:
            counts = self.counts(session, work.job_id)
        return {"action": action, "done": counts.done, "failed": counts.failed, "skipped": counts.skipped,
                "cancelled": counts.skipped > 0}

    @staticmethod
    def _prefetch(session: Session, actor: Actor, ids: list[int], action: str,
                  value: str) -> tuple[set[int], list[object]]:
        """The batch's tickets, their customers (and a reply's template) in a few queries, not a few per
        ticket; which ones the asker may change (checked again now: a ticket may have moved team since the job
        was asked for).  The objects are returned to be held for the batch: the session keeps only weak
        references, so unheld they would be read again one by one."""
        user = actor.user
        if user is None or user.role not in DESK:
            return set(), []
        found = session.scalars(select(Ticket).where(Ticket.id.in_(ids), visibility.ticket_clause(user))).all()
        held: list[object] = list(found)
        customers = {t.customer_id for t in found if t.customer_id}
        if customers:
            held += session.scalars(select(Customer).where(Customer.id.in_(customers)).options(
                selectinload(Customer.identities), selectinload(Customer.phones))).all()
        if action == "reply" and value.isdigit() and len(value) < 12:
            held += session.scalars(select(ReplyTemplate).where(ReplyTemplate.id == int(value))
                                    .options(selectinload(ReplyTemplate.variants))).all()
        return {t.id for t in found}, held

    def _batch(self, session: Session, actor: Actor, items: list[BulkItem], what: What, editable: set[int]) -> None:
        """The batch in one savepoint, flushed once at its end (its replies inserted together); a
        refusal anywhere undoes that savepoint, and the batch goes again a savepoint per ticket, so a bad
        ticket costs only its own batch the slow way and is the only one failed."""
        ready = []
        for item in items:
            ticket = session.get(Ticket, item.ticket_id)
            if ticket is None or ticket.id not in editable:
                self._one(session, actor, item, what, editable)  # failed, with why; nothing written
            else:
                ready.append((item, ticket))
        try:
            with session.begin_nested(), session.no_autoflush, self.replies.conversations.queued_together(session):
                for _, ticket in ready:
                    self._apply(session, actor, ticket, what)
        except Refusal:
            for item, _ in ready:
                self._one(session, actor, item, what, editable)
            return
        if ready:  # one statement, not one per item
            session.execute(update(BulkItem).where(BulkItem.id.in_([item.id for item, _ in ready]))
                            .values(state=BulkItemState.DONE, done_at=utcnow()))

    def _one(self, session: Session, actor: Actor, item: BulkItem, what: What, editable: set[int]) -> None:
        ticket = session.get(Ticket, item.ticket_id)
        try:
            if ticket is None:
                raise TicketError(N_("The ticket is gone."), code="not_found")
            if ticket.id not in editable:
                raise TicketError(N_("Not a ticket you can change."), code="forbidden")
            with session.begin_nested():  # a refusal leaves nothing of this ticket behind
                self._apply(session, actor, ticket, what)
            item.state = BulkItemState.DONE
        except Refusal as exc:
            item.state, item.reason_template, item.reason_params = BulkItemState.FAILED, exc.template, exc.params
        item.done_at = utcnow()

    def _apply(self, session: Session, actor: Actor, ticket: Ticket, what: What) -> None:
        action, value, channels = what
        reason = say_later(N_("bulk change by %(name)s"), name=actor.name)
        if action in ("status", "close"):
            self.tickets.change(session, ticket, actor, reason=reason,
                                status=TicketStatus.CLOSED if action == "close" else TicketStatus(value))
        elif action == "priority":
            self.tickets.change(session, ticket, actor, reason=reason, priority=Priority(value))
        elif action == "tag":
            self.tickets.tag(session, ticket, value, actor, reason)
        elif action == "assign":
            self.tickets.assign(session, ticket, int(value), actor, reason=reason, route="manual")
        elif action == "link":
            problem = session.scalar(select(Ticket).where(Ticket.number == value))
            if problem is None:
                raise TicketError(N_("No such problem ticket."), code="not_found")
            self.problems.link(session, actor, ticket, problem)
        elif action == "reply":
            customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            channel = default_channel(session, ticket, customer, channels)
            template = self.replies.templates.usable(session, int(value))
            filled = self.replies.templates.render(session, template, ticket, actor.user, channel)
            self.replies.send(session, ticket, actor, channel=channel, body=filled.body, subject=filled.subject,
                              template_id=template.id)
