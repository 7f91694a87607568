"""Every channel together, on SQLite and PostgreSQL, against the real servers and the documented protocols:

- internal notes never leave the system, whichever way a reply goes out (SMTP to a real aiosmtpd, WeChat's
  customer-service API and an SMS gateway played over localhost, the web form's acknowledgement);
- a customer who calls, then e-mails (through a real Dovecot), then writes on WeChat (a signed callback)
  is one customer, and their tickets show all of it.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.channels.settings import SMSSettings, WeChatSettings
from callcenter.channels.wechat import signature
from callcenter.customers.history import customer_history
from callcenter.db import transaction
from callcenter.models import (
    Call,
    CallStatus,
    Channel,
    Customer,
    DeliveryState,
    Direction,
    Disposition,
    Message,
    MessageDirection,
    Ticket,
    User,
    Visibility,
    utcnow,
)
from tests.support import replies
from tests.support.channel_peers import SMSGateway, WeChatAPI, serving
from tests.support.mailservers import Account, SMTPInbox
from tests.test_email_channel import fetch_round, mail
from tests.webtools import sign_in

from .deskdata import PASSWORD

SECRET_NOTE = "INTERNAL-ONLY 7f3a: customer is on the fraud watch list"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
PHONE = "+8613912345678"
ADDRESS = "wang@customer.example"
TOKEN = "callback-token-typed-in-the-account"


@pytest.fixture
def wechat_api() -> Iterator[WeChatAPI]:
    with serving(WeChatAPI()) as peer:
        yield peer


@pytest.fixture
def gateway() -> Iterator[SMSGateway]:
    with serving(SMSGateway()) as peer:
        yield peer


@pytest.fixture
def settings(settings, account: Account, smtp: tuple[SMTPInbox, int], wechat_api: WeChatAPI,
             gateway: SMSGateway):
    """Every channel on: e-mail at this test's mailbox and SMTP server, WeChat and SMS at their local peers."""
    settings.phone.default_region = "CN"
    settings.dialling.countries = ["CN"]
    settings.channels.email = account.settings(smtp_host="127.0.0.1", smtp_port=smtp[1])
    settings.channels.wechat = WeChatSettings(enabled=True, token=TOKEN, app_id=wechat_api.app_id,
                                              app_secret=wechat_api.app_secret, api_base=wechat_api.url, timeout=5)
    settings.channels.sms = SMSSettings(enabled=True, sender="+8610690000", send_url=f"{gateway.url}/send",
                                        send_token=gateway.token, inbound_secret="sms-secret", timeout=5)
    return settings


