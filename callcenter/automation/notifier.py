"""The events automation publishes: a rule changed (every process reads the rules again), an approval was
asked for or decided."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import ApprovalDecided, ApprovalRequested, AutomationRuleChanged
from ..models import Approval, ApprovalStatus, Ticket

ACTOR_NAME = "automation"


class RuleNotifier(Notifier):
    def changed(self, session: Session, rule_id: int, actor: Actor) -> None:
        self._publish(AutomationRuleChanged(rule_id=rule_id, actor=actor.name), session)


class ApprovalNotifier(Notifier):
    def requested(self, session: Session, approval: Approval, ticket: Ticket) -> None:
        self._publish(ApprovalRequested(ticket_id=ticket.id, number=ticket.number, actor=ACTOR_NAME,
                                        approval_id=approval.id, role=approval.role, rule=approval.rule_name), session)

    def decided(self, session: Session, approval: Approval, ticket: Ticket, actor: Actor) -> None:
        self._publish(ApprovalDecided(ticket_id=ticket.id, number=ticket.number, actor=actor.name,
                                      approval_id=approval.id, approved=approval.status is ApprovalStatus.APPROVED,
                                      rule=approval.rule_name, assignee_id=ticket.assignee_id), session)
