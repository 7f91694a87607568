"""Defining queues (SQLite and PostgreSQL): every setting checked, each change audited and announced;
queues Asterisk has become rows; the queue's form pops, its hours drive the SLA clock and the IVR."""
from __future__ import annotations

import datetime as dt
import queue as queue_module
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.ami.rows import Directory
from callcenter.db import transaction
from callcenter.dispatch.escalation import ticket_times
from callcenter.dispatch.sla import SLA
from callcenter.events import QueueDefined
from callcenter.forms import catalog
from callcenter.i18n import Refusal
from callcenter.models import AuditLog, Call, FormDefinition, Priority, Queue, Skill, Team, Ticket, TicketStatus
from callcenter.queues import discovery, fields, hours, routing

ADMIN = Actor.system("cli:test")
LONDON = "Europe/London"


@pytest.fixture
def world(container: Any) -> Any:
    with transaction(container.session_factory) as s:
        catalog.sync_files(s)
        s.add_all([Team(name="Support team"), Skill(name="billing"), Queue(name="support")])
    return container


def create(c: Any, name: str, **changes: Any) -> None:
    with transaction(c.session_factory) as s:
        c.queues.create(s, ADMIN, name, **changes)


def edit(c: Any, name: str, **changes: Any) -> None:
    with transaction(c.session_factory) as s:
        c.queues.edit(s, ADMIN, name, **changes)


def row(c: Any, name: str) -> Queue:
    with c.session_factory() as s:
        found: Queue | None = s.scalar(select(Queue).where(Queue.name == name))
        assert found is not None
        s.expunge(found)
        return found


def audits(c: Any, action: str) -> list[AuditLog]:
    with c.session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def refused(c: Any, call: Any, *args: Any, **kwargs: Any) -> dict[str, Refusal]:
    with pytest.raises(Refusal) as caught:
        call(c, *args, **kwargs)
    exc = caught.value
    return exc.errors if isinstance(exc, fields.InvalidQueue) else {exc.field or "": exc}


def test_a_queue_is_created_with_every_setting_audited_and_announced(world: Any) -> None:
    seen: queue_module.Queue[Any] = queue_module.Queue()
    world.bus.subscribe(QueueDefined, seen.put)
    create(world, "vip_line", display_name="VIP line", display_name_zh="贵宾专线", language="zh",
           team="Support team", skill="billing", service_level_seconds="15", service_level_target=90,
           business_hours={"mon": "08:00-20:00", "tue": "24h", "sat": "10:00-24:00"}, default_form="billing",
           recording=False, did="+44 20 7946 0000", monitoring_allowed=False)
    q = row(world, "vip_line")
    assert (q.managed, q.is_active, q.recording, q.monitoring_allowed, q.did) == (True, True, False, False,
                                                                                 "+442079460000")
    assert (q.display_name_zh, q.language, q.default_form, q.service_level_seconds, q.service_level_target) == (
        "贵宾专线", "zh", "billing", 15, 90)
    assert q.business_hours == {"mon": "08:00-20:00", "tue": "24h", "wed": "", "thu": "", "fri": "",
                                "sat": "10:00-24:00", "sun": ""}
    assert q.team_id is not None and q.skill_id is not None
    [created] = audits(world, "queue_created")
    assert (created.actor_name, created.object_id, created.detail["recording"]) == ("cli:test", str(q.id), False)
    message = seen.get(timeout=5)
    assert (message.event.queue, message.event.queue_id, message.event.actor) == ("vip_line", q.id, "cli:test")


def test_every_bad_value_is_refused_at_once_and_nothing_is_stored(world: Any) -> None:
    errors = refused(world, create, "Bad-Name", language="fr", team="nobody", skill="nothing",
                     service_level_seconds=0, service_level_target="101", business_hours={"mon": "18:00-09:00"},
                     default_form="no_such_form", recording="yes", did="100", display_name="two\nlines")
    assert set(errors) == {"name", "language", "team", "skill", "service_level_seconds", "service_level_target",
                           "business_hours", "default_form", "recording", "did", "display_name"}
    assert errors["did"].code == "reserved" and errors["name"].code == "bad_name"
    assert errors["business_hours"].params == {"day": "mon"}
    with world.session_factory() as s:
        assert s.scalar(select(Queue).where(Queue.name == "Bad-Name")) is None
    assert audits(world, "queue_created") == []