def _wechat_text(client, msg_id: str, text: str) -> None:
    ts, nonce = str(int(time.time())), "1514384351"
    body = (f"<xml><ToUserName><![CDATA[gh_3f6a7b8c9d0e]]></ToUserName><FromUserName><![CDATA[{OPENID}]]>"
            f"</FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()
    resp = client.post(f"/channels/wechat/callback?signature={signature(TOKEN, ts, nonce)}&timestamp={ts}"
                       f"&nonce={nonce}", data=body, content_type="text/xml")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "success"


def _caller(container) -> tuple[int, int, str]:
    """A customer on a call, made by the agent on the pop with their e-mail address; the call's ticket."""
    with transaction(container.session_factory) as s:
        agent = s.scalars(select(User).where(User.username == "ann")).one()
        customer = container.customers.create(s, Actor.of(agent), name="Wang Fang", numbers=[PHONE],
                                              email=ADDRESS)
        start = utcnow() - dt.timedelta(hours=1)
        call = Call(pbx="lab", linkedid="journey-1", direction=Direction.INBOUND, caller_number=PHONE,
                    status=CallStatus.COMPLETE, disposition=Disposition.ANSWERED, started_at=start,
                    answered_at=start + dt.timedelta(seconds=5), ended_at=start + dt.timedelta(minutes=4),
                    customer_id=customer.id, agent_id=agent.id)
        s.add(call)
        s.flush()
        ticket = container.tickets.create(s, Actor.of(agent), call=call, subject="Parcel three days late",
                                          description="Called about a late parcel.")
        return customer.id, call.id, str(ticket.number)


def test_internal_notes_never_leave_by_any_channel(app, container, shop, smtp, wechat_api: WeChatAPI,
                                                   gateway: SMSGateway) -> None:
    inbox = smtp[0]
    customer_id, _call_id, number = _caller(container)
    with transaction(container.session_factory) as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None
        container.customers.add_identity(s, customer, Actor.system("test"), kind="wechat", value=OPENID,
                                         verified=True)
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        agent = Actor.of(s.scalars(select(User).where(User.username == "ann")).one())
        # Every way a note is written: the conversation service, the reply form's "internal note", the ticket.
        container.conversations.add_internal_note(s, ticket, SECRET_NOTE, agent)
        container.replies.send(s, ticket, agent, channel=Channel.EMAIL, body=SECRET_NOTE + " (form)", internal=True)
        container.tickets.add_note(s, ticket, SECRET_NOTE + " (ticket)", agent, internal=True)
        # An internal message row, as a channel might one day write: it must not be sent either.
        s.add(Message(ticket_id=ticket.id, channel=Channel.EMAIL, direction=MessageDirection.OUTBOUND,
                      visibility=Visibility.INTERNAL, body=SECRET_NOTE + " (message)", recipient=ADDRESS,
                      delivery_state=DeliveryState.QUEUED))
        for channel in (Channel.EMAIL, Channel.WEB, Channel.WECHAT, Channel.SMS):
            container.replies.send(s, ticket, agent, channel=channel, body=f"Public answer on {channel.value}.")
    delivery = replies.delivery(container)
    while delivery.run_once():
        pass
    with container.session_factory() as s:
        public = s.scalars(select(Message).where(Message.direction == MessageDirection.OUTBOUND,
                                                 Message.visibility == Visibility.PUBLIC)).all()
        assert sorted(m.channel.value for m in public) == ["email", "sms", "web", "wechat"]
        assert all(m.delivery_state == DeliveryState.SENT for m in public)
        internal = s.scalars(select(Message).where(Message.visibility == Visibility.INTERNAL)).one()
        assert internal.delivery_state == DeliveryState.QUEUED and internal.attempts == 0
    mails = [m.as_string() + "".join(str(p.get_content()) for p in m.walk() if p.get_content_maintype() == "text")
             for _rcpts, m in inbox.messages]
    wechat = [seen.body.decode() for seen in wechat_api.to("/cgi-bin/message/custom/send")]
    sms = [seen.body.decode() for seen in gateway.to("/send")]
    assert len(mails) == 2 and len(wechat) == 1 and len(sms) == 1
    assert "Public answer on wechat." in wechat[0] and "Public answer on sms." in sms[0]
    for sent in mails + wechat + sms:
        assert "7f3a" not in sent and "fraud" not in sent


def test_a_caller_who_emails_then_writes_on_wechat_is_one_customer_with_one_history(
        app, container, shop, account: Account, smtp: tuple[SMTPInbox, int]) -> None:
    customer_id, call_id, number = _caller(container)
    # The agent answers the call's ticket by e-mail; the customer replies to it through their mail server.
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        agent = Actor.of(s.scalars(select(User).where(User.username == "ann")).one())
        sent = container.replies.send(s, ticket, agent, channel=Channel.EMAIL, body="We are tracing the parcel.")
        reply_id = sent.message.id if sent.message is not None else None
    delivery = replies.delivery(container)
    assert delivery.run_once() == 1
    ours = replies.message(container, int(reply_id or 0))
    assert ours.delivery_state == DeliveryState.SENT and ours.channel_key
    account.append(mail("<wang-2@customer.example>", f"Re: [#{number}] Parcel three days late",
                        "谢谢，快递今天到了吗？", in_reply_to=ours.channel_key))
    assert fetch_round(container.mail_fetcher()) == 1
    # Then they write on WeChat: WeChat vouches for the OpenID, but nothing ties it to the caller yet.
    _wechat_text(app.test_client(), "22913462478196102", "你好，我想改一下收货地址")
    with container.session_factory() as s:
        mailed = s.scalars(select(Message).where(Message.channel == Channel.EMAIL,
                                                 Message.direction == MessageDirection.INBOUND)).one()
        assert mailed.ticket_id == s.scalars(select(Ticket.id).where(Ticket.number == number)).one()
        assert mailed.customer_id == customer_id and "快递今天到了吗" in mailed.body
        chat = s.scalars(select(Message).where(Message.channel == Channel.WECHAT)).one()
        wechat_customer = chat.customer_id
        assert wechat_customer is not None and wechat_customer != customer_id
    # A supervisor sees it is the same person and merges the WeChat record into the caller's.
    with transaction(container.session_factory) as s:
        sue = Actor.of(s.scalars(select(User).where(User.username == "sue")).one())
        container.customer_merge.merge(s, sue, customer_id, wechat_customer)
    with container.session_factory() as s:
        ours_now = s.scalars(select(Customer).where(Customer.name == "Wang Fang")).all()
        assert [c.id for c in ours_now] == [customer_id]
        kinds = sorted(i.kind.value for i in ours_now[0].identities)
        assert kinds == ["email", "wechat"] and [p.number for p in ours_now[0].phones] == [PHONE]
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.id == wechat_customer)) == 0
        ada = s.scalars(select(User).where(User.username == "ada")).one()
        history = customer_history(s, customer_id, ada)
        channels = [c.channel for c in history.contacts]
        assert {"phone", "email", "wechat"} <= set(channels)
        assert [c.at for c in history.contacts] == sorted((c.at for c in history.contacts), reverse=True)
        assert any(c.kind == "call" and c.call_id == call_id for c in history.contacts)
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        entries = container.conversations.timeline(s, ticket, ada)
        kinds_in_timeline = [(e.kind, getattr(e, "channel", None)) for e in entries if e.kind in ("call", "message")]
    assert [k for k, _ in kinds_in_timeline] == ["call", "message", "message"]
    # The ticket page shows the WeChat contact in the customer's history, beside the call and the e-mails.
    web = app.test_client()
    sign_in(web, "ada", PASSWORD)
    html = web.get(f"/tickets/{number}").get_data(as_text=True)
    contacts = html.split('id="history-contacts"', 1)[1].split("</ul>", 1)[0]
    assert 'data-channel="wechat"' in contacts  # the WeChat ticket, in the caller's history on the call's ticket
    assert "快递今天到了吗" in html.split('id="conversation"', 1)[1]  # the e-mailed answer, in this ticket
