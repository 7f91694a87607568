"""Auto-reply on SQLite and PostgreSQL: when it answers and when it must not, the customer's yes and no (link
and reply keyword), the clock, duplicate events and racing processes, and the dispatcher leaving a ticket alone
while it waits on the customer."""
from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, inspect, select, update

from callcenter.access.audit import Actor
from callcenter.channels.base import Inbound, Sender
from callcenter.db import transaction
from callcenter.dispatch import jobs
from callcenter.dispatch import runtime as dispatch_runtime
from callcenter.dispatch import scheduler as sched
from callcenter.dispatch.service import build_runtime
from callcenter.events import MessageReceived
from callcenter.knowledge import answers as answers_module
from callcenter.knowledge import autoreply
from callcenter.models import (
    AgentProfile,
    AuditLog,
    AutoReply,
    AutoReplyDecision,
    AutoReplyState,
    Base,
    Channel,
    Customer,
    DeliveryState,
    LinkKind,
    Message,
    MessageDirection,
    QuestionVariant,
    Role,
    Suggestion,
    Ticket,
    TicketArticle,
    TicketChange,
    TicketNote,
    TicketStatus,
    User,
    VariantStatus,
    VipTier,
    utcnow,
)
from callcenter.wiring import Container
from tests.support import autoreply_data
from tests.support.waiting import wait_for
from tests.webtools import csrf_token, sign_in

from .deskdata import PASSWORD

ADDRESS = "li.na@customer.example"
ASKED = "I forgot my password and cannot sign in"
ANSWER_URL = "https://help.example.test"
T = TypeVar("T", bound=Base)
LINK = re.compile(re.escape(ANSWER_URL) + r"/kb/answer/([A-Za-z0-9_-]+)/(yes|no)")


@pytest.fixture
def kb(container: Container) -> dict[str, int]:
    """Auto-reply on, answering links on the help site, over a calibrated knowledge base."""
    cfg = container.settings.knowledge.auto_reply
    cfg.enabled, cfg.answer_url = True, ANSWER_URL
    return autoreply_data.seed(container)


def write(container: Container, body: str, *, channel: Channel = Channel.EMAIL, key: str | None = None,
          address: str = ADDRESS, subject: str = "", number: str | None = None, no_reply: str | None = None,
          language: str | None = None) -> tuple[int, int]:
    """A customer's message through the channel intake, as a channel delivers it: (ticket id, message id)."""
    sender = Sender("wechat", address, verified=True) if channel is Channel.WECHAT else \
        Sender("phone", address) if channel is Channel.SMS else Sender("email", address, "Li Na")
    with transaction(container.session_factory) as s:
        received = container.channel_intake.receive(s, Inbound(
            channel=channel, channel_key=key or f"<{abs(hash((body, address, subject)))}@customer.example>",
            sender=sender, body=body, subject=subject, ticket_number=number, no_reply=no_reply, language=language))
        return received.ticket.id, received.message.id


def look(container: Container, message_id: int) -> str | None:
    """The knowledge service's look at one inbound message, as on MessageReceived."""
    return container.knowledge().message(message_id)


def rows(container: Container, model: type[T], *where: Any) -> list[T]:
    """Rows of ``model``, oldest first, readable after their session closed."""
    with container.session_factory() as s:
        found = list(s.scalars(select(model).where(*where).order_by(*inspect(model).primary_key)))
        for row in found:
            s.expunge(row)
        return found


def ticket_of(container: Container, ticket_id: int) -> Ticket:
    [ticket] = rows(container, Ticket, Ticket.id == ticket_id)
    return ticket


def reply_of(container: Container, ticket_id: int) -> AutoReply:
    [reply] = rows(container, AutoReply, AutoReply.ticket_id == ticket_id)
    return reply


def outbound(container: Container, ticket_id: int) -> list[Message]:
    return rows(container, Message, Message.ticket_id == ticket_id, Message.direction == MessageDirection.OUTBOUND)


