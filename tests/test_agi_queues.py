"""What a queue's settings do on a call, through the IVR (scripted Asterisk peer, SQLite and PostgreSQL):
its number skips the menu, its hours close the line with a callback instead, its recording switch."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.dispatch.calendar import DAYS
from callcenter.models import Call, Callback, Queue, utcnow
from tests.support.agi_peer import Asterisk, PeerResult, header, running_server, settled
from tests.support.ivr_data import VIP_NUMBER, seed

ADMIN = Actor.system("cli:test")
ALWAYS = dict.fromkeys(DAYS, "24h")


def _later_weekday() -> str:
    """A weekday that is not today (UTC, the test settings' time zone): open only then means closed now."""
    return DAYS[(utcnow().weekday() + 3) % 7]


@pytest.fixture
def ivr(container: Any) -> Iterator[Any]:
    seed(container.session_factory)
    with transaction(container.session_factory) as s:
        container.queues.create(s, ADMIN, "vip", display_name="VIP", language="zh", did="+442079460000",
                                business_hours=ALWAYS, recording=False)
        container.queues.create(s, ADMIN, "night", did="5550123", business_hours={_later_weekday(): "09:00-10:00"})
        container.queues.create(s, ADMIN, "old", did="5550124")
        container.queues.retire(s, ADMIN, "old")
    with running_server(container.settings, container.session_factory) as server:
        yield server


def run(server: Any, script: str, keys: list[str] | None = None, /, *args: str, **variables: str) -> PeerResult:
    lines = header(script, {"CC_PBX": "lab", **variables}) + [f"agi_arg_{i}: {a}" for i, a in enumerate(args, 1)]
    result = Asterisk(script, variables, keys, header_lines=lines).run(server.port)
    settled(server)
    assert result.violations == [] and result.closed_by_server
    return result


def the_call(container: Any) -> Call:
    with container.session_factory() as s:
        found: Call | None = s.scalar(select(Call).where(Call.linkedid == "1700000000.1"))
        assert found is not None
        return found


def test_a_queue_number_goes_straight_to_its_queue_in_its_language(ivr: Any, container: Any) -> None:
    r = run(ivr, "lookup", **{"CALLERID(num)": "2025550177", "CC_DID": "442079460000"})  # the + was dropped
    v = r.variables
    assert (v["CC_IVR_PATH"], v["CC_QUEUE"], v["CC_CATEGORY"]) == ("queue", "vip", "general")
    assert v["CC_LANG"] == v["CHANNEL(language)"] == "zh"  # an unknown caller hears the queue's language
    row = the_call(container)
    with container.session_factory() as s:
        assert row.queue_id == s.scalar(select(Queue.id).where(Queue.name == "vip"))
    assert (row.queue_name, row.did, row.ivr["direct"], row.ivr["path"]) == ("vip", "442079460000", True, "queue")


def test_a_known_customer_keeps_their_language_and_other_numbers_reach_the_menu(ivr: Any) -> None:
    r = run(ivr, "lookup", **{"CALLERID(num)": VIP_NUMBER, "CC_DID": "+442079460000"})
    assert (r.variables["CC_QUEUE"], r.variables["CC_LANG"]) == ("vip", "en")
    for did in ("100", "5550124", ""):  # the main line, a retired queue's number, none
        assert "CC_IVR_PATH" not in run(ivr, "lookup", **{"CALLERID(num)": VIP_NUMBER, "CC_DID": did}).variables


def test_an_open_queue_that_does_not_record(ivr: Any) -> None:
    r = run(ivr, "queue", CC_QUEUE="vip")
    assert (r.variables["CC_QUEUE_CLOSED"], r.variables["_CC_RECORD"]) == ("0", "0")
    assert r.goto is None and r.played == []


def test_a_closed_queue_sends_the_caller_to_the_callback_offer(ivr: Any, container: Any) -> None:
    r = run(ivr, "queue", CC_QUEUE="night")
    assert (r.variables["CC_QUEUE_CLOSED"], r.variables["_CC_RECORD"]) == ("1", "1")
    row = the_call(container)
    assert (row.queue_name, row.ivr["closed"]) == ("night", True)


def test_a_retired_queue_hands_its_callers_to_the_default_queue(ivr: Any) -> None:
    r = run(ivr, "queue", CC_QUEUE="old")
    assert r.variables["CC_QUEUE"] == "support"
    # support keeps the centre's hours, which close the line only when the centre says so
    assert (r.variables["CC_QUEUE_CLOSED"], r.variables["_CC_RECORD"]) == ("0", "1")


def test_a_queue_we_have_no_row_of_is_left_as_asterisk_has_it(ivr: Any) -> None:
    r = run(ivr, "queue", CC_QUEUE="webdesk")
    assert r.variables["CC_QUEUE_CLOSED"] == "0" and "_CC_RECORD" not in r.variables


def test_the_closed_line_books_a_callback_for_the_opening(ivr: Any, container: Any) -> None:
    r = run(ivr, "callback", ["1"], "closed", **{"CALLERID(num)": "2025550143", "CC_QUEUE": "night"})
    assert r.variables["CC_IVR_PATH"] == "hangup" and r.played[-1] == "callcenter/callback-registered"
    with container.session_factory() as s:
        cb = s.scalars(select(Callback)).one()
    opening = cb.due_at.astimezone(dt.UTC)
    assert DAYS[opening.weekday()] == _later_weekday() and (opening.hour, opening.minute) == (9, 0)


def test_a_closed_line_without_a_number_says_goodbye_rather_than_fail(ivr: Any, container: Any) -> None:
    r = run(ivr, "callback", ["", "", ""], "closed", **{"CALLERID(num)": "anonymous", "CC_QUEUE": "night"})
    assert r.goto is None and r.variables["CC_IVR_PATH"] == "closed"
    with container.session_factory() as s:
        assert s.scalars(select(Callback)).all() == []
