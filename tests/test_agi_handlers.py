"""Each IVR handler, driven over a real socket by a scripted Asterisk peer,
against a migrated database (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import (
    Call,
    Callback,
    CallbackSource,
    CallbackStatus,
    Queue,
    Recording,
    Survey,
    SurveyChannel,
    SurveyStatus,
    Ticket,
    utcnow,
)
from tests.support.agi_peer import Asterisk, PeerResult, running_server, settled
from tests.support.ivr_data import AGENT_INTERFACE, VIP_NUMBER, World, seed


@pytest.fixture
def ivr(container: Any) -> Iterator[tuple[Any, World]]:
    world = seed(container.session_factory)
    with running_server(container.settings, container.session_factory) as server:
        yield server, world


def call(ivr: tuple[Any, World], script: str, keys: list[str] | None = None, /, **variables: str) -> PeerResult:
    server, _ = ivr
    result = Asterisk(script, variables, keys).run(server.port)
    settled(server)
    assert result.violations == []
    assert result.closed_by_server
    return result


def the_call(container: Any, linkedid: str = "1700000000.1") -> Call:
    with transaction(container.session_factory) as s:
        row = s.scalar(select(Call).where(Call.linkedid == linkedid))
        assert row is not None
        return row


# -- lookup ------------------------------------------------------------------------------
def test_lookup_recognises_a_vip_and_lets_them_jump_the_queue(ivr: Any, container: Any) -> None:
    _, world = ivr
    r = call(ivr, "lookup", **{"CALLERID(num)": "(202) 555-0143", "CALLERID(name)": "GRACE"})
    v = r.variables
    assert v["CC_CUSTOMER_ID"] == str(world.vip_id)
    assert (v["CC_VIP"], v["QUEUE_PRIO"], v["CC_OPEN_TICKETS"]) == ("gold", "5", "1")
    assert v["CC_LANG"] == v["CHANNEL(language)"] == "en"
    row = the_call(container)
    assert (row.caller_number, row.customer_id, row.caller_name, row.pbx) == (
        VIP_NUMBER, world.vip_id, "GRACE", "lab")
    assert r.goto is None


def test_lookup_picks_mandarin_prompts_for_a_chinese_customer(ivr: Any) -> None:
    r = call(ivr, "lookup", **{"CALLERID(num)": "008613800138000"})
    assert r.variables["CHANNEL(language)"] == r.variables["CC_LANG"] == "zh"
    assert (r.variables["CC_VIP"], r.variables["QUEUE_PRIO"]) == ("platinum", "10")


def test_lookup_of_an_unknown_or_withheld_number(ivr: Any, container: Any) -> None:
    r = call(ivr, "lookup", **{"CALLERID(num)": "anonymous", "CALLERID(name)": "${SHELL(id)}"})
    assert (r.variables["CC_CUSTOMER_ID"], r.variables["CC_VIP"], r.variables["QUEUE_PRIO"]) == ("", "none", "0")
    row = the_call(container)
    assert row.caller_number is None and row.caller_raw == "anonymous"
    assert row.caller_name == "{SHELL(id)}"  # stored inert: nothing left to evaluate


# -- menu ------------------------------------------------------------------------------------
@pytest.mark.parametrize("digit,queue", [("1", "support"), ("2", "sales"), ("3", "billing")])
def test_each_menu_choice_reaches_its_queue(ivr: Any, container: Any, digit: str, queue: str) -> None:
    r = call(ivr, "menu", [digit, "1"])
    v = r.variables
    assert (v["CC_IVR_PATH"], v["CC_QUEUE"], v["CC_CATEGORY"], v["CC_SKILL"]) == ("queue", queue, queue, queue)
    assert v["CC_SURVEY_OPTIN"] == "1"
    assert r.played[:3] == ["callcenter/welcome", "callcenter/menu", "callcenter/survey-offer"]
    row = the_call(container)
    with transaction(container.session_factory) as s:
        assert row.queue_id == s.scalar(select(Queue.id).where(Queue.name == queue))
    assert row.ivr["keys"] == [digit] and row.ivr["survey_optin"] is True


def test_menu_retries_a_wrong_key_then_accepts_a_right_one(ivr: Any) -> None:
    r = call(ivr, "menu", ["7", "3", ""])
    assert "pm-invalid-option" in r.played
    assert (r.variables["CC_QUEUE"], r.variables["CC_SURVEY_OPTIN"]) == ("billing", "0")


def test_menu_timeout_still_reaches_a_human(ivr: Any, container: Any) -> None:
    r = call(ivr, "menu", ["", "", "", ""])
    assert (r.variables["CC_IVR_PATH"], r.variables["CC_QUEUE"]) == ("queue", "support")
    assert the_call(container).ivr["timed_out"] is True


@pytest.mark.parametrize("digit,path", [("4", "ticket_status"), ("9", "callback")])
def test_menu_routes_to_self_service(ivr: Any, digit: str, path: str) -> None:
    r = call(ivr, "menu", [digit])
    assert r.variables["CC_IVR_PATH"] == path
    assert "CC_QUEUE" not in r.variables and "callcenter/survey-offer" not in r.played


# -- ticket status -----------------------------------------------------------------------
def test_ticket_status_reads_the_status_and_nothing_else(ivr: Any) -> None:
    _, world = ivr
    r = call(ivr, "ticket_status", [world.resolved_ticket, ""])
    assert "callcenter/ticket-status-resolved" in r.played
    assert (r.variables["CC_TICKET_NUMBER"], r.variables["CC_TICKET_STATUS"]) == (world.resolved_ticket, "resolved")
    assert r.variables["CC_IVR_PATH"] == "hangup"
    assert not any("secret" in line for line in r.lines)


def test_ticket_status_then_an_agent(ivr: Any) -> None:
    _, world = ivr
    r = call(ivr, "ticket_status", [world.open_ticket, "0"])
    assert "callcenter/ticket-status-open" in r.played and r.variables["CC_IVR_PATH"] == "queue"


def test_a_merged_tickets_number_reads_the_ticket_it_was_merged_into(ivr: Any, container: Any) -> None:
    _, world = ivr
    with transaction(container.session_factory) as s:
        merged = container.tickets.create(s, Actor.system("test"), subject="again about the router")
        into = s.scalar(select(Ticket).where(Ticket.number == world.open_ticket))
        s.flush()
        container.merges.merge(s, Actor.system("test"), merged, into)
        number = merged.number
    r = call(ivr, "ticket_status", [number, ""])
    assert "callcenter/ticket-status-open" in r.played  # not "closed": the caller hears where it went
    assert (r.variables["CC_TICKET_NUMBER"], r.variables["CC_TICKET_STATUS"]) == (world.open_ticket, "open")


def test_a_wrong_check_digit_is_refused_before_any_lookup(ivr: Any, container: Any) -> None:
    _, world = ivr
    typo = world.open_ticket[:-1] + str((int(world.open_ticket[-1]) + 1) % 10)
    statements: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(container.engine, "before_cursor_execute", spy)
    try:
        r = call(ivr, "ticket_status", [typo, "", "", ""])
    finally:
        event.remove(container.engine, "before_cursor_execute", spy)
    assert r.played.count("callcenter/ticket-number-invalid") == 1
    assert not any("tickets" in s for s in statements)
    assert r.variables["CC_IVR_PATH"] == "hangup"


def test_an_unknown_ticket_number(ivr: Any) -> None:
    r = call(ivr, "ticket_status", ["1543214", ""])  # valid check digit, no such ticket
    assert "callcenter/ticket-status-unknown" in r.played


# -- callback ---------------------------------------------------------------------------------
def callbacks(container: Any) -> list[Callback]:
    with transaction(container.session_factory) as s:
        return list(s.scalars(select(Callback)))


def test_callback_on_the_calling_number_is_recorded_once(ivr: Any, container: Any) -> None:
    _, world = ivr
    variables = {"CALLERID(num)": "2025550143", "CC_QUEUE": "billing", "CC_LANG": "en"}
    r = call(ivr, "callback", ["1"], **variables)
    assert r.variables["CC_CALLBACK_NUMBER"] == VIP_NUMBER and r.variables["CC_IVR_PATH"] == "hangup"
    assert r.played[-1] == "callcenter/callback-registered"
    call(ivr, "callback", ["1"], **variables)  # the dialplan retried: still one request
    [cb] = callbacks(container)
    assert (cb.number, cb.source, cb.status, cb.customer_id) == (
        VIP_NUMBER, CallbackSource.IVR, CallbackStatus.PENDING, world.vip_id)
    assert cb.call_id == the_call(container).id
    assert dt.timedelta(seconds=100) < cb.due_at - utcnow() <= dt.timedelta(seconds=120)
    with transaction(container.session_factory) as s:
        assert cb.queue_id == s.scalar(select(Queue.id).where(Queue.name == "billing"))


def test_callback_on_another_number(ivr: Any, container: Any) -> None:
    call(ivr, "callback", ["2", "2025550199"], **{"CALLERID(num)": "2025550143"})
    assert [cb.number for cb in callbacks(container)] == ["+12025550199"]


def test_anonymous_caller_keys_a_number(ivr: Any, container: Any) -> None:
    r = call(ivr, "callback", ["12", "2025550199"], **{"CALLERID(num)": "anonymous"})
    assert "callcenter/callback-confirm" not in r.played and "callcenter/number-invalid" in r.played
    assert [cb.number for cb in callbacks(container)] == ["+12025550199"]


def test_no_usable_number_sends_the_caller_to_the_fail_context(ivr: Any, container: Any) -> None:
    r = call(ivr, "callback", ["", "", ""], **{"CALLERID(num)": "anonymous"})
    assert r.goto == "cc-fail,s,1" and r.variables["CC_FAIL_REASON"] == "callback-no-number"
    assert callbacks(container) == []


# -- survey -----------------------------------------------------------------------------------
def test_survey_keyed_as_4_is_stored_against_the_call_and_agent(ivr: Any, container: Any) -> None:
    _, world = ivr
    call(ivr, "lookup", **{"CALLERID(num)": VIP_NUMBER})
    r = call(ivr, "survey", ["4"], MEMBERINTERFACE=AGENT_INTERFACE)
    assert r.played == ["callcenter/survey-intro", "callcenter/survey-thanks"]
    with transaction(container.session_factory) as s:
        [survey] = s.scalars(select(Survey))
        row = s.scalar(select(Call))
        assert row is not None
        assert (survey.score, survey.status, survey.channel) == (4, SurveyStatus.COMPLETED, SurveyChannel.IVR)
        assert (survey.call_id, survey.agent_id, survey.customer_id) == (row.id, world.agent_id, world.vip_id)


def test_survey_gives_up_politely_after_wrong_keys(ivr: Any, container: Any) -> None:
    r = call(ivr, "survey", ["7", "0", ""])
    assert r.played[-1] == "goodbye" and r.goto is None
    with transaction(container.session_factory) as s:
        [survey] = s.scalars(select(Survey))
        assert (survey.score, survey.status) == (None, SurveyStatus.DECLINED)


def test_survey_links_the_ticket_and_records_a_comment(ivr: Any, container: Any) -> None:
    _, world = ivr
    server, _ = ivr
    server.settings.ivr.survey_comment_seconds = 30
    with transaction(container.session_factory) as s:
        from callcenter.calls.records import ensure_call

        ticket_id = s.scalar(select(Ticket.id).where(Ticket.number == world.open_ticket))
        ensure_call(s, "lab", "1700000000.1", ticket_id=ticket_id)
    r = call(ivr, "survey", ["5", "1"])
    assert "record:/var/spool/asterisk/monitor/survey-1700000000.1-1" in r.played
    with transaction(container.session_factory) as s:
        [survey] = s.scalars(select(Survey))
        rec = s.get(Recording, survey.comment_recording_id)
        assert survey.ticket_id == ticket_id and survey.score == 5
        assert rec is not None
        assert rec.path == "survey-1700000000.1-1.wav" and rec.party.value == "caller"


def test_outbound_survey_fills_the_survey_it_was_placed_for(ivr: Any, container: Any) -> None:
    with transaction(container.session_factory) as s:
        placed = Survey(channel=SurveyChannel.OUTBOUND, status=SurveyStatus.PENDING)
        s.add(placed)
        s.flush()
        survey_id = placed.id
    call(ivr, "survey", ["2"], CC_SURVEY_ID=str(survey_id))
    with transaction(container.session_factory) as s:
        [survey] = s.scalars(select(Survey))
        assert (survey.id, survey.score, survey.status) == (survey_id, 2, SurveyStatus.COMPLETED)