def decisions(container: Container, ticket_id: int) -> list[tuple[str, float, float]]:
    return [(d.outcome, d.probability, d.threshold)
            for d in rows(container, AutoReplyDecision, AutoReplyDecision.ticket_id == ticket_id)]


def probability(container: Container, text: str) -> float:
    with container.session_factory() as s:
        return container.suggester.suggest(s, text, k=1)[0].probability


# -- answering ----------------------------------------------------------------------------------------------
def test_a_question_above_the_threshold_is_answered_once_and_waits_on_the_customer(container, kb) -> None:
    ticket_id, message_id = write(container, ASKED, subject="Cannot sign in")
    assert look(container, message_id) == "sent"
    [mail] = outbound(container, ticket_id)
    assert (mail.channel, mail.recipient, mail.delivery_state) == (Channel.EMAIL, ADDRESS, DeliveryState.QUEUED)
    assert mail.meta["auto_submitted"] == "auto-replied" and mail.meta["auto_reply"] == {"article": "1001",
                                                                                        "locale": "en"}
    reply = reply_of(container, ticket_id)
    assert reply.state is AutoReplyState.PENDING and reply.message_id == mail.id and len(reply.token) >= 32
    assert dt.timedelta(hours=23.9) < reply.due_at - reply.sent_at <= dt.timedelta(hours=24)
    assert "Reset a forgotten password" in mail.body and "We e-mail you a link" in mail.body  # title and body
    assert "Did this solve it?" in mail.body and "Or reply YES or NO to this message." in mail.body
    assert sorted(LINK.findall(mail.body)) == [(reply.token, "no"), (reply.token, "yes")]
    ticket = ticket_of(container, ticket_id)
    assert ticket.status is TicketStatus.PENDING and ticket.assignee_id is None and ticket.sla_paused_at
    [(outcome, p, threshold)] = decisions(container, ticket_id)
    assert outcome == "sent" and p == reply.probability >= threshold == 0.75
    [logged] = rows(container, Suggestion, Suggestion.ticket_id == ticket_id, Suggestion.context == "auto_reply")
    assert (logged.id, logged.article_id, logged.helpful) == (reply.suggestion_id, kb["password"], None)
    [link] = rows(container, TicketArticle, TicketArticle.ticket_id == ticket_id)
    assert (link.article_id, link.kind) == (kb["password"], LinkKind.AUTO_REPLIED)
    [change] = rows(container, TicketChange, TicketChange.ticket_id == ticket_id, TicketChange.new_value == "pending")
    assert change.reason_template == autoreply.WAITING and change.reason_params == {"code": "1001"}
    [sent] = rows(container, AuditLog, AuditLog.action == "auto_reply_sent")
    assert sent.actor_name == "auto-reply" and sent.object_id == ticket.number
    # The same event again (or another process's): no second look, no second answer.
    assert look(container, message_id) is None
    assert len(outbound(container, ticket_id)) == 1 and len(decisions(container, ticket_id)) == 1


def test_the_answer_is_in_the_language_the_customer_wrote_in(container, kb) -> None:
    ticket_id, message_id = write(container, "路由器一直閃紅燈，上不了網")  # traditional characters, a new customer
    assert look(container, message_id) == "sent"
    [mail] = outbound(container, ticket_id)
    assert "路由器红灯闪烁" in mail.body and "红灯表示线路中断" in mail.body
    assert "这解决了您的问题吗？" in mail.body and "“是”或“否”" in mail.body
    assert mail.meta["auto_reply"]["locale"] == "zh"


def test_exactly_at_the_threshold_answers_and_just_below_does_not(container, kb) -> None:
    p = probability(container, ASKED)
    with transaction(container.session_factory) as s:
        container.articles.save_category(s, autoreply_data.EDITOR, key="account", name_en="Account", threshold=p)
    at, at_message = write(container, ASKED, address="at@customer.example")
    assert look(container, at_message) == "sent" and decisions(container, at) == [("sent", p, p)]
    with transaction(container.session_factory) as s:
        container.articles.save_category(s, autoreply_data.EDITOR, key="account", name_en="Account",
                                         threshold=round(p + 0.0001, 4))
    below, below_message = write(container, ASKED, address="below@customer.example")
    assert look(container, below_message) == "below_threshold"
    assert decisions(container, below) == [("below_threshold", p, round(p + 0.0001, 4))]
    assert outbound(container, below) == [] and ticket_of(container, below).status is TicketStatus.NEW


