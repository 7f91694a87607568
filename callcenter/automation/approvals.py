"""Approvals: a rule's actions that wait for a person of a named role (a refund's ERP webhook waits for a
supervisor).  The approver's queue shows them; approving runs the waiting actions in the same
transaction as the decision, rejecting runs none; both are audited, written on the ticket as an internal
note, and published (``approval_decided``) so the assignee's tools hear of it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal, say_later
from ..models import Approval, ApprovalStatus, Customer, Role, Ticket, User, utcnow
from . import schema
from .actions import Actions, Context
from .notifier import ACTOR_NAME, ApprovalNotifier


class ApprovalError(Refusal):
    """A decision the service refuses."""


def may_decide(user: User, approval: Approval) -> bool:
    """The named role decides; an admin may stand in for anyone."""
    return user.role is Role.ADMIN or user.role.value == approval.role


class Approvals:
    def __init__(self, actions: Actions, notifier: ApprovalNotifier) -> None:
        self.actions, self.notifier = actions, notifier

    def request(self, session: Session, ctx: Context, ask: schema.AskApproval, waiting: list[Any]) -> Approval:
        assert ctx.ticket is not None  # the engine asks only for a ticket's rule
        approval = Approval(rule_id=ctx.rule_id, rule_name=ctx.rule_name, ticket_id=ctx.ticket.id, role=ask.role,
                            reason=ask.reason, actions=[a.model_dump() for a in waiting])
        session.add(approval)
        session.flush()
        audit.record(session, "approval_requested", ctx.actor, object_type="ticket", object_id=ctx.ticket.number,
                     approval_id=approval.id, rule=ctx.rule_name, role=ask.role)
        self.notifier.requested(session, approval, ctx.ticket)
        return approval

    def queue(self, session: Session, user: User, status: ApprovalStatus = ApprovalStatus.PENDING) -> list[Approval]:
        q = select(Approval).where(Approval.status == status)
        if user.role is not Role.ADMIN:
            q = q.where(Approval.role == user.role.value)
        order = Approval.id if status is ApprovalStatus.PENDING else Approval.decided_at.desc()
        return list(session.scalars(q.order_by(order).limit(200)))

    def decide(self, session: Session, approval: Approval, actor: Actor, *, approve: bool,
               comment: str = "") -> list[str]:
        """Approve (the waiting actions run now) or reject; what the actions did."""
        user = actor.user
        if user is None or not may_decide(user, approval):
            raise ApprovalError(N_("Only a %(role)s decides this approval."), code="forbidden", role=approval.role)
        comment = comment.strip()[:1000]
        if not approve and not comment:
            raise ApprovalError(N_("Say why you reject it."), field="comment", code="required")
        locked = session.get(Approval, approval.id, with_for_update=True, populate_existing=True)
        if locked is None or locked.status is not ApprovalStatus.PENDING:
            raise ApprovalError(N_("Someone has decided this approval already."), code="decided")
        ticket = session.get(Ticket, locked.ticket_id)
        if ticket is None:
            raise ApprovalError(N_("The ticket is gone."), code="no_ticket")
        did: list[str] = []
        if approve:
            customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            ctx = Context(locked.rule_id or 0, locked.rule_name, ticket, customer, Actor.system(ACTOR_NAME),
                          approval_id=locked.id, approved_by=actor.name)
            for action in schema.parse_actions(locked.actions):
                did.append(self.actions.run(session, action, ctx))
        locked.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        locked.decided_by_id, locked.decided_at, locked.comment = user.id, utcnow(), comment
        audit.record(session, "approval_approved" if approve else "approval_rejected", actor, object_type="ticket",
                     object_id=ticket.number, approval_id=locked.id, rule=locked.rule_name, comment=comment, did=did)
        note = (say_later(N_("%(name)s approved %(rule)s."), name=actor.name, rule=locked.rule_name) if approve else
                say_later(N_("%(name)s rejected %(rule)s: %(comment)s"), name=actor.name, rule=locked.rule_name,
                          comment=comment))
        self.actions.tickets.add_note(session, ticket, note, actor, internal=True)
        self.notifier.decided(session, locked, ticket, actor)
        return did