@pytest.mark.parametrize("value,code", [({"mon": ""}, "never_open"), ({"funday": "09:00-10:00"}, "bad_hours"),
                                        ({"mon": "9-5"}, "bad_hours"), ({"mon": 9}, "bad_hours")])
def test_hours_that_cannot_be_kept_are_refused(world: Any, value: dict[str, Any], code: str) -> None:
    assert refused(world, create, "hours_q", business_hours=value)["business_hours"].code == code


def test_names_and_numbers_are_unique(world: Any) -> None:
    create(world, "sales", did="5550100")
    assert refused(world, create, "support")["name"].code == "taken"
    assert refused(world, create, "general")["name"].code == "bad_name"  # queues.conf's own section
    assert refused(world, create, "other", did="+5550100")["did"].params == {"did": "+5550100", "name": "sales"}
    edit(world, "sales", did="5550100")  # its own number is not taken
    assert audits(world, "queue_changed") == []  # and unchanged is not a change


def test_an_edit_records_old_and_new_and_clears_what_may_be_empty(world: Any) -> None:
    create(world, "sales", did="5550100", default_form="sales", team="Support team")
    edit(world, "sales", did="", default_form=None, team="", service_level_target=75, business_hours={})
    q = row(world, "sales")
    assert (q.did, q.default_form, q.team_id, q.service_level_target) == (None, None, None, 75)
    [changed] = audits(world, "queue_changed")
    assert changed.detail["changes"]["did"] == ["5550100", None]
    assert changed.detail["changes"]["service_level_target"] == [80, 75]
    assert "business_hours" not in changed.detail["changes"]  # {} was {} already


def test_retire_keeps_the_row_and_the_default_queue_stays(world: Any) -> None:
    create(world, "sales", did="5550100")
    with transaction(world.session_factory) as s:
        world.queues.retire(s, ADMIN, "sales")
    assert row(world, "sales").is_active is False
    with world.session_factory() as s:
        assert routing.by_did(s, "5550100") is None  # a retired queue's number leads nowhere
        entry = routing.entry(s, "sales", "support")
        assert entry is not None and entry.name == "support"  # its callers go to the default queue
    with pytest.raises(Refusal) as caught, transaction(world.session_factory) as s:
        world.queues.retire(s, ADMIN, "support")
    assert caught.value.code == "default_queue"
    with transaction(world.session_factory) as s:
        world.queues.reinstate(s, ADMIN, "sales")
    assert [a.action for a in audits(world, "queue_retired") + audits(world, "queue_reinstated")] == [
        "queue_retired", "queue_reinstated"]


def test_queues_asterisk_has_become_rows_once(world: Any) -> None:
    with transaction(world.session_factory) as s:
        assert discovery.ensure(s, ["support", "billing", "soak", "Bad Name", "general"]) == ["billing", "soak"]
    with transaction(world.session_factory) as s:
        assert discovery.ensure(s, ["billing", "soak"]) == []
    billing = row(world, "billing")
    assert (billing.managed, billing.is_active, billing.display_name) == (False, True, "Billing")
    assert [a.detail["queue"] for a in audits(world, "queue_discovered")] == ["billing", "soak"]


def test_the_bridge_writer_gives_a_call_of_an_unknown_queue_its_row(world: Any) -> None:
    directory = Directory()
    with transaction(world.session_factory) as s:
        assert directory.queue_id(s, "support") is not None
        directory.learn(s, {"webdesk", None, "Not a queue"})
        new_id = directory.queue_id(s, "webdesk")
    assert new_id == row(world, "webdesk").id
    with transaction(world.session_factory) as s:  # a name that cannot be a queue is tried once
        directory.learn(s, {"Not a queue"})
        assert directory.queue_id(s, "Not a queue") is None