def test_vip_customers_are_always_answered_by_a_person(container, kb) -> None:
    ticket_id, _ = write(container, "hello", key="<first@customer.example>")
    with transaction(container.session_factory) as s:
        customer = s.get(Customer, ticket_of(container, ticket_id).customer_id)
        assert customer is not None
        customer.vip_tier = VipTier.GOLD
    vip_ticket, message_id = write(container, ASKED, key="<vip@customer.example>")
    assert look(container, message_id) == "vip"
    [(outcome, p, _threshold)] = decisions(container, vip_ticket)
    assert outcome == "vip" and p > 0.75  # it would have answered: the log says so
    assert outbound(container, vip_ticket) == []


@pytest.mark.parametrize("text", ["This is unacceptable. I forgot my password and cannot sign in",
                                  "I will SUE you: I forgot my password and cannot sign in",
                                  "我要投訴！忘記密碼怎麼辦",  # traditional: 投訴 folds to 投诉
                                  "忘记密码怎么办，再不解决我就打１２３１５"])  # full-width digits fold too
def test_angry_messages_are_never_answered_automatically(container, kb, text: str) -> None:
    ticket_id, message_id = write(container, text)
    assert look(container, message_id) == "angry"
    assert outbound(container, ticket_id) == [] and ticket_of(container, ticket_id).status is TicketStatus.NEW


def test_an_angry_word_inside_another_word_is_not_anger(container, kb) -> None:
    _ticket_id, message_id = write(container, "An issue: I forgot my password and cannot sign in")  # "sue"
    assert look(container, message_id) == "sent"


def test_nothing_is_answered_on_an_uncalibrated_score(container) -> None:
    container.settings.knowledge.auto_reply.enabled = True
    autoreply_data.seed(container, calibrate=False)
    ticket_id, message_id = write(container, ASKED)
    assert look(container, message_id) == "uncalibrated"
    [(outcome, p, _threshold)] = decisions(container, ticket_id)
    assert outcome == "uncalibrated" and 0 < p < 1  # the prior's guess, logged, never acted on
    assert outbound(container, ticket_id) == []


def test_a_category_or_the_whole_feature_switched_off_answers_nothing(container, kb) -> None:
    with transaction(container.session_factory) as s:
        container.articles.save_category(s, autoreply_data.EDITOR, key="account", name_en="Account",
                                         auto_reply=False)
    off, message_id = write(container, ASKED, address="a@customer.example")
    assert look(container, message_id) == "disabled" and outbound(container, off) == []
    _, message_id = write(container, "my router blinks red", address="b@customer.example")
    assert look(container, message_id) == "sent"  # another category still answers
    container.settings.knowledge.auto_reply.enabled = False
    later, message_id = write(container, "my router blinks red", address="c@customer.example")
    assert look(container, message_id) == "disabled" and outbound(container, later) == []


def test_other_channels_automatic_mail_and_a_persons_ticket_are_left_alone(container, kb) -> None:
    container.settings.phone.default_region = "CN"
    sms, message_id = write(container, ASKED, channel=Channel.SMS, address="+8613800138000")
    assert look(container, message_id) == "channel"
    auto, message_id = write(container, ASKED, no_reply="auto_reply", address="ooo@customer.example")
    assert look(container, message_id) == "automatic"
    first, _ = write(container, "Hello?", address="person@customer.example", key="<p1@customer.example>")
    with transaction(container.session_factory) as s:
        ticket = s.get(Ticket, first)
        agent = User(username="cy", role=Role.AGENT, password_hash="x")
        s.add(agent)
        s.flush()
        assert ticket is not None
        container.replies.send(s, ticket, Actor.of(agent), channel=Channel.EMAIL, body="How can I help?")
    number = ticket_of(container, first).number
    _, message_id = write(container, ASKED, address="person@customer.example", key="<p2@customer.example>",
                          number=number)
    assert look(container, message_id) == "person"
    assert [outbound(container, t) for t in (sms, auto)] == [[], []] and len(outbound(container, first)) == 1


