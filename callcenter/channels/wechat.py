"""WeChat Official Account: the server callback (plaintext mode) in, the customer-service API out.

WeChat signs every callback with the token typed in the account's server
settings: ``signature = sha1(sorted(token, timestamp, nonce))``.  A callback
it gets no answer to within 5 seconds is sent again (three times, the same
MsgId), so the callback only stores the message (once, by MsgId) and
answers ``success`` at once; replies leave later through the
customer-service message API, driven by ``Delivery``.  The access token that
API needs is fetched once and shared until shortly before it expires.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from sqlalchemy.orm import Session

from ..customers.identities import OPENID
from ..i18n import N_, Refusal
from ..models import Channel
from .base import DeliveryError, Inbound, Outgoing, Sender
from .intake import ChannelIntake, Received
from .settings import WeChatSettings

log = logging.getLogger(__name__)

# The callback's XML is a few hundred bytes; anything this large is not WeChat.
MAX_CALLBACK_BYTES = 64 * 1024
SUCCESS = "success"  # the documented empty passive reply
MESSAGE_TYPES = ("text", "image", "voice", "video", "shortvideo", "location", "link")
# errcodes of the customer-service API (developers.weixin.qq.com, "全局返回码").
TOKEN_INVALID = frozenset({40001, 40014, 42001})
# 40003 invalid openid, 43004 not subscribed, 45002 text too long, 45015 the 48-hour window has passed.
PERMANENT = frozenset({40003, 43004, 45002, 45015})
# Refresh the access token this many seconds before WeChat says it expires.
TOKEN_MARGIN = 300
SECRETS_IN_URL = re.compile(r"((?:access_token|secret)=)[^&\s\"']+")


class CallbackRefused(Refusal):
    """A callback we do not take; ``status`` is the HTTP answer (401 unsigned or stale, 400 malformed)."""

    def __init__(self, template: str, *, status: int, code: str) -> None:
        super().__init__(template, code=code)
        self.status = status


def signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's callback signature, exactly as documented."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


class WeChatInbox:
    """The callback's two halves: the GET that proves the URL is ours, and the POSTed messages."""

    def __init__(self, settings: WeChatSettings, intake: ChannelIntake,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings, self.intake, self.clock = settings, intake, clock

    def check(self, sig: str, timestamp: str, nonce: str) -> None:
        """Refuse a callback that WeChat did not sign, or signed too long ago (a replay)."""
        token = self.settings.token.get_secret_value()
        if not token or not hmac.compare_digest(signature(token, timestamp, nonce).encode(), sig.encode()):
            raise CallbackRefused(N_("The WeChat signature does not match."), status=401, code="bad_signature")
        if not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > self.settings.max_age_seconds:
            raise CallbackRefused(N_("The WeChat callback is too old (or from the future)."), status=401,
                                  code="stale")

    def echo(self, sig: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The server-settings check: ``echostr`` back, only when signed."""
        self.check(sig, timestamp, nonce)
        return echostr

    def receive(self, session: Session, sig: str, timestamp: str, nonce: str, body: bytes) -> Received | None:
        """Store one signed callback's message (a re-sent one is the stored one); None for an event."""
        self.check(sig, timestamp, nonce)
        inbound = parse(body)
        if inbound is None:
            return None
        return self.intake.receive(session, inbound)


def _malformed(template: str) -> CallbackRefused:
    return CallbackRefused(template, status=400, code="malformed")


def _xml(body: bytes) -> Element:
    if len(body) > MAX_CALLBACK_BYTES:
        raise CallbackRefused(N_("The WeChat callback is too large."), status=413, code="too_large")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        log.warning("wechat: refused a callback that is not plain XML (%s)", type(exc).__name__)
        raise _malformed(N_("The WeChat callback is not plain XML.")) from None
    if root.tag != "xml":
        raise _malformed(N_("The WeChat callback is not plain XML."))
    if root.find("Encrypt") is not None:
        raise _malformed(N_("Encrypted WeChat callbacks are not supported: use plaintext mode."))
    return root


def _body(kind: str, f: Callable[[str], str]) -> str:
    """The text a person reads for each kind of message (what it is, and where to find the rest)."""
    if kind == "text":
        return f("Content")
    if kind == "voice":
        return f("Recognition") or "[voice]"
    if kind == "image":
        return f"[image] {f('PicUrl')}".strip()
    if kind == "location":
        return f"[location] {f('Label')} ({f('Location_X')}, {f('Location_Y')})"
    if kind == "link":
        return "\n".join(part for part in (f("Title"), f("Description"), f("Url")) if part)
    return f"[{kind}]"


def parse(body: bytes) -> Inbound | None:
    """The callback's message as an ``Inbound``; None for an event (subscribe, menu click ...)."""
    root = _xml(body)

    def f(name: str) -> str:
        return (root.findtext(name) or "").strip()

    kind = f("MsgType")
    if kind == "event":
        log.debug("wechat: event %s ignored", f("Event")[:40])
        return None
    if kind not in MESSAGE_TYPES:
        raise _malformed(N_("Unknown WeChat message type."))
    openid, msg_id, created = f("FromUserName"), f("MsgId"), f("CreateTime")
    if not OPENID.match(openid):
        raise _malformed(N_("The WeChat sender is not an OpenID."))
    if not msg_id.isdigit() or len(msg_id) > 64:
        raise _malformed(N_("The WeChat message has no MsgId."))
    if not created.isdigit() or len(created) > 12:
        raise _malformed(N_("The WeChat message has no CreateTime."))
    meta: dict[str, Any] = {"msg_type": kind, "openid": openid}
    meta.update({k.lower(): f(k) for k in ("MediaId", "Format", "PicUrl", "Url", "ThumbMediaId") if f(k)})
    return Inbound(channel=Channel.WECHAT, channel_key=msg_id, sender=Sender("wechat", openid, verified=True),
                   body=_body(kind, f), recipient=f("ToUserName")[:320] or None,
                   received_at=dt.datetime.fromtimestamp(int(created), dt.UTC), meta=meta)


class _HideTokens(logging.Filter):
    """httpx logs every request's URL at INFO: the token and the app secret ride in its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "access_token=" in text or "secret=" in text:
            record.msg, record.args = SECRETS_IN_URL.sub(r"\1***", text), ()
        return True


def hide_tokens_in_http_logs() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _HideTokens) for f in httpx_log.filters):
        httpx_log.addFilter(_HideTokens())


class AccessToken:
    """The one access token of the account, shared by every sending thread until it nearly expires."""

    def __init__(self, settings: WeChatSettings, client: httpx.Client,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.client, self.clock = settings, client, clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._expires:
                self._token, lifetime = self._fetch()
                self._expires = self.clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
            return self._token

    def invalidate(self, token: str) -> None:
        """WeChat refused ``token``: the next ``get`` fetches a new one (unless another thread already did)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> tuple[str, int]:
        params = {"grant_type": "client_credential", "appid": self.settings.app_id,
                  "secret": self.settings.app_secret.get_secret_value()}
        data = _call(lambda: self.client.get(f"{self.settings.api_base}/cgi-bin/token", params=params))
        token, lifetime = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(lifetime, int) or lifetime <= 0:
            raise DeliveryError(f"WeChat gave no access token (errcode {data.get('errcode')}: "
                                f"{str(data.get('errmsg', ''))[:200]})")
        return token, lifetime


def _call(request: Callable[[], httpx.Response]) -> dict[str, Any]:
    """One API call's JSON; a network error, a non-200 answer or non-JSON is a temporary failure.

    Messages never carry the URL: its query holds the token or the app secret.
    """
    try:
        resp = request()
    except httpx.HTTPError as exc:
        raise DeliveryError(f"WeChat API unreachable ({type(exc).__name__})") from None
    if resp.status_code != 200:
        raise DeliveryError(f"WeChat API answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        raise DeliveryError("WeChat API answered something that is not JSON") from None
    if not isinstance(data, dict):
        raise DeliveryError("WeChat API answered something that is not a JSON object")
    return data


class WeChatAdapter:
    """Sends a reply as a customer-service text message to the customer's OpenID."""

    channel = Channel.WECHAT

    def __init__(self, settings: WeChatSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout)
        self.token = AccessToken(settings, self.client)
        hide_tokens_in_http_logs()

    def send(self, outgoing: Outgoing) -> str | None:
        if not OPENID.match(outgoing.to):
            raise DeliveryError("not a WeChat OpenID", permanent=True)
        payload = json.dumps({"touser": outgoing.to, "msgtype": "text", "text": {"content": outgoing.message.body}},
                             ensure_ascii=False).encode("utf-8")  # WeChat shows \\uXXXX escapes literally
        token = self.token.get()
        data = self._post(payload, token)
        if data.get("errcode", 0) in TOKEN_INVALID:
            log.info("wechat: access token refused (errcode %s), fetching a new one", data.get("errcode"))
            self.token.invalidate(token)
            data = self._post(payload, self.token.get())
        code = data.get("errcode", 0)
        if code == 0:
            return None  # the API gives a sent message no id
        raise DeliveryError(f"WeChat errcode {code}: {str(data.get('errmsg', ''))[:200]}",
                            permanent=code in PERMANENT)

    def _post(self, payload: bytes, token: str) -> dict[str, Any]:
        return _call(lambda: self.client.post(
            f"{self.settings.api_base}/cgi-bin/message/custom/send", params={"access_token": token},
            content=payload, headers={"Content-Type": "application/json; charset=utf-8"}))
