from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.models import Call, CallStatus
from callcenter.tickets import numbers as ticket_numbers


def test_ensure_call_creates_once_and_returns_the_same_row(session_factory) -> None:
    with transaction(session_factory) as s:
        first = ensure_call(s, "lab", "1700000000.5", caller_number="+12025550143")
        assert first.status is CallStatus.ACTIVE and first.ivr == {}
    with transaction(session_factory) as s:
        again = ensure_call(s, "lab", "1700000000.5", caller_number="+19999999999")
        assert again.id == first.id and again.caller_number == "+12025550143"


def test_ensure_call_races_leave_one_row(session_factory) -> None:
    ids: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with transaction(session_factory) as s:
                ids.append(ensure_call(s, "lab", "race.1").id)
        except BaseException as exc:  # noqa: BLE001 - whatever a racing thread raises fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(ids)) == 1
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 1


def test_ticket_numbers_carry_a_check_digit() -> None:
    assert ticket_numbers.number_for(1) == "1000017"
    assert ticket_numbers.is_valid("1000017")
    assert not ticket_numbers.is_valid("1000018")  # one digit wrong
    assert not ticket_numbers.is_valid("1000071")  # two digits swapped
    assert not ticket_numbers.is_valid("١٠٠٠٠١٧")  # non-ASCII digits


@given(st.integers(min_value=1, max_value=10**9))
def test_every_issued_number_is_valid(ticket_id: int) -> None:
    assert ticket_numbers.is_valid(ticket_numbers.number_for(ticket_id))