# -- the customer's answer ----------------------------------------------------------------------------------
def _answered(container: Container, reply_text: str, *, asked: str = ASKED) -> tuple[int, int]:
    ticket_id, message_id = write(container, asked, key="<q@customer.example>")
    assert look(container, message_id) == "sent"
    number = ticket_of(container, ticket_id).number
    again, answer_id = write(container, reply_text, key="<a@customer.example>", subject=f"Re: [#{number}]",
                             number=number)
    assert again == ticket_id
    return ticket_id, answer_id


@pytest.mark.parametrize("said", ["YES", "yes.\n\nSent from my iPhone", "是的。", "Ｙｅｓ"])
def test_a_yes_by_reply_closes_the_ticket_as_self_served(container, kb, said: str) -> None:
    ticket_id, answer_id = _answered(container, said)
    assert look(container, answer_id) == "already"  # the answer is logged too: never a second auto-reply
    reply = reply_of(container, ticket_id)
    assert reply.state is AutoReplyState.ACCEPTED and reply.answered_at is not None
    ticket = ticket_of(container, ticket_id)
    assert ticket.status is TicketStatus.CLOSED and "self_served" in ticket.tags
    [labelled] = rows(container, Suggestion, Suggestion.id == reply.suggestion_id)
    assert labelled.helpful is True
    assert rows(container, QuestionVariant, QuestionVariant.status == VariantStatus.CANDIDATE) == []
    changes = {(c.field, c.new_value) for c in rows(container, TicketChange, TicketChange.ticket_id == ticket_id)}
    assert {("status", "closed"), ("tags", "self_served")} <= changes
    [answered] = rows(container, AuditLog, AuditLog.action == "auto_reply_answered")
    assert answered.actor_name == "customer" and answered.detail["state"] == "accepted"


@pytest.mark.parametrize("said", ["NO", "否", "沒解決", "I still cannot sign in, the link never came"])
def test_a_no_or_any_other_answer_goes_to_an_agent_with_the_rejection_stored(container, kb, said: str) -> None:
    ticket_id, answer_id = _answered(container, said)
    look(container, answer_id)
    reply = reply_of(container, ticket_id)
    assert reply.state is AutoReplyState.REJECTED
    ticket = ticket_of(container, ticket_id)
    assert ticket.status is TicketStatus.OPEN and "self_served" not in ticket.tags
    [labelled] = rows(container, Suggestion, Suggestion.id == reply.suggestion_id)
    assert labelled.helpful is False
    [note] = rows(container, TicketNote, TicketNote.ticket_id == ticket_id)
    assert note.template == answers_module.REJECTED_NOTE and note.internal
    assert note.params == {"code": "1001", "title": "Reset a forgotten password"}
    [candidate] = rows(container, QuestionVariant, QuestionVariant.status == VariantStatus.CANDIDATE)
    assert (candidate.article_id, candidate.text, candidate.source, candidate.ticket_id, candidate.locale) == \
        (kb["password"], ASKED, "rejection", ticket_id, "en")
    # A later question on the same ticket is never answered automatically again.
    _, later = write(container, "my router blinks red", key="<later@customer.example>", number=ticket.number)
    assert look(container, later) == "already" and len(outbound(container, ticket_id)) == 1


def test_an_automatic_message_is_no_answer(container, kb) -> None:
    ticket_id, message_id = write(container, ASKED, key="<q@customer.example>")
    look(container, message_id)
    number = ticket_of(container, ticket_id).number
    _, ooo = write(container, "I am out of the office until Monday.", key="<ooo@customer.example>",
                   number=number, no_reply="auto_reply")
    assert look(container, ooo) == "automatic"
    assert reply_of(container, ticket_id).state is AutoReplyState.PENDING


