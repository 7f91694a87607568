"""SLA with a controllable clock: business hours, holidays, pauses, warnings, escalation."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from callcenter.config import AssignmentRules, SLASettings
from callcenter.db import transaction
from callcenter.dispatch import runs
from callcenter.dispatch.assigner import Assigner
from callcenter.dispatch.calendar import BusinessCalendar, CalendarError, DailyWindow
from callcenter.dispatch.escalation import Escalator
from callcenter.dispatch.notifier import DispatchNotifier
from callcenter.dispatch.sla import SLA, TicketTimes, pauses_from_history
from callcenter.models import Priority, Role, Team, Ticket, TicketChange, TicketStatus, User
from tests.support import services
from tests.support.rows import row
from tests.support.services import TEST

UTC = dt.UTC
TZ = "Asia/Shanghai"  # UTC+8, no DST
HOURS = SLASettings().business_hours
tickets = services.tickets()


def local(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(y, m, d, h, mi, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def test_business_time_skips_nights_weekends_and_holidays() -> None:
    cal = BusinessCalendar(HOURS, ["2025-03-10"], TZ)
    fri_5pm = local(2025, 3, 7, 17)  # a Friday
    # 4 business hours: 1 on Friday, Monday the 10th is a holiday, 3 on Tuesday.
    assert cal.add(fri_5pm, 4 * 3600) == local(2025, 3, 11, 12)
    assert cal.elapsed(fri_5pm, local(2025, 3, 11, 12)) == 4 * 3600
    assert cal.next_open(local(2025, 3, 8, 11)) == local(2025, 3, 11, 9)
    assert cal.is_open(local(2025, 3, 7, 9, 30)) and not cal.is_open(local(2025, 3, 7, 20))
    with pytest.raises(CalendarError):
        BusinessCalendar(dict.fromkeys(HOURS, ""), [], TZ)
    with pytest.raises(CalendarError):
        BusinessCalendar({"mon": "9-5pm"}, [], TZ)


def test_daily_windows_for_calling_and_quiet_hours() -> None:
    calling = DailyWindow("09:00-20:00", TZ)
    assert calling.allows(local(2025, 3, 7, 10)) and not calling.allows(local(2025, 3, 7, 21))
    assert calling.next_allowed(local(2025, 3, 7, 21)) == local(2025, 3, 8, 9)
    quiet = DailyWindow("20:00-09:00", TZ, inverted=True)  # wraps past midnight
    assert not quiet.allows(local(2025, 3, 7, 23)) and not quiet.allows(local(2025, 3, 8, 8))
    assert quiet.next_allowed(local(2025, 3, 7, 23)) == local(2025, 3, 8, 9)
    assert DailyWindow("", TZ).allows(local(2025, 3, 7, 3))


def test_policy_per_priority_and_category_and_pauses() -> None:
    sla = SLA(SLASettings(overrides={"billing:high": [30, 120], "vip:*": [5, 60]}), TZ)
    assert sla.minutes("general", "high") == (60, 480)
    assert sla.minutes("billing", "high") == (30, 120)
    assert sla.minutes("vip", "low") == (5, 60)
    created = local(2025, 3, 7, 9)
    history = [("new", "pending", local(2025, 3, 7, 10)), ("pending", "open", local(2025, 3, 7, 12))]
    t = TicketTimes(created, "normal", "general", "open", pauses=pauses_from_history(history, None))
    # 09:00-14:00 is 5 business hours, 2 of them paused.
    assert sla.consumed(t, local(2025, 3, 7, 14)) == 3 * 3600
    still = TicketTimes(created, "normal", "general", "pending",
                        pauses=pauses_from_history(history[:1], local(2025, 3, 7, 10)))
    clock = sla.clock(still, "first_response", local(2025, 3, 7, 17))
    assert clock.state == "paused" and clock.consumed == 3600
    urgent = TicketTimes(local(2025, 3, 8, 2), "urgent", "general", "new")  # Saturday night
    c = sla.clock(urgent, "first_response", local(2025, 3, 8, 2, 10))
    assert c.state == "ok" and c.due_at == local(2025, 3, 8, 2, 15)  # around the clock


@pytest.fixture
def sla_world(session_factory):
    with transaction(session_factory) as s:
        team = Team(name="support")
        s.add(team)
        s.flush()
        boss = User(username="boss", role=Role.SUPERVISOR, password_hash="x", team_id=team.id)
        s.add(boss)
        s.flush()
        team.supervisor_id = boss.id
        ticket = tickets.create(s, TEST, subject="printer on fire", priority=Priority.NORMAL, team_id=team.id)
        ticket.created_at = local(2025, 3, 7, 16)  # Friday 16:00, normal: 240 / 1440 min
        return ticket.id, boss.id


def test_warnings_and_escalations_fire_at_the_right_business_times(session_factory, sla_world) -> None:
    ticket_id, boss_id = sla_world
    escalator = Escalator(SLA(SLASettings(), TZ), ["notify", "raise_priority", "supervisor"],
                          dt.timedelta(minutes=30), Assigner(AssignmentRules(), tickets), tickets,
                          DispatchNotifier(None))

    def check(at: dt.datetime) -> dt.datetime | None:
        with transaction(session_factory) as s:
            return escalator.check(s, ticket_id, at)

    def changes(field: str) -> list[TicketChange]:
        with session_factory() as s:
            return list(s.scalars(select(TicketChange).where(TicketChange.ticket_id == ticket_id,
                                                             TicketChange.field == field)))

    # First response: 4 business hours from Fri 16:00 = Mon 11:00; warning at 80% = Mon 10:12.
    nxt = check(local(2025, 3, 7, 17))
    assert nxt == local(2025, 3, 10, 10, 12)
    with session_factory() as s:
        assert s.get(Ticket, ticket_id).first_response_due_at == local(2025, 3, 10, 11)
    assert check(local(2025, 3, 8, 12)) == nxt  # the weekend does not count
    assert changes("sla_warning") == []
    nxt = check(local(2025, 3, 10, 10, 12))
    assert [c.new_value for c in changes("sla_warning")] == ["first_response"]
    assert nxt == local(2025, 3, 10, 11)
    check(local(2025, 3, 10, 10, 30))  # again: nothing new
    assert len(changes("sla_warning")) == 1 and changes("sla_breach") == []
    nxt = check(local(2025, 3, 10, 11))
    assert [c.new_value for c in changes("sla_breach")] == ["first_response"]
    assert [c.new_value for c in changes("escalation")] == ["notify"]
    assert nxt == local(2025, 3, 10, 11, 30)
    check(local(2025, 3, 10, 11, 10))  # before the interval: no second step
    assert len(changes("escalation")) == 1
    check(local(2025, 3, 10, 11, 30))
    check(local(2025, 3, 10, 12, 0))
    assert [c.new_value for c in changes("escalation")] == ["notify", "raise_priority", "supervisor"]
    with session_factory() as s:
        t = s.get(Ticket, ticket_id)
        assert t.priority is Priority.HIGH and t.assignee_id == boss_id
        assert runs.count_prefix(s, f"sla:{ticket_id}:first_response:step:") == 3
    assert check(local(2025, 3, 10, 13)) is not None  # resolution clock still ahead


def test_answered_in_time_stops_the_first_response_clock(session_factory, sla_world) -> None:
    ticket_id, _ = sla_world
    escalator = Escalator(SLA(SLASettings(), TZ), ["notify"], dt.timedelta(minutes=30),
                          Assigner(AssignmentRules(), tickets), tickets, DispatchNotifier(None))
    with transaction(session_factory) as s:
        t = row(s, Ticket, ticket_id)
        t.first_responded_at = local(2025, 3, 7, 16, 30)
        tickets.change(s, t, TEST, status=TicketStatus.PENDING, reason="asked the customer")
    with transaction(session_factory) as s:
        assert escalator.check(s, ticket_id, local(2025, 3, 20, 12)) is None  # paused: no timer
        assert s.scalar(select(TicketChange).where(TicketChange.field == "sla_breach")) is None
