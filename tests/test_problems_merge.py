"""Merging tickets on SQLite and PostgreSQL: what moves (messages, calls, notes still internal, callbacks,
incidents), the pointer and its redirects (a reply to the old e-mail thread, a quoted number), the undo within a
day (exactly what moved goes back), and the refusals."""
from __future__ import annotations

import datetime as dt
import queue
from typing import Any

import pytest
from sqlalchemy import func, select, update

from callcenter.access.audit import Actor
from callcenter.channels.base import Inbound, Sender
from callcenter.db import transaction
from callcenter.events import TicketMerged, TicketMergeUndone
from callcenter.models import (
    AuditLog,
    Call,
    Channel,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Message,
    Ticket,
    TicketChange,
    TicketMerge,
    TicketNote,
    TicketStatus,
    User,
    utcnow,
)
from callcenter.tickets.service import TicketError
from callcenter.wiring import Container

THREAD = "<first-a@example.com>"


def _as(s: Any, username: str) -> Actor:
    return Actor.of(s.scalar(select(User).where(User.username == username)))


@pytest.fixture
def pair(container: Container, shop) -> dict[str, Any]:
    """Two tickets of one customer about one delivery: A by e-mail (with a note and a call), B by phone."""
    with transaction(container.session_factory) as s:
        sue = _as(s, "sue")
        customer = Customer(name="李雷", language="zh")
        customer.identities = [CustomerIdentity(kind=IdentityKind.EMAIL, value="lilei@example.com")]
        s.add(customer)
        s.flush()
        a = container.tickets.create(s, sue, subject="包裹没到", customer_id=customer.id, source="email")
        b = container.tickets.create(s, sue, subject="快递卡在中转站", customer_id=customer.id)
        other = container.tickets.create(s, sue, subject="发票", customer_id=customer.id)
        s.flush()
        container.conversations.record_inbound(s, a, channel=Channel.EMAIL, channel_key=THREAD, body="包裹三天没到",
                                               subject="包裹没到", sender="lilei@example.com",
                                               customer_id=customer.id)
        secret = container.tickets.add_note(s, a, "内部：仓库断电", sue)
        call = Call(pbx="lab", linkedid="1700000000.91", caller_number="+8613800138000", started_at=utcnow(),
                    ticket_id=a.id)
        s.add(call)
        s.flush()
        return {"a": a.id, "b": b.id, "other": other.id, "a_number": a.number, "b_number": b.number,
                "note": secret.id, "call": call.id, "customer": customer.id}


def _merge(container: Container, source: int, target: int, who: str = "sue") -> int:
    with transaction(container.session_factory) as s:
        a, b = s.get(Ticket, source), s.get(Ticket, target)
        assert a is not None and b is not None
        return container.merges.merge(s, _as(s, who), a, b).id


def _reply(container: Container, **kw: Any) -> int:
    inbound = Inbound(channel=Channel.EMAIL, sender=Sender("email", "lilei@example.com", "李雷"), body="还没到",
                      **kw)
    with transaction(container.session_factory) as s:
        return container.channel_intake.receive(s, inbound).message.ticket_id


def test_merging_moves_everything_and_later_replies_follow(container: Container, pair) -> None:
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(TicketMerged, got.put)
    _merge(container, pair["a"], pair["b"])
    assert got.get(timeout=5).event.into_id == pair["b"]
    with container.session_factory() as s:
        a, b = s.get(Ticket, pair["a"]), s.get(Ticket, pair["b"])
        assert a is not None and b is not None
        assert a.status is TicketStatus.CLOSED and a.merged_into_id == b.id
        assert s.scalar(select(Message.ticket_id).where(Message.channel_key == THREAD)) == b.id
        note = s.get(TicketNote, pair["note"])
        assert note is not None and note.ticket_id == b.id and note.internal  # internal stays internal
        assert s.scalar(select(Call.ticket_id).where(Call.id == pair["call"])) == b.id
        fields = {(c.ticket_id, c.field) for c in s.scalars(select(TicketChange))}
        assert {(a.id, "merged_into"), (a.id, "status"), (b.id, "merged_from")} <= fields
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "ticket_merged")) == 1
    # A reply to A's e-mail thread, and one quoting A's number, land in B.
    assert _reply(container, channel_key="<r1@example.com>", thread_keys=[THREAD]) == pair["b"]
    assert _reply(container, channel_key="<r2@example.com>", subject=f"Re: [#{pair['a_number']}]",
                  ticket_number=pair["a_number"]) == pair["b"]


def test_the_undo_moves_back_exactly_what_moved_for_a_day(container: Container, pair) -> None:
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(TicketMergeUndone, got.put)
    merge_id = _merge(container, pair["a"], pair["b"])
    later = _reply(container, channel_key="<r3@example.com>", thread_keys=[THREAD])  # arrived on B after
    with transaction(container.session_factory) as s:
        merge = s.get(TicketMerge, merge_id)
        assert merge is not None
        a = s.get(Ticket, pair["a"])
        assert a is not None
        merge_a = container.merges.last(s, a)
        assert merge_a is not None and merge_a.id == merge_id
        container.merges.undo(s, _as(s, "ann"), merge)
    assert got.get(timeout=5).event.ticket_id == pair["a"]
    with container.session_factory() as s:
        a = s.get(Ticket, pair["a"])
        assert a is not None and a.merged_into_id is None and a.status is TicketStatus.NEW
        assert s.scalar(select(Message.ticket_id).where(Message.channel_key == THREAD)) == pair["a"]
        assert s.scalar(select(TicketNote.ticket_id).where(TicketNote.id == pair["note"])) == pair["a"]
        assert s.scalar(select(Call.ticket_id).where(Call.id == pair["call"])) == pair["a"]
        assert later == pair["b"]  # what came after the merge stays where it came
        assert s.scalar(select(Message.ticket_id).where(Message.channel_key == "<r3@example.com>")) == pair["b"]
    with transaction(container.session_factory) as s, pytest.raises(TicketError) as twice:
        merge = s.get(TicketMerge, merge_id)
        assert merge is not None
        container.merges.undo(s, _as(s, "sue"), merge)
    assert twice.value.code == "already_undone"
    # A day later a merge stays.
    old = _merge(container, pair["other"], pair["b"])
    with transaction(container.session_factory) as s:
        s.execute(update(TicketMerge).where(TicketMerge.id == old).values(created_at=utcnow() - dt.timedelta(hours=25)))
    with transaction(container.session_factory) as s, pytest.raises(TicketError) as late:
        merge = s.get(TicketMerge, old)
        assert merge is not None
        other = s.get(Ticket, pair["other"])
        assert other is not None and container.merges.last(s, other) is None
        container.merges.undo(s, _as(s, "sue"), merge)
    assert late.value.code == "too_late"


def test_merges_that_make_no_sense_or_no_right_are_refused(container: Container, pair) -> None:
    for source, target, who, code in ((pair["a"], pair["a"], "sue", "same_ticket"),
                                      (pair["a"], pair["b"], "quinn", "forbidden")):
        with pytest.raises(TicketError) as refused:
            _merge(container, source, target, who)
        assert refused.value.code == code
    _merge(container, pair["a"], pair["b"])
    with pytest.raises(TicketError) as again:
        _merge(container, pair["a"], pair["other"])
    assert again.value.code == "already_merged"
    # Merging into a merged ticket merges into where it went.
    _merge(container, pair["other"], pair["a"])
    with container.session_factory() as s:
        assert s.scalar(select(Ticket.merged_into_id).where(Ticket.id == pair["other"])) == pair["b"]