def test_no_answer_in_time_expires_once_and_goes_to_an_agent(container, kb) -> None:
    ticket_id, message_id = write(container, "请问怎么申请退款")
    look(container, message_id)
    watcher = container.knowledge()
    assert watcher.expire() == 0  # not due yet
    with transaction(container.session_factory) as s:
        s.execute(update(AutoReply).values(due_at=utcnow() - dt.timedelta(minutes=1)))
    assert watcher.expire() == 1
    assert watcher.expire() == 0
    reply = reply_of(container, ticket_id)
    assert reply.state is AutoReplyState.EXPIRED
    assert ticket_of(container, ticket_id).status is TicketStatus.OPEN
    [note] = rows(container, TicketNote, TicketNote.ticket_id == ticket_id)
    assert note.template == answers_module.EXPIRED_NOTE and note.params["hours"] == "24"
    assert note.params["title"] == "申请退款"
    [labelled] = rows(container, Suggestion, Suggestion.id == reply.suggestion_id)
    assert labelled.helpful is False
    [candidate] = rows(container, QuestionVariant, QuestionVariant.status == VariantStatus.CANDIDATE)
    assert (candidate.text, candidate.locale) == ("请问怎么申请退款", "zh")


def test_an_expiry_leaves_a_ticket_an_agent_already_closed(container, kb) -> None:
    ticket_id, message_id = write(container, ASKED)
    look(container, message_id)
    with transaction(container.session_factory) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        container.tickets.change(s, ticket, Actor.system("test"), status=TicketStatus.RESOLVED)
        s.execute(update(AutoReply).values(due_at=utcnow() - dt.timedelta(minutes=1)))
    assert container.knowledge().expire() == 1
    assert ticket_of(container, ticket_id).status is TicketStatus.RESOLVED


# -- duplicates and several processes -----------------------------------------------------------------------
def test_a_duplicate_message_received_on_the_bus_makes_one_reply(container, kb) -> None:
    ticket_id, message_id = write(container, ASKED)
    watcher = container.knowledge()
    watcher.start()
    try:
        event = MessageReceived(ticket_id=ticket_id, message_id=message_id, channel="email", direction="inbound")
        for _ in range(3):
            container.bus.publish(event)
        wait_for(lambda: decisions(container, ticket_id) or None, 30, "auto-reply's look")
        wait_for(lambda: watcher.waiting.empty() or None, 30, "the watcher's queue drained")
    finally:
        watcher.stop()
    assert len(outbound(container, ticket_id)) == 1 and [d[0] for d in decisions(container, ticket_id)] == ["sent"]


def test_two_processes_on_one_message_and_one_expiry_do_each_once(container, kb) -> None:
    ticket_id, message_id = write(container, ASKED)
    other = Container(container.settings)  # a second process: its own engine, connections and services
    try:
        results: list[Any] = []
        racers = [threading.Thread(target=lambda c=c: results.append(look(c, message_id)))
                  for c in (container, other)]
        for t in racers:
            t.start()
        for t in racers:
            t.join(60)
        assert sorted(results, key=str) == [None, "sent"]
        assert len(outbound(container, ticket_id)) == 1
        with transaction(container.session_factory) as s:
            s.execute(update(AutoReply).values(due_at=utcnow() - dt.timedelta(minutes=1)))
        counts: list[int] = []
        racers = [threading.Thread(target=lambda c=c: counts.append(c.knowledge().expire()))
                  for c in (container, other)]
        for t in racers:
            t.start()
        for t in racers:
            t.join(60)
        assert sorted(counts) == [0, 1]
        assert len(rows(container, TicketNote, TicketNote.ticket_id == ticket_id)) == 1
    finally:
        other.close()


