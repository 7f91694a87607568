"""Auto-reply end to end on SQLite and PostgreSQL, against the real servers and the documented peers:

- e-mail: the customer's question reaches a real Dovecot, the running ``channels`` and ``knowledge`` services
  answer it through a real SMTP server with links that work on the running web server, and the customer's
  "NO" by e-mail puts the ticket back in an agent's hands with the rejection stored;
- WeChat: a signed callback in, the short answer out through the customer-service API, "是" back closes it;
- the web form: a visitor's Chinese question answered by e-mail in Chinese, "yes" by the link.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any, TypeVar

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from callcenter.channels.settings import WeChatSettings
from callcenter.channels.wechat import signature
from callcenter.models import (
    AutoReply,
    AutoReplyDecision,
    AutoReplyState,
    Base,
    Channel,
    Message,
    MessageDirection,
    QuestionVariant,
    Suggestion,
    Ticket,
    TicketNote,
    TicketStatus,
    VariantStatus,
)
from callcenter.wiring import Container
from tests.support import autoreply_data, replies
from tests.support.channel_peers import WeChatAPI, serving
from tests.support.mailservers import Account, SMTPInbox
from tests.support.waiting import wait_for
from tests.test_email_channel import mail
from tests.webtools import csrf_token
from web import create_app
from web.server import WSGIService

CUSTOMER = "wang@customer.example"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
TOKEN = "callback-token-typed-in-the-account"
T = TypeVar("T", bound=Base)
LINK = re.compile(r"(https?://\S+/kb/answer/([A-Za-z0-9_-]+)/(yes|no))")


@pytest.fixture
def wechat_api() -> Iterator[WeChatAPI]:
    with serving(WeChatAPI()) as peer:
        yield peer


@pytest.fixture
def settings(settings, account: Account, smtp: tuple[SMTPInbox, int], wechat_api: WeChatAPI):
    """E-mail at this test's mailbox and SMTP server, WeChat at its peer, auto-reply on."""
    settings.channels.email = account.settings(smtp_host="127.0.0.1", smtp_port=smtp[1])
    settings.channels.delivery.poll_seconds = 0.2
    settings.channels.wechat = WeChatSettings(enabled=True, token=TOKEN, app_id=wechat_api.app_id,
                                              app_secret=wechat_api.app_secret, api_base=wechat_api.url, timeout=5)
    settings.knowledge.auto_reply.enabled = True
    return settings


def _one(container: Container, model: type[T], *where: Any) -> T:
    """The one row of ``model`` that matches, readable after its session closed."""
    with container.session_factory() as s:
        found = s.scalars(select(model).where(*where)).all()
        assert len(found) == 1, found
        s.expunge(found[0])
        return found[0]


def _text(sent: EmailMessage) -> str:
    part = sent.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_an_emailed_question_is_answered_and_a_no_by_email_reaches_an_agent(container, account, smtp) -> None:
    inbox = smtp[0]
    kb = autoreply_data.seed(container)
    web = WSGIService(create_app(container=container, test_config={"TESTING": True}), "127.0.0.1", 0, 8)
    web.start()
    container.settings.knowledge.auto_reply.answer_url = web.url  # the links point at the running web server
    services = [container.knowledge(), container.channels()]
    for service in services:
        service.start()
    try:
        account.append(mail("<q1@customer.example>", "Cannot sign in",
                            "Hello,\n\nI forgot my password and cannot sign in. What can I do?\n\nWang",
                            sender=f"Wang Fang <{CUSTOMER}>"))
        [sent] = wait_for(lambda: inbox.to(CUSTOMER) or None, 60, "the auto-reply in the customer's inbox")
        ticket = _one(container, Ticket, Ticket.source == "email")
        assert sent["Subject"] == f"Re: Cannot sign in [#{ticket.number}]"
        assert sent["In-Reply-To"] == "<q1@customer.example>" and sent["Auto-Submitted"] == "auto-replied"
        body = _text(sent)
        assert "Reset a forgotten password" in body and "Did this solve it?" in body
        links = {answer: url for url, _token, answer in LINK.findall(body)}
        assert set(links) == {"yes", "no"} and all(url.startswith(web.url) for url in links.values())
        # The links work on the web server; opening them (as a mail scanner would) answers nothing.
        for url in links.values():
            page = httpx.get(url, timeout=10)
            assert page.status_code == 200 and 'id="confirm-answer"' in page.text
        reply = _one(container, AutoReply, AutoReply.ticket_id == ticket.id)
        assert reply.state is AutoReplyState.PENDING
        assert _one(container, Ticket, Ticket.id == ticket.id).status is TicketStatus.PENDING
        # The customer answers "NO" from their mail program, quoting our message.
        account.append(mail("<q2@customer.example>", f"Re: Cannot sign in [#{ticket.number}]",
                            "NO\n\nOn Monday, support wrote:\n> Did this solve it?", in_reply_to=sent["Message-ID"]))
        wait_for(lambda: _one(container, AutoReply, AutoReply.ticket_id == ticket.id).state
                 is AutoReplyState.REJECTED or None, 60, "the customer's no")
        wait_for(lambda: len(_decisions(container, ticket.id)) == 2 or None, 30, "the answer's own look")
    finally:
        for service in reversed(services):
            service.stop()
        web.stop()
    done = _one(container, Ticket, Ticket.id == ticket.id)
    assert done.status is TicketStatus.OPEN and done.assignee_id is None  # the dispatcher's to give out
    note = _one(container, TicketNote, TicketNote.ticket_id == ticket.id)
    assert note.params["code"] == "1001" and "did not help" in note.body
    candidate = _one(container, QuestionVariant, QuestionVariant.status == VariantStatus.CANDIDATE)
    assert candidate.article_id == kb["password"] and "I forgot my password" in candidate.text
    assert candidate.source == "rejection" and candidate.ticket_id == ticket.id
    assert _one(container, Suggestion, Suggestion.context == "auto_reply").helpful is False
    assert _decisions(container, ticket.id) == ["sent", "already"]
    assert len(inbox.to(CUSTOMER)) == 1  # never a second automatic answer


