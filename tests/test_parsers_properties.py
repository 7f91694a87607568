"""Hypothesis: every parser of user input raises nothing but its documented validation error.

The safe parsers (``InvalidInput``), the ticket list filters (``InvalidInput`` when strict, nothing
when lenient, and the clauses run on a real database), the intake form validation (``FormErrors``,
with answers that can be stored) and the reports' date ranges (never an error: a bad day is the
default period).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from callcenter import days
from callcenter.forms import catalog
from callcenter.forms.validate import FormErrors, clean
from callcenter.inputs import parsers
from callcenter.inputs.parsers import Args, InvalidInput
from callcenter.models import Base, Ticket
from callcenter.reporting.figures import ReportFilter
from callcenter.tickets import queries

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12"])
# What a query string or a JSON body can hold, and the edges the parsers guard against.
EDGES = st.sampled_from(["", " ", "0", "-1", "1" * 30, "²", "٣", "0000-01-01", "9999-12-31", "2026-02-30",
                         "2026-12-01", "1900-01-01", "9000-12-31", "me", "none", "open_all", "new", "breached",
                         "a\x00b", "\ud800", "%", "_", "\\", "1e999", "NaN", str(parsers.MAX_ID),
                         str(parsers.MAX_ID + 1)])
VALUES = st.one_of(EDGES, st.text(max_size=40), st.integers(), st.floats(), st.booleans(), st.none(),
                   st.dates(), st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                                         st.integers(), max_size=2))
FILTER_KEYS = ["status", "priority", "queue", "category", "assignee", "sla", "from", "to", "q", "page"]
QUERY = st.dictionaries(st.sampled_from(FILTER_KEYS), st.one_of(EDGES, st.text(max_size=40)), max_size=8)


@FAST
@given(VALUES)
def test_each_parser_raises_only_invalid_input(value: Any) -> None:
    for parse, check in ((parsers.ident, lambda r: 1 <= r <= parsers.MAX_ID),
                         (parsers.whole, lambda r: 0 <= r <= parsers.MAX_ID),
                         (parsers.day, lambda r: days.FIRST_YEAR <= r.year <= days.LAST_YEAR),
                         (lambda v, f: parsers.choice(v, {"new", "open"}, f), lambda r: r in {"new", "open"}),
                         (parsers.text, lambda r: "\x00" not in r and r.encode("utf-8") is not None)):
        try:
            result = parse(value, "field")
        except InvalidInput as exc:
            assert exc.field == "field" and exc.message
            continue
        assert check(result), (value, result)


@FAST
@given(st.dictionaries(st.sampled_from(["a", "from", "to"]), VALUES, max_size=3), ZONES)
def test_args_strict_raises_only_invalid_input_and_lenient_never(query: dict[str, Any], zone: str) -> None:
    lenient = Args(query, strict=False)
    period = lenient.period(zone)
    assert lenient.ident("a") is None or 1 <= (lenient.ident("a") or 0) <= parsers.MAX_ID
    assert period.start is None or period.end is None or period.start < period.end
    try:
        Args(query, strict=True).period(zone)
    except InvalidInput as exc:
        assert exc.field in {"from", "to"}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = create_engine("sqlite://")
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=QUERY, zone=ZONES, user_id=st.one_of(st.none(), st.integers(1, parsers.MAX_ID)))
def test_ticket_filters_raise_only_invalid_input_and_their_clauses_run(engine: Engine, query: dict[str, str],
                                                                       zone: str, user_id: int | None) -> None:
    with Session(engine) as session:
        session.execute(select(Ticket.id).where(*queries.filters(query, zone, user_id)))  # lenient: a plain mapping
        try:
            clauses = queries.filters(Args(query, strict=True), zone, user_id)
        except InvalidInput as exc:
            assert exc.field in FILTER_KEYS
            return
        session.execute(select(Ticket.id).where(*clauses))


@FAST
@given(first=VALUES, last=VALUES, zone=ZONES, today=st.dates(dt.date(1901, 1, 1), dt.date(8999, 12, 31)))
def test_report_periods_from_any_input_are_whole_days(first: Any, last: Any, zone: str, today: dt.date) -> None:
    default = days.Days(today - dt.timedelta(days=29), today, zone)  # what last_days(30) gives on `today`
    read = Args({"from": first, "to": last}, strict=False)
    period = days.between(read.day("from") or default.first, read.day("to") or default.last, zone)
    report = ReportFilter.of(period)
    assert report.start < report.end
    assert set(read.problems) <= {"from", "to"}


FORMS = [catalog.parse(p.read_text(encoding="utf-8")) for p in sorted(catalog.DEFINITIONS.glob("*.toml"))]
ANSWER = st.one_of(VALUES, st.text(), st.lists(st.one_of(st.text(max_size=10), st.integers()), max_size=4),
                   st.integers(min_value=-(10**20), max_value=10**20).map(str),
                   st.sampled_from(["1e400", "-0", "inf", "2026-02-29", "+86 138 0013 8000", "a@b.cn", "x\ud800y"]))


@pytest.mark.parametrize("form", FORMS, ids=[f.slug for f in FORMS])
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_intake_validation_raises_only_form_errors_and_keeps_storable_answers(form: Any, data: Any) -> None:
    names = [f.name for f in form.fields]
    answers = data.draw(st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=5)), ANSWER, max_size=12))
    for partial in (True, False):
        try:
            cleaned = clean(form, answers, partial=partial)
        except FormErrors as exc:
            assert not partial and set(exc.errors) <= set(names)
            continue
        assert set(cleaned) <= set(names)
        json.dumps(cleaned, ensure_ascii=False).encode("utf-8")  # stored as JSON in UTF-8: must encode
