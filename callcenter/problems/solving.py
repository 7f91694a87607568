"""Solving a problem solves its incidents: each customer told once, on their own channel, in the background.

``Problems.solve`` resolves the problem ticket and queues this job; the
job goes through the incidents one short transaction each: the incident's
row is locked, and one still open is answered (the reply template or the
supervisor's text, filled in for that customer, on the channel they last
wrote on, or SMS for callers) and resolved with its own history row, audit
and event; the dispatcher then gives it its own survey.  An incident
already resolved is skipped, so a job cut short by a restart goes on
without telling anyone twice.  Only the reply goes out: the problem's and
the incidents' internal notes stay where they are.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..background.worker import Work
from ..conversations import rendering
from ..conversations.replies import Replies, default_channel
from ..db import transaction
from ..dispatch.surveys import number_for
from ..i18n import N_, Refusal, say_later
from ..models import OPEN_STATUSES, Channel, Customer, NoticeStatus, PhoneNotice, Ticket, TicketStatus, User, utcnow
from ..tickets.service import TicketService

KIND = "solve_incidents"
PROGRESS_EVERY = 10


def run(work: Work, tickets: TicketService, replies: Replies, phone_reply: str = "sms") -> dict[str, Any]:
    """The job: every open incident of ``params["problem_id"]`` answered and resolved, once each."""
    problem_id = int(work.params["problem_id"])
    with work.session_factory() as session:
        ids = list(session.scalars(select(Ticket.id).where(Ticket.problem_id == problem_id,
                                                           Ticket.status.in_(OPEN_STATUSES)).order_by(Ticket.id)))
    done, sent, called, failed = 0, 0, 0, []
    work.progress(0, len(ids))
    for number, ticket_id in enumerate(ids, start=1):
        with transaction(work.session_factory) as session:
            outcome = _one(session, work, tickets, replies, ticket_id, problem_id, phone_reply)
        if outcome is not None:
            done += 1
            if outcome == "sent":
                sent += 1
            elif outcome == "called":
                called += 1
            elif outcome:
                failed.append(outcome)
        if number % PROGRESS_EVERY == 0 or number == len(ids):
            work.progress(number, len(ids))
    return {"problem_id": problem_id, "resolved": done, "told": sent, "called": called, "not_told": failed}


def _one(session: Session, work: Work, tickets: TicketService, replies: Replies, ticket_id: int,
         problem_id: int, phone_reply: str = "sms") -> str | dict[str, str] | None:
    """One incident: None if someone got there first (resolved, unlinked); else "sent", "called" (a phone
    notice the dispatcher places), or why nobody was told."""
    incident = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if incident is None or incident.problem_id != problem_id or incident.status not in OPEN_STATUSES:
        return None
    problem = session.get(Ticket, problem_id)
    actor = work.actor(session)
    outcome: str | dict[str, str] = "sent"
    customer = session.get(Customer, incident.customer_id) if incident.customer_id else None
    channel = default_channel(session, incident, customer)
    try:
        if phone_reply == "call" and channel is Channel.SMS:
            raise Refusal(N_("Callers are told by phone."), code="by_phone")
        with session.begin_nested():  # a refused reply leaves nothing behind; the incident is still resolved
            _tell(session, replies, incident, actor, work.params, channel)
    except Refusal as exc:  # no address on that channel, a template without a variant for it
        outcome = {"number": incident.number or "", "code": exc.code or "refused", "why": str(exc)}
        # Nothing could be written to them: a caller is called and hears it (the number they called from).
        if phone_reply != "sms_only" and _call(session, replies, incident, actor, work.params):
            outcome = "called"
    tickets.change(session, incident, actor, status=TicketStatus.RESOLVED,
                   reason=say_later(N_("solved with problem %(number)s"), number=problem.number if problem else ""))
    return outcome


def _tell(session: Session, replies: Replies, incident: Ticket, actor: Actor, params: dict[str, Any],
          channel: Channel) -> None:
    body, subject = _words(session, replies, incident, actor, params, channel)
    replies.send(session, incident, actor, channel=channel, body=body, subject=subject)


def _call(session: Session, replies: Replies, incident: Ticket, actor: Actor, params: dict[str, Any]) -> bool:
    """A caller with only a phone: a phone notice speaking the reply (its SMS wording), placed by the
    dispatcher within calling hours; one per ticket and number.  False when there is no number to call."""
    number = number_for(session, incident)
    if number is None:
        return False
    try:
        with session.begin_nested():
            body, _ = _words(session, replies, incident, actor, params, Channel.SMS)
            customer = session.get(Customer, incident.customer_id) if incident.customer_id else None
            language = incident.language or (customer.language if customer else None)
            session.add(PhoneNotice(ticket_id=incident.id, number=number, text=body, status=NoticeStatus.DUE,
                                    due_at=utcnow(), language=language if language in ("en", "zh") else "en"))
            session.flush()  # the unique (ticket, number) answers here, inside the savepoint
    except (Refusal, IntegrityError):  # no wording for it, or told by phone already
        return False
    return True


def _words(session: Session, replies: Replies, incident: Ticket, actor: Actor, params: dict[str, Any],
           channel: Channel) -> tuple[str, str]:
    """The reply for this incident's customer on ``channel``: the template, or the supervisor's text filled in."""
    customer = session.get(Customer, incident.customer_id) if incident.customer_id else None
    template_id = params.get("template_id")
    if template_id:
        template = replies.templates.usable(session, int(template_id))
        agent = session.get(User, actor.user_id) if actor.user_id else None
        filled = replies.templates.render(session, template, incident, agent, channel)
        return filled.body, filled.subject
    values = rendering.context(customer=customer.name if customer else "", number=incident.number or "",
                               subject=incident.subject or "", agent=actor.name, centre=replies.templates.centre_name)
    return (rendering.render(str(params.get("body") or ""), values),
            rendering.render(str(params.get("subject") or ""), values))
