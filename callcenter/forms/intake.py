"""From a ringing call to its outcome: pre-fill, drafts as the agent types, then one of three ends.

A draft is keyed by (call, agent), so a closed tab loses nothing and a
reopened pop resumes it.  Submitting is idempotent: the same key returns the
ticket it already made, and a call opens at most one ticket
(``Ticket.origin_call_id`` is unique), even when two agents race.  Instead
of a new ticket the agent may attach the call to an existing one, or close
it with "no ticket needed" and a reason (a wrap-up code of kind no_ticket).
Each end handles the call's pop and ends the agent's wrap-up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..calls.numbers import display
from ..i18n import N_, Refusal, say_later
from ..knowledge.ivr import IVR, note_heard
from ..models import (
    Call,
    Customer,
    FormDefinition,
    FormSubmission,
    Priority,
    SubmissionStatus,
    Ticket,
    WrapupCode,
    utcnow,
)
from ..pops.service import ATTACHED, NO_TICKET, TICKET, PopService
from ..tickets.service import TicketService
from . import wrapups
from .catalog import spec_of
from .schema import FormSpec
from .validate import CONTROL, UNSTORABLE, FormErrors, clean

if TYPE_CHECKING:
    from ..knowledge.suggest import Suggester
    from ..presence.service import PresenceService

NOTE_LENGTH = 200


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


# What phone systems put in the caller-ID name when there is no name.
NOT_NAMES = {"unknown", "anonymous", "restricted", "private", "unavailable", "withheld", "asterisk"}


def caller_id_name(call: Call) -> str:
    """The caller-ID name, if it reads as a person's or a company's name: the "new customer" form
    starts with it (a name that is only the number, or "Anonymous", would be typed over anyway)."""
    name = " ".join((call.caller_name or "").split())
    if not name or not any(ch.isalpha() for ch in name) or name.strip("<>").lower() in NOT_NAMES:
        return ""
    return name[:200]


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
    """Ending a call's pop: a submitted form (the ticket goes through the ticket service), the call
    attached to a ticket, or no ticket needed.

    Each also ends the agent's wrap-up (``presence``), so they take calls again, and handles the
    call's pop (``pops``), so every tab of theirs moves on.
    """

    def __init__(self, tickets: TicketService, region: str, presence: PresenceService | None = None,
                 pops: PopService | None = None, suggester: Suggester | None = None) -> None:
        self.tickets, self.region, self.presence, self.pops = tickets, region, presence, pops
        # Notes on the call's ticket the article its caller heard in the IVR's self-service.
        self.suggester = suggester

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
        if wrapup_code and wrapups.find(session, wrapup_code, wrapups.TICKET_KINDS) is None:
            raise FormErrors({"wrapup_code": Refusal(N_("Not one of the centre's wrap-up codes."), field="wrapup_code",
                                                     code="not_a_choice")})
        ticket, created = self._ticket(session, spec, form, call, actor, answers, attach_to)
        row.form_id = form.id
        row.data = answers
        row.status = SubmissionStatus.SUBMITTED
        row.ticket_id = ticket.id
        row.wrapup_code = wrapup_code
        row.submitted_at = utcnow()
        _clear_no_ticket(call)
        self._done(session, agent_id, call, ATTACHED if attach_to is not None else TICKET, ticket.id)
        return Submitted(ticket, created)

    def attach(self, session: Session, call: Call, actor: Actor, ticket: Ticket) -> Ticket:
        """The call joins an existing ticket (the agent found it; whether they may edit it is checked
        by the caller).  A call already on another ticket is refused."""
        agent_id = actor.user_id
        assert agent_id is not None, "calls are attached by a signed-in agent"
        if call.ticket_id is not None and call.ticket_id != ticket.id:
            raise Refusal(N_("This call is already on ticket %(number)s."), code="has_ticket",
                          number=_number(session, call.ticket_id))
        self.tickets.attach_call(session, ticket, call, actor)
        _clear_no_ticket(call)
        self._done(session, agent_id, call, ATTACHED, ticket.id)
        return ticket

    def no_ticket(self, session: Session, call: Call, actor: Actor, reason: str | None,
                  note: str | None = None) -> WrapupCode:
        """Close the call without a ticket, saying why (audited); refused once the call has a ticket."""
        agent_id = actor.user_id
        assert agent_id is not None, "calls are closed by a signed-in agent"
        if call.ticket_id is not None:
            raise Refusal(N_("This call already has ticket %(number)s: attach to it or update it instead."),
                          code="has_ticket", number=_number(session, call.ticket_id))
        if not reason:
            raise Refusal(N_("Choose why this call needs no ticket."), field="reason", code="reason_required")
        code = wrapups.find(session, reason, wrapups.NO_TICKET_KINDS)
        if code is None:
            raise Refusal(N_("Not one of the reasons a call may need no ticket."), field="reason",
                          code="unknown_reason")
        text = _note(note)
        call.no_ticket_reason, call.no_ticket_note = code.code, text
        call.no_ticket_by_id, call.no_ticket_at = agent_id, utcnow()
        audit.record(session, "call_no_ticket", actor, object_type="call", object_id=call.id, reason=code.code,
                     note=text)
        self._done(session, agent_id, call, NO_TICKET)
        return code

    def _done(self, session: Session, agent_id: int, call: Call, outcome: str, ticket_id: int | None = None) -> None:
        if ticket_id is not None and self.suggester is not None:
            note_heard(session, self.suggester, call, ticket_id, IVR)
        if self.pops is not None:
            self.pops.handle(session, agent_id, call, outcome, ticket_id)
        if self.presence is not None:
            self.presence.form_submitted(session, agent_id)

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


def _number(session: Session, ticket_id: int) -> str:
    ticket = session.get(Ticket, ticket_id)
    return ticket.number if ticket is not None and ticket.number else str(ticket_id)


def _note(note: str | None) -> str | None:
    """The agent's short note: one line (a pasted line break becomes a space), nothing unstorable."""
    text = " ".join((note or "").split())
    if len(text) > NOTE_LENGTH or CONTROL.search(text) or UNSTORABLE.search(text):
        raise Refusal(N_("A note is at most %(n)s characters of plain text."), field="note", code="bad_note",
                      n=NOTE_LENGTH)
    return text or None


def _clear_no_ticket(call: Call) -> None:
    """A call with a ticket is counted as one, not also as "no ticket needed"."""
    call.no_ticket_reason = call.no_ticket_note = call.no_ticket_by_id = call.no_ticket_at = None


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