def _slug(form: FormDefinition | None) -> str:
    assert form is not None
    return form.slug


def test_the_queue_default_form_is_what_the_desk_pops(world: Any) -> None:
    create(world, "vip", default_form="billing")
    with transaction(world.session_factory) as s:
        vip_id = s.scalar(select(Queue.id).where(Queue.name == "vip"))
        now = dt.datetime.now(dt.UTC)
        call = Call(pbx="lab", linkedid="f.1", queue_name="vip", queue_id=vip_id, ivr={"category": "support"},
                    started_at=now)
        plain = Call(pbx="lab", linkedid="f.2", queue_name="support", ivr={"category": "sales"}, started_at=now)
        early = Call(pbx="lab", linkedid="f.3", started_at=now)  # the pop came before the row knew its queue
        s.add_all([call, plain, early])
        s.flush()
        assert _slug(catalog.form_for_call(s, call)) == "billing"
        assert _slug(catalog.form_for_call(s, plain)) == "sales"  # no default form: the category's
        assert _slug(catalog.form_for_call(s, early, "vip")) == "billing"
        s.scalars(select(Queue).where(Queue.name == "vip")).one().default_form = "gone"
        assert _slug(catalog.form_for_call(s, call)) == "support"  # a form no longer active: the category's


def test_the_sla_clock_counts_the_queue_own_hours(world: Any) -> None:
    world.settings.timezone = LONDON
    create(world, "weekend", business_hours={"sat": "10:00-14:00", "sun": "10:00-14:00"})
    friday = dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)  # the centre: Mon-Fri 09-18, one hour left today
    with transaction(world.session_factory) as s:
        q = s.scalars(select(Queue).where(Queue.name == "weekend")).one()
        mine = Ticket(subject="a", status=TicketStatus.OPEN, priority=Priority.NORMAL, queue_id=q.id, created_at=friday)
        centre = Ticket(subject="b", status=TicketStatus.OPEN, priority=Priority.NORMAL, created_at=friday)
        s.add_all([mine, centre])
        s.flush()
        sla = SLA(world.settings.dispatch.sla, LONDON)
        # normal: 240 min to first response.  The weekend queue: Sat 10-14 is those four hours.
        assert sla.due_dates(ticket_times(s, mine), friday)["first_response"] == dt.datetime(
            2026, 12, 5, 14, 0, tzinfo=dt.UTC)
        # The centre's: 1 h on Friday, then 3 h on Monday from 09:00.
        assert sla.due_dates(ticket_times(s, centre), friday)["first_response"] == dt.datetime(
            2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def test_when_a_queue_is_closed(world: Any) -> None:
    settings = world.settings
    settings.timezone = LONDON
    own = {"mon": "09:00-17:00", "sat": "24h"}
    monday_night = dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)
    assert hours.closed(hours.normalise(own), settings, monday_night)
    assert not hours.closed(hours.normalise(own), settings, dt.datetime(2026, 12, 12, 3, 0, tzinfo=dt.UTC))
    assert hours.opens_at(hours.normalise(own), settings, monday_night) == dt.datetime(
        2026, 12, 12, 0, 0, tzinfo=dt.UTC)
    # The centre's hours close the line only when the centre says so.
    assert not hours.closed({}, settings, monday_night)
    settings.ivr.closed_outside_centre_hours = True
    assert hours.closed({}, settings, monday_night)
    settings.dispatch.sla.holidays = ["2026-12-07"]
    assert hours.closed(hours.normalise(own), settings, dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC))


def test_the_command_line_form_of_hours_reads_back() -> None:
    parsed = hours.parse_text("mon-fri=09:00-18:00, sat=10:00-14:00")
    assert parsed["wed"] == "09:00-18:00" and parsed["sun"] == ""
    assert hours.text(parsed) == "mon-fri=09:00-18:00,sat=10:00-14:00"
    assert hours.parse_text("centre") == {} and hours.text({}) == "centre"
    with pytest.raises(Refusal):
        hours.parse_text("fri-mon=09:00-18:00")
