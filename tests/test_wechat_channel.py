"""The WeChat channel on SQLite and PostgreSQL, against WeChat's documented protocol played over localhost.

Callbacks are signed as WeChat signs them and posted to the real route; replies
leave through the ``Delivery`` loop to a local server that plays the access-token
and customer-service message APIs (``tests/support/channel_peers.py``).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from callcenter.channels.settings import WeChatSettings
from callcenter.channels.wechat import AccessToken, signature
from callcenter.models import AuditLog, Channel, CustomerIdentity, DeliveryState, Message, Ticket
from tests.support import replies
from tests.support.channel_peers import WeChatAPI, serving

TOKEN = "callback-token-typed-in-the-account"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
URL = "/channels/wechat/callback"


@pytest.fixture
def wechat_api() -> Iterator[WeChatAPI]:
    with serving(WeChatAPI()) as peer:
        yield peer


@pytest.fixture
def settings(settings, wechat_api: WeChatAPI):
    settings.channels.wechat = WeChatSettings(
        enabled=True, token=TOKEN, app_id=wechat_api.app_id, app_secret=wechat_api.app_secret,
        api_base=wechat_api.url, timeout=5, max_age_seconds=300)
    return settings


def _query(timestamp: int | None = None, nonce: str = "1514384351", token: str = TOKEN) -> str:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return f"signature={signature(token, ts, nonce)}&timestamp={ts}&nonce={nonce}"


def _xml(msg_id: str, kind: str = "text", openid: str = OPENID, **fields: str) -> bytes:
    fields = {"Content": "你好，我的快递三天没到"} if kind == "text" and not fields else fields
    extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (f"<xml><ToUserName><![CDATA[gh_3f6a7b8c9d0e]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
            f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
            f"{extra}<MsgId>{msg_id}</MsgId></xml>").encode()


def _post(client, body: bytes, query: str | None = None):
    return client.post(f"{URL}?{query or _query()}", data=body, content_type="text/xml")




def test_a_signed_text_makes_a_ticket_and_is_answered_success(client, container) -> None:
    resp = _post(client, _xml("22913462478196102"))
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "success"
    with container.session_factory() as s:
        message = s.scalars(select(Message)).one()
        ticket = s.get(Ticket, message.ticket_id)
        identity = s.scalars(select(CustomerIdentity)).one()
        assert message.channel == Channel.WECHAT and message.channel_key == "22913462478196102"
        assert message.body == "你好，我的快递三天没到" and message.sender == OPENID
        assert message.recipient == "gh_3f6a7b8c9d0e" and message.meta["msg_type"] == "text"
        assert ticket is not None and ticket.source == "wechat" and ticket.customer_id == identity.customer_id
        assert identity.value == OPENID and identity.verified


def test_the_server_check_echoes_only_when_signed(client) -> None:
    good = client.get(f"{URL}?{_query()}&echostr=5838479218127813673")
    assert good.status_code == 200 and good.get_data(as_text=True) == "5838479218127813673"
    forged = client.get(f"{URL}?{_query(token='guessed')}&echostr=5838479218127813673")
    assert forged.status_code == 401 and "5838479218127813673" not in forged.get_data(as_text=True)


def test_a_bad_signature_or_a_stale_timestamp_stores_nothing(client, container) -> None:
    assert _post(client, _xml("1001"), _query(token="not-the-token")).status_code == 401
    assert _post(client, _xml("1002"), _query(timestamp=int(time.time()) - 301)).status_code == 401
    assert _post(client, _xml("1003"), _query(timestamp=int(time.time()) + 3600)).status_code == 401
    unsigned = client.post(URL, data=_xml("1004"), content_type="text/xml")
    assert unsigned.status_code == 401
    assert replies.count(container, Message) == 0 and replies.count(container, Ticket) == 0


def test_wechats_three_resends_of_one_msgid_are_onemessage(client, container) -> None:
    answers = [_post(client, _xml("6054768590064713728")) for _ in range(4)]  # the first and three resends
    assert [(a.status_code, a.get_data(as_text=True)) for a in answers] == [(200, "success")] * 4
    assert replies.count(container, Message) == 1 and replies.count(container, Ticket) == 1
    with container.session_factory() as s:
        received = s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "message_received"))
        assert received == 1


def test_an_event_is_answered_but_is_not_amessage(client, container) -> None:
    subscribe = _xml("0", kind="event", Event="subscribe").replace(b"<MsgId>0</MsgId>", b"")
    resp = _post(client, subscribe)
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "success"
    assert replies.count(container, Message) == 0 and replies.count(container, Ticket) == 0


def test_other_kinds_are_stored_as_words_a_person_can_read(client, container) -> None:
    _post(client, _xml("3001", kind="voice", MediaId="media-1", Format="amr", Recognition="我要退款"))
    _post(client, _xml("3002", kind="location", Location_X="23.134521", Location_Y="113.358803",
                       Scale="20", Label="广州市天河区"))
    _post(client, _xml("3003", kind="image", PicUrl="http://mmbiz.qpic.cn/a.jpg", MediaId="media-2"))
    with container.session_factory() as s:
        bodies = dict(s.execute(select(Message.channel_key, Message.body)).tuples().all())
        voice = s.scalars(select(Message).where(Message.channel_key == "3001")).one()
    assert bodies == {"3001": "我要退款", "3002": "[location] 广州市天河区 (23.134521, 113.358803)",
                      "3003": "[image] http://mmbiz.qpic.cn/a.jpg"}
    assert voice.meta["mediaid"] == "media-1" and voice.meta["format"] == "amr"
    assert replies.count(container, Ticket) == 1  # a chat continues the customer's open ticket


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<xml><ToUserName>gh</ToUserName><FromUserName>" + OPENID.encode() + b"</FromUserName>"
        b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>9</MsgId></xml>")
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY f SYSTEM "file:///etc/passwd">]>'
            b"<xml><MsgType>text</MsgType><Content>&f;</Content><MsgId>8</MsgId></xml>")


@pytest.mark.parametrize(("body", "status"), [
    (BOMB, 400), (EXTERNAL, 400), (b"<xml><unclosed></xml>", 400), (b"not xml at all", 400),
    (_xml("7", Content="x" * 70_000), 413),
    (b"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>", 400),
    (_xml("6", openid="../../etc"), 400), (_xml("abc"), 400), (_xml("5", kind="shell"), 400),
], ids=["bomb", "external-entity", "unclosed", "not-xml", "too-large", "encrypted", "bad-openid", "bad-msgid",
        "bad-kind"])  # fixed ids: the bodies hold the time, and every xdist worker must collect the same names
def test_hostile_or_malformed_xml_is_refused_cleanly(client, container, body: bytes, status: int) -> None:
    resp = _post(client, body)
    assert resp.status_code == status and resp.mimetype == "text/plain"
    assert "Traceback" not in resp.get_data(as_text=True) and "root:" not in resp.get_data(as_text=True)
    assert replies.count(container, Message) == 0 and replies.count(container, Ticket) == 0


def test_a_disabled_channel_answers_404(client, container) -> None:
    container.settings.channels.wechat.enabled = False
    assert _post(client, _xml("4001")).status_code == 404
    assert client.get(f"{URL}?{_query()}&echostr=1").status_code == 404
    assert replies.count(container, Message) == 0


# -- replies -------------------------------------------------------------------------------------







def test_replies_go_out_with_one_token_refreshed_after_it_expires(client, container, wechat_api, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    _post(client, _xml("5001"))
    delivery = replies.delivery(container)
    first = replies.queue_reply(container, Channel.WECHAT, "您好，我们正在查询您的快递。", OPENID)
    second = replies.queue_reply(container, Channel.WECHAT, "单号已找到。", OPENID)
    assert delivery.run_once() == 2
    assert wechat_api.tokens_issued == ["ACCESS_TOKEN_1"]  # fetched once, shared by both sends
    sends = wechat_api.to("/cgi-bin/message/custom/send")
    assert [s.args["access_token"] for s in sends] == ["ACCESS_TOKEN_1"] * 2
    assert sends[0].json() == {"touser": OPENID, "msgtype": "text", "text": {"content": "您好，我们正在查询您的快递。"}}
    assert "您好".encode() in sends[0].body and sends[0].headers["Content-Type"].startswith("application/json")
    token_call = wechat_api.to("/cgi-bin/token")[0].args
    assert token_call == {"grant_type": "client_credential", "appid": wechat_api.app_id,
                          "secret": wechat_api.app_secret}

    wechat_api.expire_tokens()  # WeChat's side ends the token (42001 on the next send)
    third = replies.queue_reply(container, Channel.WECHAT, "快递明天送到。", OPENID)
    assert delivery.run_once() == 1
    assert wechat_api.tokens_issued == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    sends = wechat_api.to("/cgi-bin/message/custom/send")
    assert [s.args["access_token"] for s in sends[2:]] == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    for message_id in (first, second, third):
        message = replies.message(container, message_id)
        assert message.delivery_state == DeliveryState.SENT and message.attempts == 1
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")  # not the peer's own log
    assert "HTTP Request: POST" in ours and "access_token=***" in ours
    assert wechat_api.app_secret not in ours and "ACCESS_TOKEN_" not in ours


def test_a_reply_after_the_48_hour_window_fails_for_good(client, container, wechat_api) -> None:
    _post(client, _xml("5101"))
    wechat_api.next_errcodes = [45015]
    late = replies.queue_reply(container, Channel.WECHAT, "抱歉回复晚了。", OPENID)
    assert replies.delivery(container).run_once() == 1
    message = replies.message(container, late)
    assert message.delivery_state == DeliveryState.FAILED and message.attempts == 1
    assert message.error is not None and "45015" in message.error and message.next_attempt_at is None
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "message_failed")) == 1


@pytest.mark.parametrize("errcode", [45047, -1])
def test_a_busy_wechat_is_tried_again_later(client, container, wechat_api, errcode: int) -> None:
    _post(client, _xml("5201"))
    wechat_api.next_errcodes = [errcode]
    reply = replies.queue_reply(container, Channel.WECHAT, "稍后再试。", OPENID)
    assert replies.delivery(container).run_once() == 1
    message = replies.message(container, reply)
    assert message.delivery_state == DeliveryState.QUEUED and message.attempts == 1
    assert message.next_attempt_at is not None and str(errcode) in (message.error or "")


def test_an_unreachable_api_is_a_temporary_failure_that_names_no_secret(client, container, wechat_api) -> None:
    _post(client, _xml("5301"))
    container.settings.channels.wechat.api_base = "http://127.0.0.1:9"  # nothing listens on the discard port
    reply = replies.queue_reply(container, Channel.WECHAT, "在吗？", OPENID)
    assert replies.delivery(container).run_once() == 1
    message = replies.message(container, reply)
    assert message.delivery_state == DeliveryState.QUEUED and "unreachable" in (message.error or "")
    assert wechat_api.app_secret not in (message.error or "")


def test_the_access_token_is_fetched_once_for_many_threads(wechat_api) -> None:
    cfg = WeChatSettings(enabled=True, app_id=wechat_api.app_id, app_secret=wechat_api.app_secret,
                         api_base=wechat_api.url)
    with httpx.Client(timeout=5) as http:
        token = AccessToken(cfg, http)
        got: list[str] = []
        threads = [threading.Thread(target=lambda: got.append(token.get())) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert got == ["ACCESS_TOKEN_1"] * 8 and len(wechat_api.to("/cgi-bin/token")) == 1


def test_a_reply_to_something_that_is_not_an_openid_is_refused_without_a_call(client, container, wechat_api) -> None:
    _post(client, _xml("5401"))
    reply = replies.queue_reply(container, Channel.WECHAT, "hello", "+8613800138000")
    assert replies.delivery(container).run_once() == 1
    assert replies.message(container, reply).delivery_state == DeliveryState.FAILED
    assert wechat_api.seen == []