def test_the_sweep_catches_what_no_event_brought(container, kb) -> None:
    ticket_id, _message_id = write(container, ASKED)  # nobody listened: no event reached a watcher
    watcher = container.knowledge()
    assert watcher.sweep() == (1, 1)  # the message, and the new ticket
    assert [d[0] for d in decisions(container, ticket_id)] == ["sent"]
    shown = rows(container, Suggestion, Suggestion.ticket_id == ticket_id, Suggestion.context == "ticket")
    assert shown and shown[0].article_id == kb["password"] and shown[0].rank == 1
    assert watcher.sweep() == (0, 0)
    assert watcher.ticket(ticket_id) == 0  # logged once, whoever asks again


def test_the_sweep_finds_an_answer_to_a_pending_auto_reply_however_old(container, kb) -> None:
    ticket_id, message_id = write(container, ASKED, key="<q@customer.example>")
    watcher = container.knowledge()
    assert watcher.message(message_id) == "sent"
    number = ticket_of(container, ticket_id).number
    _, answer_id = write(container, "yes", key="<a@customer.example>", number=number)
    with transaction(container.session_factory) as s:  # it came while no knowledge service ran, hours ago
        s.execute(update(Message).where(Message.id == answer_id).values(created_at=utcnow() - dt.timedelta(hours=5)))
    assert watcher.sweep() == (1, 1)  # the answer (and the ticket's suggestions, no event logged them either)
    assert reply_of(container, ticket_id).state is AutoReplyState.ACCEPTED
    assert ticket_of(container, ticket_id).status is TicketStatus.CLOSED


# -- the dispatcher ------------------------------------------------------------------------------------------
@pytest.fixture
def dispatcher(container: Container) -> Iterator[Container]:
    """The active dispatcher's runtime on a paused scheduler: the test runs its jobs by hand."""
    scheduler = sched.build(container.engine, container.settings.dispatch.scheduler)
    scheduler._process_jobs = lambda: None
    scheduler.start(paused=True)
    dispatch_runtime.install(build_runtime(container.settings, container.engine, container.session_factory,
                                           scheduler, None, None, container.callbacks))
    yield container
    dispatch_runtime.install(None)
    scheduler.shutdown(wait=False)


def test_a_ticket_waiting_on_the_customer_is_nobodys_until_they_say_no(dispatcher, kb) -> None:
    container = dispatcher
    with transaction(container.session_factory) as s:
        agent = User(username="cy", display_name="Cy", role=Role.AGENT, password_hash="x")
        s.add(agent)
        s.flush()
        s.add(AgentProfile(user_id=agent.id, languages=["en", "zh"]))
    ticket_id, message_id = write(container, ASKED, key="<q@customer.example>")
    jobs.review_ticket(ticket_id)  # the dispatcher was quicker than auto-reply
    assert ticket_of(container, ticket_id).assignee_id == agent.id
    assert look(container, message_id) == "sent"
    assert ticket_of(container, ticket_id).assignee_id is None  # waiting on the customer: nobody's
    jobs.review_ticket(ticket_id)
    assert ticket_of(container, ticket_id).assignee_id is None
    number = ticket_of(container, ticket_id).number
    _, answer_id = write(container, "no", key="<a@customer.example>", number=number)
    look(container, answer_id)
    jobs.review_ticket(ticket_id)
    ticket = ticket_of(container, ticket_id)
    assert (ticket.status, ticket.assignee_id) == (TicketStatus.OPEN, agent.id)


# -- the link pages ------------------------------------------------------------------------------------------
def _token(container: Container, text: str = ASKED) -> tuple[int, str]:
    ticket_id, message_id = write(container, text)
    assert look(container, message_id) == "sent"
    return ticket_id, reply_of(container, ticket_id).token


