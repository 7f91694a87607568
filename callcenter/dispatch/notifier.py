"""One method per event the dispatcher publishes, and the name its own changes are made under."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import CallbackOutcome, CallbackRequested, SLABreach, SLAEscalated, SLAWarning, SurveyAnswered
from ..models import Callback, Survey, Ticket

# Ticket changes, notes and audit rows the dispatcher makes are by this actor; its own
# ticket events carry the name, so it does not review a ticket again because of them.
DISPATCHER = Actor.system("dispatcher")


class DispatchNotifier(Notifier):
    def survey_answered(self, session: Session, survey: Survey) -> None:
        self._publish(SurveyAnswered(survey_id=survey.id, score=int(survey.score or 0), ticket_id=survey.ticket_id),
                      session)

    def callback_requested(self, session: Session, callback: Callback) -> None:
        self._publish(CallbackRequested(callback_id=callback.id), session)

    def callback_outcome(self, session: Session, callback: Callback) -> None:
        self._publish(CallbackOutcome(callback_id=callback.id, status=callback.status.value,
                                      ticket_id=callback.ticket_id), session)

    def sla_warning(self, session: Session, ticket: Ticket, clock: str) -> None:
        self._publish(SLAWarning(ticket_id=ticket.id, number=ticket.number, actor=DISPATCHER.name, what=clock,
                                 assignee_id=ticket.assignee_id), session)

    def sla_breach(self, session: Session, ticket: Ticket, clock: str) -> None:
        self._publish(SLABreach(ticket_id=ticket.id, number=ticket.number, actor=DISPATCHER.name, what=clock,
                                assignee_id=ticket.assignee_id), session)

    def sla_escalated(self, session: Session, ticket: Ticket, step: str) -> None:
        self._publish(SLAEscalated(ticket_id=ticket.id, number=ticket.number, actor=DISPATCHER.name, what=step,
                                   assignee_id=ticket.assignee_id), session)
