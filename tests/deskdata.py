"""A small call centre for desk and API tests: a team, queues, agents, a call, a recording."""
from __future__ import annotations

import datetime as dt
import wave
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.access import accounts
from callcenter.access import scopes as api_scopes
from callcenter.access import tokens as api_tokens
from callcenter.access.audit import Actor
from callcenter.conversations.attachments import IncomingFile
from callcenter.db import transaction
from callcenter.models import (
    AgentQueue,
    Call,
    Callback,
    CallbackSource,
    CallStatus,
    Channel,
    Customer,
    CustomerPhone,
    Disposition,
    Party,
    Queue,
    Recording,
    Survey,
    SurveyChannel,
    SurveyStatus,
    Team,
    Ticket,
    User,
    VipTier,
)
from callcenter.wiring import Container
from tests.support import services

PASSWORD = "correct-horse-1"
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@dataclass
class Shop:
    users: dict[str, int]
    tokens: dict[str, str]
    call_id: int  # answered by ann, in ann's queue, with a recording
    other_call_id: int  # answered by bob, in sales
    recording_id: int
    other_recording_id: int
    ticket_number: str  # support ticket assigned to ann
    other_ticket_number: str  # sales ticket assigned to bob
    customer_id: int


def write_wav(path: Path, seconds: float = 1.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * int(8000 * seconds))


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    assert user is not None
    return user


def build(session_factory: sessionmaker[Session], recordings_dir: Path) -> Shop:
    users: dict[str, int] = {}
    tokens: dict[str, str] = {}
    with transaction(session_factory) as s:
        for name, role, iface in (("ann", "agent", "PJSIP/agent1001"), ("bob", "agent", "PJSIP/agent1002"),
                                  ("sue", "supervisor", None), ("quinn", "qa", None), ("ada", "admin", None),
                                  ("sam", "supervisor", None)):
            user, _ = accounts.create_user(s, name, role, PASSWORD, sip_interface=iface)
            tokens[name] = api_tokens.mint(s, user, services.TEST, scopes=api_scopes.ALL)[1]
            users[name] = user.id
        team = Team(name="Support team", supervisor_id=users["sue"])
        s.add(team)
        s.flush()
        for name in ("ann", "sue"):
            _user(s, users[name]).team_id = team.id
        support = Queue(name="support", team_id=team.id)
        sales = Queue(name="sales")
        s.add_all([support, sales])
        s.flush()
        ann, bob = _user(s, users["ann"]), _user(s, users["bob"])
        assert ann.agent is not None and bob.agent is not None
        s.add(AgentQueue(agent_id=ann.agent.id, queue_id=support.id))
        s.add(AgentQueue(agent_id=bob.agent.id, queue_id=sales.id))
        customer = Customer(name="王芳", language="zh", vip_tier=VipTier.GOLD,
                            phones=[CustomerPhone(number="+8613800138000")])
        s.add(customer)
        s.flush()
        call = Call(pbx="lab", linkedid="1700000000.1", caller_number="+8613800138000", caller_name="WANG",
                    customer_id=customer.id, queue_name="support", queue_id=support.id, agent_id=ann.id,
                    started_at=T0, answered_at=T0 + dt.timedelta(seconds=20), ended_at=T0 + dt.timedelta(minutes=3),
                    status=CallStatus.COMPLETE, disposition=Disposition.ANSWERED, ivr={"category": "support"})
        other = Call(pbx="lab", linkedid="1700000000.9", caller_number="+12025550143", queue_name="sales",
                     queue_id=sales.id, agent_id=bob.id, started_at=T0, status=CallStatus.COMPLETE,
                     disposition=Disposition.ANSWERED)
        s.add_all([call, other])
        s.flush()
        rec = Recording(call_id=call.id, party=Party.MIXED, path="1700000000.1-1700000000.2.wav")
        other_rec = Recording(call_id=other.id, party=Party.MIXED, path="1700000000.9-1700000000.10.wav")
        s.add_all([rec, other_rec])
        tickets = services.tickets()
        t1 = tickets.create(s, Actor.of(ann), subject="Router down", category="support", queue_id=support.id,
                            assignee_id=ann.id, customer_id=customer.id)
        t2 = tickets.create(s, Actor.of(bob), subject="New contract", category="sales", queue_id=sales.id,
                            assignee_id=bob.id)
        s.flush()
        assert t1.number is not None and t2.number is not None
        shop = Shop(users, tokens, call.id, other.id, rec.id, other_rec.id, t1.number, t2.number, customer.id)
    write_wav(recordings_dir / "1700000000.1-1700000000.2.wav", 2.0)
    write_wav(recordings_dir / "1700000000.9-1700000000.10.wav", 1.0)
    return shop