def test_a_link_only_asks_and_the_button_answers(app, container, kb) -> None:
    ticket_id, token = _token(container)
    client = app.test_client()
    page = client.get(f"/kb/answer/{token}/yes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Reset a forgotten password" in html and 'id="confirm-answer"' in html
    assert reply_of(container, ticket_id).state is AutoReplyState.PENDING  # a mail scanner's GET changes nothing
    assert ticket_of(container, ticket_id).status is TicketStatus.PENDING
    refused = client.post(f"/kb/answer/{token}/yes")  # no CSRF token: refused, nothing changed
    assert refused.status_code == 400 and reply_of(container, ticket_id).state is AutoReplyState.PENDING
    done = client.post(f"/kb/answer/{token}/yes", data={"csrf_token": csrf_token(client, f"/kb/answer/{token}/yes")})
    assert done.status_code == 200 and 'id="thanks"' in done.get_data(as_text=True)
    assert reply_of(container, ticket_id).state is AutoReplyState.ACCEPTED
    ticket = ticket_of(container, ticket_id)
    assert ticket.status is TicketStatus.CLOSED and "self_served" in ticket.tags
    # Changing one's mind afterwards changes nothing, and says so.
    again = client.post(f"/kb/answer/{token}/no", data={"csrf_token": csrf_token(client, f"/kb/answer/{token}/no")})
    assert 'id="answered"' in again.get_data(as_text=True) and 'data-state="accepted"' in again.get_data(as_text=True)
    assert reply_of(container, ticket_id).state is AutoReplyState.ACCEPTED


def test_the_link_pages_speak_the_customers_language(app, container, kb) -> None:
    ticket_id, token = _token(container, "我要申请退款")
    client = app.test_client()
    html = client.get(f"/kb/answer/{token}/no", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "这解决了您的问题吗？" in html and "申请退款" in html and "没有，我仍需要帮助" in html
    done = client.post(f"/kb/answer/{token}/no", data={"csrf_token": csrf_token(client, f"/kb/answer/{token}/no")})
    assert "很抱歉没能帮到您" in done.get_data(as_text=True)
    assert reply_of(container, ticket_id).state is AutoReplyState.REJECTED
    assert ticket_of(container, ticket_id).status is TicketStatus.OPEN


@pytest.mark.parametrize("url", ["/kb/answer/not-a-real-token-at-all/yes", "/kb/answer/x/yes",
                                 "/kb/answer/{token}/maybe"])
def test_a_link_we_never_sent_is_a_clear_404(app, container, kb, url: str) -> None:
    _, token = _token(container)
    resp = app.test_client().get(url.format(token=token))
    assert resp.status_code == 404 and "This link is not valid" in resp.get_data(as_text=True)


def test_the_ticket_page_shows_the_automatic_answer(app, container, shop, kb) -> None:
    ticket_id, token = _token(container)
    number = ticket_of(container, ticket_id).number
    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    html = client.get(f"/tickets/{number}").get_data(as_text=True)
    part = html.split('id="auto-reply"', 1)[1].split("</section>", 1)[0]
    assert 'data-state="pending"' in part and "1001" in part and "Reset a forgotten password" in part
    assert "waiting for the customer" in part and "%" in part
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client, f"/tickets/{number}")})
    app.test_client().post(f"/kb/answer/{token}/no", data={})  # no CSRF token: still pending
    html = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "自动答复" in html and "等待客户回复" in html


def test_every_answer_is_counted_in_the_decision_log(container, kb) -> None:
    for n, text in enumerate((ASKED, "what is the weather like", "my router blinks red")):
        _, message_id = write(container, text, address=f"c{n}@customer.example")
        look(container, message_id)
    with container.session_factory() as s:
        outcomes = dict(s.execute(select(AutoReplyDecision.outcome, func.count())
                                  .group_by(AutoReplyDecision.outcome)).all())
    assert outcomes == {"sent": 2, "no_article": 1}


def test_the_knowledge_service_runs_alone_as_a_subcommand_of_its_group(cli, monkeypatch) -> None:
    from callcenter.cli import knowledge as knowledge_cli
    from callcenter.cli import main

    started: list[tuple[str, ...]] = []
    monkeypatch.setattr(knowledge_cli, "serve", lambda _container, names: started.append(names))
    result = cli.invoke(main, ["knowledge", "run"])
    assert result.exit_code == 0, result.output
    assert started == [("knowledge",)]
    listed = cli.invoke(main, ["knowledge", "--help"]).output
    assert all(name in listed for name in ("run", "calibrate", "reindex", "import", "export"))
