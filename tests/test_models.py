"""Constraints the rest of the system relies on, on both engines."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callcenter.db import transaction
from callcenter.models import (
    Call,
    Customer,
    CustomerPhone,
    Disposition,
    Survey,
    SurveyChannel,
    Ticket,
    TicketChange,
    VipTier,
)

T0 = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def test_one_call_per_linkedid_per_pbx(session_factory) -> None:
    with transaction(session_factory) as s:
        s.add(Call(pbx="lab", linkedid="1700000000.1", started_at=T0))
        s.add(Call(pbx="hq", linkedid="1700000000.1", started_at=T0))  # another PBX: fine
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(Call(pbx="lab", linkedid="1700000000.1", started_at=T0))


def test_times_come_back_aware_utc(session_factory) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    with transaction(session_factory) as s:
        s.add(Call(pbx="lab", linkedid="1.2", started_at=T0.astimezone(shanghai),
                   disposition=Disposition.ABANDONED_QUEUE, ivr={"path": ["1", "9"]}))
    with session_factory() as s:
        call = s.scalar(select(Call))
        assert call.started_at == T0 and call.started_at.tzinfo is not None
        assert call.started_at.utcoffset() == dt.timedelta(0)
        assert call.disposition is Disposition.ABANDONED_QUEUE and call.ivr == {"path": ["1", "9"]}


def test_naive_datetimes_are_refused(session_factory) -> None:
    with pytest.raises(Exception, match="naive"), transaction(session_factory) as s:
        s.add(Call(pbx="lab", linkedid="1.3", started_at=dt.datetime(2026, 1, 1)))


def test_phone_numbers_are_unique_across_customers(session_factory) -> None:
    with transaction(session_factory) as s:
        s.add(Customer(name="李雷", vip_tier=VipTier.GOLD, language="zh",
                       phones=[CustomerPhone(number="+8613800138000")]))
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(Customer(name="Han Meimei", phones=[CustomerPhone(number="+8613800138000")]))


def test_one_survey_per_ticket_and_ticket_history(session_factory) -> None:
    with transaction(session_factory) as s:
        t = Ticket(subject="Router down", category="support")
        t.changes.append(TicketChange(field="status", old_value=None, new_value="new"))
        s.add(t)
        s.flush()
        s.add(Survey(channel=SurveyChannel.IVR, ticket_id=t.id, score=4))
        tid = t.id
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(Survey(channel=SurveyChannel.OUTBOUND, ticket_id=tid))
    with session_factory() as s:
        assert [c.field for c in s.get(Ticket, tid).changes] == ["status"]


def test_bad_enum_value_is_refused(session_factory) -> None:
    with pytest.raises((LookupError, ValueError, Exception)), transaction(session_factory) as s:
        s.add(Customer(name="x", vip_tier="diamond"))
