"""Self-service in the IVR, driven over a real socket by a scripted Asterisk peer, on SQLite and PostgreSQL:
which article is spoken (a real espeak-ng file), what 1, 2 and 3 leave behind, hostile keys and codes,
and a caller who cannot be answered (no article, no audio, self-service off) reaching an agent."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from callcenter import migrations
from callcenter.access import accounts
from callcenter.access.audit import Actor
from callcenter.agi.transcript import Transcript
from callcenter.channels.settings import SMSSettings
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.forms import catalog
from callcenter.knowledge.articles import VersionText
from callcenter.models import (
    AuditLog,
    Call,
    Channel,
    LinkKind,
    Message,
    Suggestion,
    Ticket,
    TicketArticle,
    TicketStatus,
    User,
)
from callcenter.pbx.answers import AnswerVoice, sayable
from callcenter.pbx.wav import read_header
from callcenter.wiring import Container
from tests.support.agi_peer import Asterisk, PeerResult, header, replay, running_server, settled
from tests.support.channel_peers import SMSGateway, serving
from tests.support.deskstream import Stream, ring
from tests.support.ivr_data import VIP_NUMBER, seed
from tests.support.kb_world import BILL_SHORT, REFUND_SHORT, Articles, seed_articles
from tests.support.replies import delivery

from .deskdata import PASSWORD
from .webtools import sign_in

SPOKEN = re.compile(r"^callcenter-kb/(\d+)-(\d+)-(en|zh)$")
PROMPT = re.compile(r"^(callcenter/[a-z0-9-]+|pm-invalid-option)$")
SATELLITE = "+881612345678"  # the dialling policy never calls or texts it
FIXTURES = Path(__file__).parent / "fixtures" / "agi"


@pytest.fixture
def gateway() -> Iterator[SMSGateway]:
    with serving(SMSGateway()) as peer:
        yield peer


@pytest.fixture
def settings(settings: Any, tmp_path: Path, gateway: SMSGateway) -> Any:
    settings.knowledge.ivr.sounds_dir = tmp_path / "sounds"
    settings.channels.sms = SMSSettings(enabled=True, sender="+15550100", send_url=f"{gateway.url}/send",
                                        send_token=gateway.token, inbound_secret="webhook-secret", timeout=5)
    return settings


@pytest.fixture
def kb(container: Any) -> Iterator[tuple[Any, Articles]]:
    seed(container.session_factory)
    articles = seed_articles(container)
    with running_server(container.settings, container.session_factory, knowledge=container.self_service) as server:
        yield server, articles


def dial(kb: tuple[Any, Articles], keys: list[str] | None = None, *, code: bool = False,
         peer: type[Asterisk] = Asterisk, hangup_after: int | None = None, linkedid: str = "1700000000.1",
         number: str = "2025550143", **variables: str) -> PeerResult:
    """One run of AGI(.../knowledge) (``code``: AGI(.../knowledge,code)) by a billing caller."""
    server, _ = kb
    values = {"CC_CATEGORY": "billing", "CC_QUEUE": "billing", "CC_LANG": "en", "CALLERID(num)": number,
              "CHANNEL(linkedid)": linkedid, **variables}
    asterisk = peer("knowledge", values, keys, hangup_after=hangup_after)
    if code:
        asterisk.header_lines = [*header("knowledge", asterisk.vars), "agi_arg_1: code"]
    result = asterisk.run(server.port)
    settled(server)
    assert result.violations == []
    assert result.closed_by_server
    return result


def the_call(container: Any, linkedid: str = "1700000000.1") -> Call:
    with transaction(container.session_factory) as s:
        found = s.scalar(select(Call).where(Call.linkedid == linkedid))
        assert found is not None
        return found


def suggestions(container: Any) -> list[Suggestion]:
    with transaction(container.session_factory) as s:
        return list(s.scalars(select(Suggestion).where(Suggestion.context == "ivr").order_by(Suggestion.id)))


def spoken(result: PeerResult, container: Any) -> tuple[int, str, Path]:
    """The article id and language of the answer played, and its file (which must exist)."""
    [name] = [a[0] for c, a in result.commands if c == "STREAM FILE" and SPOKEN.match(a[0])]
    found = SPOKEN.match(name)
    assert found is not None
    path = container.settings.knowledge.ivr.sounds_dir / f"{name}.wav"
    assert path.is_file(), path
    return int(found.group(1)), found.group(3), path


# -- what is heard --------------------------------------------------------------------------------------
def test_the_categorys_top_article_is_spoken_and_1_means_solved(kb: Any, container: Any) -> None:
    _, arts = kb
    r = dial(kb, ["1"])
    article_id, locale, path = spoken(r, container)
    assert (article_id, locale) == (arts.bill[0], "en")  # nothing rated yet: the oldest one
    wav = read_header(path)
    assert wav is not None and (wav.rate, wav.channels, wav.bits) == (8000, 1, 16)
    assert wav.duration is not None and 5 < wav.duration < 30  # the title and the short answer, said
    assert ["STREAM FILE", r.played[0], "123"] in [[c, *a[:2]] for c, a in r.commands]  # a key ends it early
    assert r.played[1:] == ["callcenter/kb-choose", "callcenter/kb-goodbye"]
    assert (r.variables["CC_KB_ARTICLE"], r.variables["CC_IVR_PATH"]) == (arts.bill[1], "hangup")
    call = the_call(container)
    assert (call.ivr["article"], call.ivr["self_service"]) == (arts.bill[1], "solved")
    [row] = suggestions(container)
    assert (row.article_id, row.call_id, row.helpful, row.query, row.category) == (
        arts.bill[0], call.id, True, "billing", "billing")
    assert row.features == [] and row.marked_at is not None  # a caller's answer: not a calibration pair


def test_the_most_helpful_article_is_the_one_heard(kb: Any, container: Any) -> None:
    _, arts = kb
    with transaction(container.session_factory) as s:
        ticket_id = s.scalar(select(Ticket.id).limit(1))
        s.add(TicketArticle(ticket_id=ticket_id, article_id=arts.bill[0], kind=LinkKind.LINKED))
        for helpful in (True, True, False, True):
            s.add(Suggestion(context="desk", article_id=arts.refund[0], score=1.0, probability=0.5,
                             helpful=helpful))
    r = dial(kb, ["1"])
    assert spoken(r, container)[0] == arts.refund[0]  # 3 - 1 helpful beats 1 link
    assert suggestions(container)[-1].probability == round(4 / 6, 4)  # its solve rate so far, smoothed


def test_a_mandarin_caller_hears_the_chinese_version(kb: Any, container: Any) -> None:
    r = dial(kb, ["1"], CC_LANG="zh")
    _, locale, path = spoken(r, container)
    wav = read_header(path)
    assert locale == "zh" and wav is not None and wav.duration is not None and wav.duration > 3


def test_an_article_in_english_only_is_spoken_in_english_to_a_mandarin_caller(kb: Any, container: Any) -> None:
    _, arts = kb
    r = dial(kb, ["1"], CC_LANG="zh", CC_CATEGORY="support")
    assert spoken(r, container)[:2] == (arts.router[0], "en")


def test_the_file_is_made_once_per_revision(kb: Any, container: Any) -> None:
    _, arts = kb
    _, _, path = spoken(dial(kb, ["1"]), container)
    made = path.stat().st_mtime_ns
    _, _, again = spoken(dial(kb, ["1"], linkedid="1700000000.2"), container)
    assert again == path and again.stat().st_mtime_ns == made
    with transaction(container.session_factory) as s:  # a new revision: a new file, the old one goes
        container.articles.save(s, Actor.system("test"), arts.bill[0], category="billing", versions={
            "en": VersionText("How to read your bill", "Long.", "The total due is at the bottom.")})
    _, _, newer = spoken(dial(kb, ["1"], linkedid="1700000000.3"), container)
    assert newer != path and newer.exists() and not path.exists()


# -- 2: an agent, with the article noted --------------------------------------------------------------------
def test_2_reaches_the_queue_and_the_calls_ticket_notes_the_article(kb: Any, container: Any) -> None:
    _, arts = kb
    r = dial(kb, ["2"])
    assert r.played[1:] == ["callcenter/kb-choose"]
    assert (r.variables["CC_IVR_PATH"], r.variables["CC_KB_ARTICLE"]) == ("queue", arts.bill[1])
    call = the_call(container)
    assert call.queue_name == "billing" and call.ivr["self_service"] == "agent"
    assert [s.helpful for s in suggestions(container)] == [False]
    with transaction(container.session_factory) as s:  # the agent files the pop's form
        agent = s.scalar(select(User).where(User.username == "agent1001"))
        catalog.sync_files(s)  # the forms the app installs when it starts
        form = catalog.latest(s, "general")
        found = s.get(Call, call.id)
        assert agent is not None and form is not None and found is not None
        ticket = container.intake.submit(s, form, found, Actor.of(agent), {"subject": "Bill question",
                                                                            "priority": "normal"}).ticket
        ticket_id = ticket.id
    with transaction(container.session_factory) as s:
        [(link, version)] = container.suggester.linked(s, ticket_id)
        assert (link.article_id, link.kind) == (arts.bill[0], LinkKind.IVR)
        assert version is not None and version.title == "How to read your bill"
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "article_linked")) == "article_linked"


def test_a_key_pressed_during_the_answer_is_the_choice(kb: Any, container: Any) -> None:
    class Impatient(Asterisk):
        def _stream_file(self, args: list[str]) -> str:
            self.result.played.append(args[0])
            return "200 result=50 endpos=4000" if SPOKEN.match(args[0]) else "200 result=0 endpos=8000"

    r = dial(kb, [], peer=Impatient)
    assert len(r.played) == 1 and r.variables["CC_IVR_PATH"] == "queue"


def test_the_pop_says_which_article_the_caller_heard(app: Any, container: Any, shop: Any) -> None:
    stream = Stream(app, "ann")
    try:
        ring(container, "PJSIP/agent1001", "1700002000.1", ivr={"category": "billing", "article": "1002"})
        stream.next_event()
    finally:
        stream.close()
    for lang, line in (("en", "Heard article 1002 in the IVR"), ("zh", "已在语音导航中收听文章 1002")):
        with transaction(container.session_factory) as s:
            accounts.set_language(s, shop.users["ann"], lang)
        client = app.test_client()
        sign_in(client, "ann", PASSWORD)
        [pop] = client.get("/desk/pops").get_json()["pops"]
        assert line in pop["view"]["ivr"], pop["view"]


# -- 3: by SMS ------------------------------------------------------------------------------------------------
def test_3_texts_the_answer_once_on_a_solved_ticket(kb: Any, container: Any, gateway: SMSGateway) -> None:
    _, arts = kb
    r = dial(kb, ["3"])
    assert r.played[1:] == ["callcenter/kb-choose", "callcenter/kb-sms-sent"]
    assert r.variables["CC_IVR_PATH"] == "hangup"
    dial(kb, ["3"])  # the dialplan ran it again for the same call: still one text
    call = the_call(container)
    with transaction(container.session_factory) as s:
        [message] = s.scalars(select(Message))
        ticket = s.get(Ticket, message.ticket_id)
        assert ticket is not None and ticket.origin_call_id == call.id
        assert (ticket.status, ticket.subject, ticket.category) == (TicketStatus.RESOLVED, "How to read your bill",
                                                                  "billing")
        assert (message.channel, message.recipient, message.body) == (Channel.SMS, VIP_NUMBER, BILL_SHORT)
        assert [(link.article_id, link.kind) for link, _ in container.suggester.linked(s, ticket.id)] == [
            (arts.bill[0], LinkKind.IVR)]
    assert call.ivr["self_service"] == "sms" and [s.helpful for s in suggestions(container)] == [None, None]
    assert delivery(container).run_once() == 1
    assert delivery(container).run_once() == 0
    [sent] = gateway.to("/send")
    assert (sent.json()["to"], sent.json()["text"]) == (VIP_NUMBER, BILL_SHORT)


@pytest.mark.parametrize("number", ["anonymous", SATELLITE])
def test_a_number_that_cannot_be_texted_is_said_so(kb: Any, container: Any, number: str) -> None:
    r = dial(kb, ["3", "1"], number=number)
    assert r.played[1:] == ["callcenter/kb-choose", "callcenter/kb-sms-refused", "callcenter/kb-choose-no-sms",
                            "callcenter/kb-goodbye"]
    with transaction(container.session_factory) as s:
        assert s.scalars(select(Message)).all() == [] and s.scalars(select(Ticket).where(
            Ticket.origin_call_id.is_not(None))).all() == []
        refused = s.scalars(select(AuditLog).where(AuditLog.action == "dial_refused")).all()
    assert [(a.object_id, a.detail["purpose"]) for a in refused] == ([] if number == "anonymous" else
                                                                    [(SATELLITE, "ivr_sms")])


def test_a_number_gets_a_few_texts_a_day_at_most(kb: Any, container: Any) -> None:
    container.settings.knowledge.ivr.sms_per_number_per_day = 1
    dial(kb, ["3"])
    r = dial(kb, ["3", "2"], linkedid="1700000000.2")
    assert "callcenter/kb-sms-refused" in r.played and r.variables["CC_IVR_PATH"] == "queue"
    with transaction(container.session_factory) as s:
        assert len(s.scalars(select(Message)).all()) == 1
        reason = s.scalar(select(AuditLog.detail).where(AuditLog.action == "dial_refused"))
        assert reason is not None and reason["reason"] == "daily_limit"


def test_with_sms_off_3_is_not_offered_and_is_said_so(kb: Any, container: Any) -> None:
    container.settings.channels.sms.enabled = False
    r = dial(kb, ["3", "2"])
    assert r.played[1:] == ["callcenter/kb-choose-no-sms", "callcenter/kb-sms-off", "callcenter/kb-choose-no-sms"]
    assert r.variables["CC_IVR_PATH"] == "queue"


# -- keyed codes ------------------------------------------------------------------------------------------
def test_a_keyed_code_plays_that_article_and_wrong_ones_are_said_so(kb: Any, container: Any) -> None:
    _, arts = kb
    r = dial(kb, [arts.draft[1], "123456789012", arts.refund[1], "1"], code=True)
    assert r.played[:5] == ["callcenter/kb-enter-code", "callcenter/kb-no-such-article",
                            "callcenter/kb-enter-code", "callcenter/kb-no-such-article", "callcenter/kb-enter-code"]
    assert spoken(r, container)[0] == arts.refund[0]
    assert [(s.article_id, s.query, s.helpful) for s in suggestions(container)] == [
        (arts.refund[0], f"#{arts.refund[1]}", True)]


def test_no_valid_code_after_the_retries_reaches_an_agent(kb: Any, container: Any) -> None:
    _, arts = kb
    statements: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(container.engine, "before_cursor_execute", spy)
    try:
        r = dial(kb, ["*#", "99999999999", ""], code=True)
    finally:
        event.remove(container.engine, "before_cursor_execute", spy)
    assert not any("knowledge_articles" in s for s in statements)  # nothing malformed is looked up
    assert r.played[-1] == "callcenter/kb-no-answer" and r.variables["CC_IVR_PATH"] == "queue"
    r = dial(kb, [arts.archived[1]] * 3, code=True, linkedid="1700000000.2")
    assert r.played.count("callcenter/kb-no-such-article") == 3
    assert the_call(container, "1700000000.2").ivr["self_service"] == "no_article"
    assert suggestions(container) == []


@pytest.mark.parametrize("category", ["sales", "${SHELL(id)}", "billing\nEXEC Dial", ""])
def test_a_category_without_an_answer_reaches_an_agent(kb: Any, container: Any, category: str) -> None:
    r = dial(kb, [], CC_CATEGORY=category)
    assert r.played == ["callcenter/kb-no-answer"] and r.variables["CC_IVR_PATH"] == "queue"
    assert "CC_KB_ARTICLE" not in r.variables and the_call(container).ivr["self_service"] == "no_article"


# -- never stuck -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["nowhere", "a file"])
def test_an_answer_that_cannot_be_spoken_reaches_an_agent(kb: Any, container: Any, tmp_path: Path,
                                                         where: str) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    container.self_service.voice = AnswerVoice(None if where == "nowhere" else blocked)
    r = dial(kb, [])
    assert r.played == ["callcenter/kb-cannot-play"] and r.variables["CC_IVR_PATH"] == "queue"
    assert "CC_KB_ARTICLE" not in r.variables and the_call(container).ivr["self_service"] == "unspoken"


def test_self_service_switched_off_goes_straight_to_the_queue(kb: Any, container: Any) -> None:
    container.settings.knowledge.ivr.enabled = False
    r = dial(kb, ["1"])
    assert r.played == [] and r.variables["CC_IVR_PATH"] == "queue"


def test_no_choice_reaches_an_agent_and_a_wrong_key_is_said_so(kb: Any, container: Any) -> None:
    r = dial(kb, ["7", "", ""])
    assert r.played[1:] == ["callcenter/kb-choose", "pm-invalid-option", "callcenter/kb-choose",
                            "callcenter/kb-choose"]
    assert r.variables["CC_IVR_PATH"] == "queue" and the_call(container).ivr["self_service"] == "no_choice"
    assert [s.helpful for s in suggestions(container)] == [None]


def test_a_caller_who_hangs_up_during_the_answer_is_still_recorded(kb: Any, container: Any) -> None:
    r = dial(kb, ["1"], hangup_after=6)  # the answer's STREAM FILE is answered HANGUP
    assert r.goto is None and "callcenter/kb-choose" not in r.played
    assert the_call(container).ivr["self_service"] == "hung_up"
    assert [s.helpful for s in suggestions(container)] == [None]


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(keys=st.lists(st.text(alphabet="0123456789*#", max_size=14), max_size=6), code=st.booleans(),
       category=st.sampled_from(["billing", "support", "sales", "", "${x}", "a\nb", "账单"]),
       lang=st.sampled_from(["en", "zh", "", "xx", "\"en"]), number=st.sampled_from(["2025550143", "", "\n1"]))
def test_any_keys_and_values_leave_the_caller_with_an_agent_or_done(kb: Any, container: Any, keys: list[str],
                                                                   code: bool, category: str, lang: str,
                                                                   number: str) -> None:
    r = dial(kb, keys, code=code, CC_CATEGORY=category, CC_LANG=lang, number=number)
    for command, args in r.commands:
        if command in ("STREAM FILE", "GET DATA"):
            assert SPOKEN.match(args[0]) or PROMPT.match(args[0]), args
        elif command == "SET VARIABLE":
            assert re.fullmatch(r"CC_[A-Z_]+", args[0]) and re.fullmatch(r"[a-z0-9]{0,20}", args[1]), args
        else:
            assert command == "GET FULL VARIABLE", command
    assert r.variables["CC_IVR_PATH"] in ("queue", "hangup") and r.goto is None


def test_the_session_captured_from_the_lab_replays_word_for_word(tmp_path: Path) -> None:
    """tests/test_knowledge_ivr_lab.py's session, served again: the same commands, the same facts stored."""
    settings = Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'r.db'}"},
                        lab={"enabled": False}, ivr={"digit_timeout": 3.0, "survey_offer": False},
                        knowledge={"ivr": {"sounds_dir": tmp_path / "sounds"}})
    container = Container(settings)
    try:
        migrations.upgrade(container.engine)
        seed(container.session_factory)
        arts = seed_articles(container)
        transcript = Transcript.loads((FIXTURES / "knowledge-agent.agi").read_text())
        assert "Captured from the lab PBX" in transcript.comment
        with running_server(settings, container.session_factory, knowledge=container.self_service) as server:
            assert replay(server.port, transcript) == []
            settled(server)
        [heard] = suggestions(container)
        assert (heard.article_id, heard.helpful) == (arts.bill[0], False)
        with transaction(container.session_factory) as s:
            call = s.scalars(select(Call)).one()
            assert (call.ivr["article"], call.ivr["self_service"], call.queue_name) == ("1001", "agent", "billing")
    finally:
        container.close()


def test_the_spoken_text_is_cut_at_a_sentence_within_the_limit() -> None:
    said = sayable("Refunds", "One. Two two two. " + "x" * 100, 40)
    assert said == "Refunds. One. Two two two."
    assert sayable("退款", "第一句。第二句很长很长。" + "字" * 50, 12) == "退款。第一句。第二句很长很长。"
    assert "\n" not in sayable("a\nb", "c\r\nd", 100)
    assert len(REFUND_SHORT) < 400