@dataclass
class Billing:
    """A second team beside the shop's: its own supervisor, agent, queue, call, tickets, callback, survey."""
    team_id: int
    supervisor: str  # bea, leads the billing team
    agent: str  # cai, serves the billing queue
    ticket_number: str  # billing ticket of the shop's customer, assigned to cai
    subject: str
    callbacks: dict[str, int]  # "support" (ann's queue), "billing"
    surveys: dict[str, int]  # "support" (ann, score 5), "billing" (cai, score 1)


def add_billing(session_factory: sessionmaker[Session], shop: Shop) -> Billing:
    """Extend the shop with a billing team; the customer 王芳 has an open ticket there too."""
    with transaction(session_factory) as s:
        for name, role, iface in (("bea", "supervisor", None), ("cai", "agent", "PJSIP/agent1003")):
            user, _ = accounts.create_user(s, name, role, PASSWORD, sip_interface=iface)
            shop.tokens[name] = api_tokens.mint(s, user, services.TEST, scopes=api_scopes.ALL)[1]
            shop.users[name] = user.id
        team = Team(name="Billing team", supervisor_id=shop.users["bea"])
        s.add(team)
        s.flush()
        cai = _user(s, shop.users["cai"])
        cai.team_id = team.id
        billing = Queue(name="billing", team_id=team.id)
        s.add(billing)
        s.flush()
        assert cai.agent is not None
        s.add(AgentQueue(agent_id=cai.agent.id, queue_id=billing.id))
        support = s.scalars(select(Queue).where(Queue.name == "support")).one()
        call = Call(pbx="lab", linkedid="1700000000.20", caller_number="+8613800138000",
                    customer_id=shop.customer_id, queue_name="billing", queue_id=billing.id, agent_id=cai.id,
                    started_at=T0, answered_at=T0 + dt.timedelta(seconds=5), ended_at=T0 + dt.timedelta(minutes=2),
                    status=CallStatus.COMPLETE, disposition=Disposition.ANSWERED)
        s.add(call)
        s.flush()
        subject = "Invoice charged twice"
        ticket = services.tickets().create(s, Actor.of(cai), subject=subject, category="billing",
                                           queue_id=billing.id, team_id=team.id, assignee_id=cai.id,
                                           customer_id=shop.customer_id)
        s.flush()
        ann_ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        done = T0 + dt.timedelta(hours=1)
        callbacks = {"support": Callback(number="+8613800138000", source=CallbackSource.IVR, queue_id=support.id,
                                         ticket_id=ann_ticket.id, due_at=T0),
                     "billing": Callback(number="+8613800138000", source=CallbackSource.IVR, queue_id=billing.id,
                                         ticket_id=ticket.id, assigned_agent_id=cai.id, due_at=T0)}
        surveys = {"support": Survey(channel=SurveyChannel.IVR, status=SurveyStatus.COMPLETED, call_id=shop.call_id,
                                     ticket_id=ann_ticket.id, agent_id=shop.users["ann"], score=5, completed_at=done),
                   "billing": Survey(channel=SurveyChannel.IVR, status=SurveyStatus.COMPLETED, call_id=call.id,
                                     ticket_id=ticket.id, agent_id=cai.id, score=1, completed_at=done)}
        s.add_all([*callbacks.values(), *surveys.values()])
        s.flush()
        assert ticket.number is not None
        return Billing(team.id, "bea", "cai", ticket.number, subject,
                       {k: c.id for k, c in callbacks.items()}, {k: v.id for k, v in surveys.items()})


def add_conversation(container: Container, number: str) -> dict[str, int]:
    """An e-mail in (a photo kept, a video refused), a reply queued, an internal note; the call attached."""
    conv = container.conversations
    big = b"0" * (container.settings.conversations.max_attachment_bytes + 1)
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        ann = Actor.of(s.scalars(select(User).where(User.username == "ann")).one())
        call = s.scalars(select(Call).where(Call.agent_id == ann.user_id)).first()
        assert call is not None
        call.ticket_id = ticket.id
        got = conv.record_inbound(s, ticket, channel=Channel.EMAIL, channel_key="<p1@example.com>",
                                  sender="wang@example.com", subject="Still down", body="It blinks red.",
                                  attachments=[IncomingFile("router.jpg", "image/jpeg", b"\xff\xd8 photo"),
                                               IncomingFile("clip.mp4", "video/mp4", big)])
        reply = conv.queue_outbound(s, ticket, ann, channel=Channel.EMAIL, body="An engineer calls today.",
                                    recipient="wang@example.com")
        note = conv.add_internal_note(s, ticket, "Engineer booked for 14:00.", ann)
        s.flush()
        return {"inbound": got.message.id, "reply": reply.id, "note": note.id,
                "photo": got.message.attachments[0].id, "clip": got.message.attachments[1].id}
