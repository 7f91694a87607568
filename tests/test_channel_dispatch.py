"""Every channel's tickets under the dispatcher, on SQLite and PostgreSQL: SLA due dates and assignment
exactly as for a phone ticket (plus a channel's own skill), a person's public reply as the first
response (an automatic acknowledgement or a note is not), and a customer's answer resuming a
ticket that waited on them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.channels.base import Inbound, Sender
from callcenter.config import AssignmentRules
from callcenter.db import transaction
from callcenter.dispatch import jobs
from callcenter.dispatch import runtime as dispatch_runtime
from callcenter.dispatch import scheduler as sched
from callcenter.dispatch.escalation import ticket_times
from callcenter.dispatch.load import needs_for
from callcenter.dispatch.service import build_runtime
from callcenter.dispatch.sla import SLA
from callcenter.models import (
    AgentProfile,
    AgentSkill,
    Channel,
    Role,
    Skill,
    Ticket,
    TicketChange,
    TicketStatus,
    User,
    utcnow,
)
from callcenter.wiring import Container

ZONE = "Asia/Shanghai"
SENDERS = {Channel.EMAIL: Sender("email", "li.na@example.com", "Li Na"),
           Channel.WEB: Sender("email", "web.user@example.com", "Web User"),
           Channel.WECHAT: Sender("wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", verified=True),
           Channel.SMS: Sender("phone", "+8613800138000")}


def local(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=ZoneInfo(ZONE)).astimezone(dt.UTC)


# Friday 16:00 in the centre (09:00-18:00): 240 business minutes end Monday 11:00, 1440 Wednesday 13:00.
CREATED = local(2025, 3, 7, 16)
NOW = local(2025, 3, 7, 16, 5)
FIRST_DUE, RESOLUTION_DUE = local(2025, 3, 10, 11), local(2025, 3, 12, 13)


@pytest.fixture
def dispatcher(container: Container) -> Iterator[Container]:
    """The active dispatcher's runtime, WeChat tickets asking for the WeChat skill, on a paused scheduler."""
    d = container.settings.dispatch
    rules = AssignmentRules(channel_skills={"wechat": {"wechat": 1}}, accept_timeout_minutes=0)
    settings = container.settings.model_copy(update={
        "timezone": ZONE, "dispatch": d.model_copy(update={"assignment": rules})})
    scheduler = sched.build(container.engine, settings.dispatch.scheduler)
    scheduler._process_jobs = lambda: None  # the test runs the jobs by hand
    scheduler.start(paused=True)
    dispatch_runtime.install(build_runtime(settings, container.engine, container.session_factory, scheduler,
                                           None, None, container.callbacks, clock=lambda: NOW))
    yield container
    dispatch_runtime.install(None)
    scheduler.shutdown(wait=False)


def _agent(s, name: str, skills: dict[int, int]) -> int:
    user = User(username=name, display_name=name.title(), role=Role.AGENT, password_hash="x")
    s.add(user)
    s.flush()
    s.add(AgentProfile(user_id=user.id, languages=["en", "zh"],
                       skills=[AgentSkill(skill_id=k, level=v) for k, v in skills.items()]))
    return user.id


def _inbound(channel: Channel, key: str, body: str = "My parcel never came.") -> Inbound:
    return Inbound(channel=channel, channel_key=key, sender=SENDERS[channel], body=body,
                   subject="Parcel" if channel is Channel.EMAIL else "")


def _from_channel(container: Container, inbound: Inbound, created: dt.datetime | None = CREATED) -> int:
    with transaction(container.session_factory) as s:
        ticket = container.channel_intake.receive(s, inbound).ticket
        ticket.created_at = created or ticket.created_at
        return ticket.id


def _phone_ticket(container: Container) -> int:
    with transaction(container.session_factory) as s:
        ticket = container.tickets.create(s, Actor.system("desk"), subject="Parcel", language="en")
        ticket.created_at = CREATED
        return ticket.id


def _dispatched(ticket_id: int) -> None:
    """What the dispatcher does on TicketCreated: review (assign), then the SLA check."""
    jobs.review_ticket(ticket_id)
    jobs.check_sla(ticket_id)


def _read(container: Container, ticket_id: int) -> Ticket:
    with container.session_factory() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        s.expunge(ticket)
        return ticket


def _assignment_reason(container: Container, ticket_id: int) -> str:
    with container.session_factory() as s:
        return s.scalars(select(TicketChange.reason).where(
            TicketChange.ticket_id == ticket_id, TicketChange.field == "assignee_id")).one()