def _decisions(container: Container, ticket_id: int) -> list[str]:
    with container.session_factory() as s:
        return list(s.scalars(select(AutoReplyDecision.outcome).where(AutoReplyDecision.ticket_id == ticket_id)
                              .order_by(AutoReplyDecision.id)))


def _wechat(client: FlaskClient, msg_id: str, text: str) -> None:
    ts, nonce = str(int(time.time())), "1514384351"
    body = (f"<xml><ToUserName><![CDATA[gh_3f6a7b8c9d0e]]></ToUserName><FromUserName><![CDATA[{OPENID}]]>"
            f"</FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()
    resp = client.post(f"/channels/wechat/callback?signature={signature(TOKEN, ts, nonce)}&timestamp={ts}"
                       f"&nonce={nonce}", data=body, content_type="text/xml")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "success"


def _inbound(container: Container, channel: Channel) -> list[int]:
    with container.session_factory() as s:
        return list(s.scalars(select(Message.id).where(Message.channel == channel,
                                                       Message.direction == MessageDirection.INBOUND)
                              .order_by(Message.id)))


def test_wechat_gets_the_short_answer_and_a_yes_closes_it(app, container, wechat_api: WeChatAPI) -> None:
    autoreply_data.seed(container)
    watcher, delivery, client = container.knowledge(), replies.delivery(container), app.test_client()
    _wechat(client, "22913462478196101", "我的快递到哪了？三天了还没到")
    [asked] = _inbound(container, Channel.WECHAT)
    assert watcher.message(asked) == "sent"
    assert delivery.run_once() == 1
    [sent] = wechat_api.to("/cgi-bin/message/custom/send")
    payload = sent.json()
    assert payload["touser"] == OPENID and payload["msgtype"] == "text"
    content = payload["text"]["content"]
    assert "发货邮件里有快递单号" in content  # the short answer: WeChat shows one bubble
    assert "每个包裹的发货邮件里" not in content and "这解决了您的问题吗？" in content
    assert len(LINK.findall(content)) == 2
    _wechat(client, "22913462478196102", "是")
    [_, said] = _inbound(container, Channel.WECHAT)
    assert watcher.message(said) == "already"
    ticket = _one(container, Ticket, Ticket.source == "wechat")
    assert ticket.status is TicketStatus.CLOSED and "self_served" in ticket.tags
    assert _one(container, AutoReply, AutoReply.ticket_id == ticket.id).state is AutoReplyState.ACCEPTED
    assert delivery.run_once() == 0 and len(wechat_api.to("/cgi-bin/message/custom/send")) == 1


def test_a_web_form_question_is_answered_by_email_in_the_visitors_language(app, container, smtp) -> None:
    inbox = smtp[0]
    autoreply_data.seed(container)
    client = app.test_client()
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client, "/contact")})
    page = client.get("/contact").get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce is not None
    resp = client.post("/contact", data={
        "csrf_token": csrf_token(client, "/contact"), "nonce": nonce.group(1), "category": "general",
        "name": "王芳", "email": CUSTOMER, "phone": "", "description": "忘记密码怎么办？登录不了", "website": ""})
    assert resp.status_code == 200
    [asked] = _inbound(container, Channel.WEB)
    assert container.knowledge().message(asked) == "sent"
    delivery = replies.delivery(container)
    while delivery.run_once():
        pass
    mails = inbox.to(CUSTOMER)
    assert len(mails) == 2  # the form's acknowledgement, then the answer
    answer = next(m for m in mails if "重置忘记的密码" in _text(m))
    body = _text(answer)
    assert "这解决了您的问题吗？" in body and answer["Auto-Submitted"] == "auto-replied"
    [(_url, token, _)] = [found for found in LINK.findall(body) if found[2] == "yes"]
    visitor = app.test_client()
    confirm = visitor.get(f"/kb/answer/{token}/yes").get_data(as_text=True)
    assert "是的，问题已解决" in confirm
    done = visitor.post(f"/kb/answer/{token}/yes",
                        data={"csrf_token": csrf_token(visitor, f"/kb/answer/{token}/yes")}).get_data(as_text=True)
    assert "很高兴能帮到您" in done
    ticket = _one(container, Ticket, Ticket.source == "web")
    assert ticket.status is TicketStatus.CLOSED and "self_served" in ticket.tags
    assert _one(container, Suggestion, Suggestion.context == "auto_reply").helpful is True
