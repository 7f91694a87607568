"""Retention and erasure remove exactly what they should; running them twice changes nothing."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from callcenter.config import RetentionSettings
from callcenter.db import transaction
from callcenter.governance import erasure, purge
from callcenter.models import (
    AuditLog,
    Call,
    Callback,
    CallbackSource,
    CallbackStatus,
    Customer,
    CustomerPhone,
    DeskPop,
    Disposition,
    Party,
    Queue,
    Recording,
    Role,
    Ticket,
    Transcript,
    User,
)

from .deskdata import write_wav
from .support.services import TEST

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _call(s, n, queue, age_days, customer=None, number=None):
    c = Call(pbx="lab", linkedid=f"g.{n}", queue_name=queue, started_at=NOW - age_days * DAY,
             disposition=Disposition.ANSWERED, talk_seconds=60, caller_number=number, caller_name="X",
             customer_id=customer)
    s.add(c)
    s.flush()
    s.add(Recording(call_id=c.id, party=Party.MIXED, path=f"g{n}.wav"))
    s.add(Transcript(call_id=c.id, text=f"words of call {n}"))
    return c


def test_retention_per_queue(session_factory, tmp_path) -> None:
    root = tmp_path / "rec"
    with transaction(session_factory) as s:
        s.add_all([Queue(name="support"), Queue(name="billing")])
        _call(s, 1, "support", 40)   # recording and transcript older than 30 days: go
        _call(s, 2, "support", 10)   # young: stays
        _call(s, 3, "billing", 40)   # billing keeps recordings a year, the call record 60 days
        _call(s, 4, "billing", 400)  # older than a year: recording goes, and the call record too
        _call(s, 5, None, 40)        # no queue: the default policy
    for n in range(1, 6):
        write_wav(root / f"g{n}.wav", 0.1)
    settings = RetentionSettings.model_validate({
        "default": {"recordings_days": 30, "transcripts_days": 30},
        "queues": {"billing": {"recordings_days": 365, "transcripts_days": 365, "calls_days": 60}}})
    with transaction(session_factory) as s:
        first = purge.purge(s, settings, root, TEST, now=NOW)
    assert (first.recordings, first.files, first.transcripts, first.calls) == (3, 3, 3, 1)
    assert sorted(p.name for p in root.iterdir()) == ["g2.wav", "g3.wav"]
    with session_factory() as s:
        assert sorted(s.scalars(select(Call.linkedid))) == ["g.1", "g.2", "g.3", "g.5"]
        assert sorted(s.scalars(select(Transcript.text))) == ["words of call 2", "words of call 3"]
        kept = {r.path: r.purged_at for r in s.scalars(select(Recording))}
        assert kept["g2.wav"] is None and kept["g3.wav"] is None and kept["g1.wav"] is not None
    with transaction(session_factory) as s:
        second = purge.purge(s, settings, root, TEST, now=NOW)
    assert not second.any()
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "retention_purge")) == 1


def test_erasure_of_one_customer(session_factory, settings) -> None:
    root = settings.recordings_dir()
    with transaction(session_factory) as s:
        wang = Customer(name="王芳", email="wang@example.cn", phones=[CustomerPhone(number="+8613800138000")])
        other = Customer(name="Li Lei", phones=[CustomerPhone(number="+8613900139000")])
        s.add_all([wang, other])
        s.flush()
        c1 = _call(s, 1, "support", 5, wang.id, "+8613800138000")
        _call(s, 2, "support", 5, None, "+8613800138000")  # same number, before she was a customer
        c3 = _call(s, 3, "support", 5, other.id, "+8613900139000")
        s.add(Ticket(subject="Her address is ...", description="lives at ...", customer_id=wang.id,
                     origin_call_id=c1.id, number="1"))
        s.add(Callback(number="+8613800138000", source=CallbackSource.IVR, customer_id=wang.id, due_at=NOW))
        agent = User(username="ann", role=Role.AGENT, password_hash="-")
        s.add(agent)
        s.flush()
        s.add_all([DeskPop(user_id=agent.id, call_id=c1.id, key="lab:g.1", payload={"customer": {"name": "王芳"}}),
                   DeskPop(user_id=agent.id, call_id=c3.id, key="lab:g.3", payload={})])
        wang_id = wang.id
    for n in (1, 2, 3):
        write_wav(root / f"g{n}.wav", 0.1)
    with transaction(session_factory) as s:
        removed = erasure.erase_customer(s, wang_id, settings, TEST, reason="GDPR request #17")
    assert (removed.recordings, removed.transcripts, removed.calls) == (2, 2, 2)
    assert [p.name for p in root.iterdir()] == ["g3.wav"]
    with session_factory() as s:
        wang = s.get(Customer, wang_id)
        assert wang.name == "[erased]" and wang.email is None and wang.erased_at is not None
        assert s.scalar(select(func.count()).select_from(CustomerPhone)) == 1  # Li Lei's
        calls = {c.linkedid: c for c in s.scalars(select(Call))}
        assert calls["g.1"].caller_number is None and calls["g.2"].caller_name is None
        assert calls["g.1"].talk_seconds == 60 and calls["g.1"].disposition is Disposition.ANSWERED  # stats stay
        assert calls["g.3"].caller_number == "+8613900139000"
        assert s.scalar(select(Ticket.description)) == "[erased]"
        cb = s.scalar(select(Callback))
        assert cb.status is CallbackStatus.CANCELLED and cb.number == "[erased]"
        assert [t.text for t in s.scalars(select(Transcript))] == ["words of call 3"]
        assert [p.key for p in s.scalars(select(DeskPop))] == ["lab:g.3"]  # her pop on a desk is gone too
    with transaction(session_factory) as s:
        again = erasure.erase_customer(s, wang_id, settings, TEST, reason="again")
    assert not again.any()
    with session_factory() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "customer_erased")).all()
        assert len(rows) == 1 and rows[0].detail["reason"] == "GDPR request #17"


def test_retention_takes_old_messages_and_files_of_finished_tickets_only(container, shop) -> None:
    from callcenter.access.audit import Actor
    from callcenter.governance import retention
    from callcenter.models import Attachment, Message, Ticket, TicketStatus

    from .deskdata import add_conversation

    ids = add_conversation(container, shop.ticket_number)
    store = container.conversations.store
    with container.session_factory() as s:
        photo = s.get(Attachment, ids["photo"])
        assert photo is not None and store.file_for(photo) is not None
    settings = container.settings.model_copy(update={"retention": RetentionSettings(default={"messages_days": 30})})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    # The ticket is still open: its conversation stays, however old.
    kept = retention.run_purge(container.session_factory, settings, key="p1", actor=TEST, now=later)
    assert kept is not None and kept.total.messages == 0
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        container.tickets.change(s, ticket, Actor.system("test"), status=TicketStatus.CLOSED)
    dry = retention.run_purge(container.session_factory, settings, key=None, actor=TEST, now=later, dry_run=True)
    assert dry is not None and (dry.total.messages, dry.total.attachments) == (2, 1)
    assert store.file_for(photo) is not None  # a dry run touches no file
    done = retention.run_purge(container.session_factory, settings, key="p2", actor=TEST, now=later)
    assert done is not None and (done.total.messages, done.total.attachments) == (2, 1)
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
        assert retention.recent_runs(s)[0]["messages"] == 2
    assert not (container.settings.attachments_dir() / str(ids["photo"])).exists()
    again = retention.run_purge(container.session_factory, settings, key="p3", actor=TEST, now=later)
    assert again is not None and again.total.messages == 0