def test_a_ticket_from_every_channel_gets_due_dates_and_an_agent_like_a_phone_ticket(dispatcher) -> None:
    container = dispatcher
    with transaction(container.session_factory) as s:
        wechat = Skill(name="wechat")
        s.add(wechat)
        s.flush()
        ann, bob = _agent(s, "ann", {wechat.id: 2}), _agent(s, "bob", {})
    phone = _phone_ticket(container)
    _dispatched(phone)
    on_phone = _read(container, phone)
    assert (on_phone.first_response_due_at, on_phone.resolution_due_at) == (FIRST_DUE, RESOLUTION_DUE)
    assert on_phone.assignee_id == ann  # equal load: the lower id
    for n, channel in enumerate((Channel.EMAIL, Channel.WEB, Channel.SMS, Channel.WECHAT)):
        tid = _from_channel(container, _inbound(channel, f"k-{n}"))
        with container.session_factory() as s:
            rules = dispatch_runtime.current().assigner.rules
            ours, theirs = (needs_for(s, t, rules) for t in (s.get(Ticket, tid), s.get(Ticket, phone)))
        _dispatched(tid)
        ticket = _read(container, tid)
        assert ticket.source == channel.value
        assert (ticket.first_response_due_at, ticket.resolution_due_at) == (FIRST_DUE, RESOLUTION_DUE)
        assert ticket.assignee_id is not None
        assert _assignment_reason(container, tid).startswith("dispatcher (matched): ")
        if channel is Channel.WECHAT:
            # Bob has fewer open tickets now, but only Ann works WeChat.
            assert ticket.assignee_id == ann and "wechat>=1 (has 2)" in _assignment_reason(container, tid)
            assert ours.skills == {wechat.id: 1} and theirs.skills == {}
        else:
            assert (ours.skills, ours.language, ours.priority, ours.vip) == \
                (theirs.skills, theirs.language, theirs.priority, theirs.vip)
    with container.session_factory() as s:
        loads = {uid: len(s.scalars(select(Ticket.id).where(Ticket.assignee_id == uid)).all()) for uid in (ann, bob)}
    # Five tickets shared by load: phone, e-mail, web, SMS alternate; WeChat goes to Ann whatever her load.
    assert loads == {ann: 3, bob: 2}


def _clock_state(container: Container, ticket_id: int, now: dt.datetime = NOW) -> str:
    sla = SLA(container.settings.dispatch.sla, ZONE)
    with container.session_factory() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        return sla.clock(ticket_times(s, ticket), "first_response", now).state


def test_only_a_persons_public_reply_stops_the_first_response_clock(dispatcher) -> None:
    container = dispatcher
    agent_id = _agent_user(container)
    tid = _from_channel(container, _inbound(Channel.WEB, "form-1"))
    with transaction(container.session_factory) as s:
        ticket, agent = s.get(Ticket, tid), s.get(User, agent_id)
        assert ticket is not None and agent is not None
        # The web form's automatic acknowledgement, and a colleague's note: no answer yet.
        container.conversations.queue_outbound(s, ticket, Actor.system("webform"), channel=Channel.WEB,
                                               body="We received your message.", recipient="web.user@example.com")
        container.conversations.add_internal_note(s, ticket, "Looks like a lost parcel.", Actor.of(agent))
    assert _read(container, tid).first_responded_at is None
    assert _clock_state(container, tid) == "ok"
    with transaction(container.session_factory) as s:
        ticket, agent = s.get(Ticket, tid), s.get(User, agent_id)
        assert ticket is not None and agent is not None
        container.conversations.queue_outbound(s, ticket, Actor.of(agent), channel=Channel.WEB,
                                               body="We are sending a new parcel today.")
    assert _read(container, tid).first_responded_at is not None
    assert _clock_state(container, tid) in ("met", "met_late")
    # The clock's decided: the check leaves the first-response due date alone and looks only at resolution.
    jobs.check_sla(tid)
    with container.session_factory() as s:
        assert s.scalars(select(TicketChange).where(TicketChange.ticket_id == tid,
                                                    TicketChange.field == "sla_breach")).all() == []


def _agent_user(container: Container) -> int:
    with transaction(container.session_factory) as s:
        return _agent(s, "cy", {})


def test_a_customers_answer_resumes_a_ticket_waiting_on_them(dispatcher) -> None:
    container = dispatcher
    tid = _from_channel(container, _inbound(Channel.WECHAT, "wx-1", "快递没到"), created=None)
    with transaction(container.session_factory) as s:
        ticket = s.get(Ticket, tid)
        assert ticket is not None
        container.tickets.change(s, ticket, Actor.system("test"), status=TicketStatus.PENDING)
    waiting = _read(container, tid)
    assert waiting.sla_paused_at is not None
    again = _from_channel(container, _inbound(Channel.WECHAT, "wx-2", "单号 SF123"), created=None)
    assert again == tid
    ticket = _read(container, tid)
    assert ticket.status is TicketStatus.OPEN and ticket.sla_paused_at is None
    with container.session_factory() as s:
        change = s.scalars(select(TicketChange).where(TicketChange.ticket_id == tid, TicketChange.field == "status")
                           .order_by(TicketChange.id.desc()).limit(1)).one()
        assert (change.old_value, change.new_value, change.reason) == ("pending", "open", "the customer answered")
    # Paused and resumed, the clock runs again (it would say "paused" otherwise).
    assert _clock_state(container, tid, utcnow()) == "ok"
