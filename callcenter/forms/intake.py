"""From a ringing call to a ticket: pre-fill, drafts as the agent types, one submit.

A draft is keyed by (call, agent), so a closed tab loses nothing and a
reopened pop resumes it.  Submitting is idempotent: the same key returns the
ticket it already made, and a call opens at most one ticket
(``Ticket.origin_call_id`` is unique), even when two agents race.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..calls.numbers import display
from ..i18n import N_, Refusal, say_later
from ..models import Call, Customer, FormDefinition, FormSubmission, Priority, SubmissionStatus, Ticket, utcnow
from ..tickets.service import TicketService
from .catalog import spec_of
from .schema import FormSpec
from .validate import FormErrors, clean

if TYPE_CHECKING:
    from ..presence.service import PresenceService


def draft_key(call_id: int, agent_id: int) -> str:
    return f"call{call_id}-agent{agent_id}"


def prefill(spec: FormSpec, call: Call | None, customer: Customer | None) -> dict[str, Any]:
    """Values the form starts with, from the call and the IVR choices."""
    ivr = (call.ivr or {}) if call else {}
    sources = {
        "caller.number": call.caller_number if call else None,
        "caller.name": call.caller_name if call else None,
        "customer.name": customer.name if customer else None,
        "customer.email": customer.email if customer else None,
        "call.did": call.did if call else None,
        "call.queue": call.queue_name if call else None,
        "ivr.category": ivr.get("category"),
        "ivr.path": " > ".join(map(str, ivr.get("path", []))) if ivr.get("path") else None,
    }
    return {f.name: sources[f.prefill] for f in spec.fields if f.prefill and sources.get(f.prefill)}


def _submission(session: Session, key: str, form: FormDefinition, call: Call, agent_id: int,
                lock: bool) -> FormSubmission:
    query = select(FormSubmission).where(FormSubmission.idempotency_key == key)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        row = FormSubmission(idempotency_key=key, form_id=form.id, call_id=call.id, agent_id=agent_id)
        session.add(row)
        session.flush()
    return row


def save_draft(session: Session, form: FormDefinition, call: Call, agent_id: int,
               data: dict[str, Any], region: str = "US") -> FormSubmission:
    row = _submission(session, draft_key(call.id, agent_id), form, call, agent_id, lock=False)
    if row.status is SubmissionStatus.DRAFT:
        row.form_id = form.id
        row.data = clean(spec_of(form), data, region=region, partial=True)
    return row


@dataclass
class Submitted:
    ticket: Ticket
    created: bool


class Intake:
    """Submitting intake forms: the ticket they make goes through the ticket service.

    A submitted form also ends the agent's wrap-up (``presence``), so they take calls again.
    """

    def __init__(self, tickets: TicketService, region: str, presence: PresenceService | None = None) -> None:
        self.tickets, self.region, self.presence = tickets, region, presence

    def save_draft(self, session: Session, form: FormDefinition, call: Call, actor: Actor,
                   data: dict[str, Any]) -> FormSubmission:
        assert actor.user_id is not None, "drafts belong to a signed-in agent"
        return save_draft(session, form, call, actor.user_id, data, self.region)

    def submit(self, session: Session, form: FormDefinition, call: Call, actor: Actor, data: dict[str, Any],
               *, wrapup_code: str | None = None, attach_to: Ticket | None = None) -> Submitted:
        """Validate, then create (or attach to) the ticket. Raises FormErrors on bad answers."""
        agent_id = actor.user_id
        assert agent_id is not None, "intake forms are submitted by a signed-in agent"
        spec = spec_of(form)
        row = _submission(session, draft_key(call.id, agent_id), form, call, agent_id, lock=True)
        if row.status is SubmissionStatus.SUBMITTED and row.ticket_id:
            done = session.get(Ticket, row.ticket_id)
            assert done is not None  # the submission's ticket: deleting a ticket deletes its submissions
            return Submitted(done, created=False)
        answers = clean(spec, data, region=self.region)
        if wrapup_code and wrapup_code not in {c.value for c in spec.wrapup_codes}:
            raise FormErrors({"wrapup_code": Refusal(N_("not one of the offered wrap-up codes"), field="wrapup_code",
                                                     code="not_a_choice")})
        ticket, created = self._ticket(session, spec, form, call, actor, answers, attach_to)
        row.form_id = form.id
        row.data = answers
        row.status = SubmissionStatus.SUBMITTED
        row.ticket_id = ticket.id
        row.wrapup_code = wrapup_code
        row.submitted_at = utcnow()
        if self.presence is not None:
            self.presence.form_submitted(session, agent_id)
        return Submitted(ticket, created)

    def _ticket(self, session: Session, spec: FormSpec, form: FormDefinition, call: Call, actor: Actor,
                answers: dict[str, Any], attach_to: Ticket | None) -> tuple[Ticket, bool]:
        if attach_to is not None:
            self.tickets.attach_call(session, attach_to, call, actor)
            self.tickets.add_note(session, attach_to, _summary(spec, answers), actor)
            return attach_to, False
        if call.ticket_id is not None:
            existing = session.get(Ticket, call.ticket_id)
            if existing is not None:
                return existing, False
        try:
            with session.begin_nested():
                ticket = self.tickets.create(
                    session, actor, call=call, category=spec.category,
                    subject=str(answers.get(spec.subject_field, ""))[:200] or spec.title,
                    description=str(answers.get(spec.description_field or "", "")),
                    priority=_priority(answers.get(spec.priority_field or "")),
                    assignee_id=actor.user_id,
                    reason=say_later(N_("intake form %(form)s v%(version)s"), form=spec.slug, version=form.version))
            return ticket, True
        except IntegrityError:
            # Another agent's submit for the same call won: use its ticket.
            session.refresh(call)
            won = session.scalar(select(Ticket).where(Ticket.origin_call_id == call.id))
            if won is None:
                raise
            return won, False


def _priority(value: Any) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        return Priority.NORMAL


def _summary(spec: FormSpec, answers: dict[str, Any]) -> str:
    lines = [f"Follow-up call — {spec.title}"]
    for f in spec.fields:
        if f.name in answers:
            value = answers[f.name]
            if f.type == "phone":
                value = display(value)
            lines.append(f"{f.label}: {value}")
    return "\n".join(lines)
