"""The far side of the WeChat and SMS channels, played over real HTTP on localhost.

Neither WeChat nor an SMS gateway can be reached from a test machine, so each
is played here as its documentation describes it, the way SIPp plays a
caller: the same URLs, parameters, JSON and error codes, served by werkzeug
in a thread, recording every request it receives.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Seen:
    """One request the peer received."""

    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Peer:
    """A WSGI app on a free localhost port that records what it is sent."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        seen = Seen(request.method, request.path, dict(request.args), dict(request.headers), request.get_data())
        with self._lock:
            self.seen.append(seen)
            status, payload = self.answer(seen)
        resp = Response(json.dumps(payload, ensure_ascii=False), status=status,
                        content_type="application/json; charset=utf-8")
        return resp(environ, start_response)

    def answer(self, seen: Seen) -> tuple[int, Any]:
        raise NotImplementedError

    def to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]


@dataclass
class WeChatAPI(Peer):
    """The access-token and customer-service message APIs of one Official Account.

    ``GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`` gives a new token (7200 s);
    ``POST /cgi-bin/message/custom/send?access_token=`` answers ``{"errcode": 0, "errmsg": "ok"}``,
    40001 for a token it never gave, 42001 for one it expired, or whatever ``next_errcodes`` holds.
    """

    app_id: str = "wx1234567890abcdef"
    app_secret: str = "app-secret-value"
    tokens_issued: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    next_errcodes: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        Peer.__init__(self)

    def expire_tokens(self) -> None:
        """WeChat's side lets every token issued so far expire (as it does after 7200 s)."""
        with self._lock:
            self.expired.update(self.tokens_issued)

    def answer(self, seen: Seen) -> tuple[int, Any]:
        if seen.path == "/cgi-bin/token" and seen.method == "GET":
            if seen.args.get("grant_type") != "client_credential" or seen.args.get("appid") != self.app_id:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}
            if seen.args.get("secret") != self.app_secret:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = f"ACCESS_TOKEN_{len(self.tokens_issued) + 1}"
            self.tokens_issued.append(token)
            return 200, {"access_token": token, "expires_in": 7200}
        if seen.path == "/cgi-bin/message/custom/send" and seen.method == "POST":
            token = seen.args.get("access_token", "")
            if token in self.expired:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            if token not in self.tokens_issued:
                return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if self.next_errcodes:
                code = self.next_errcodes.pop(0)
                return 200, {"errcode": code, "errmsg": {45015: "response out of time limit or subscription is "
                                                         "canceled"}.get(code, "error")}
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 404, {"errcode": -1, "errmsg": "no such api"}


@dataclass
class SMSGateway(Peer):
    """A gateway's send API: ``POST /send`` with a bearer token, answering ``{"id": ...}``.

    ``next_statuses`` makes the next answers fail with those HTTP statuses (429, 500, 400 ...).
    """

    token: str = "gateway-send-token"
    next_statuses: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        Peer.__init__(self)

    def answer(self, seen: Seen) -> tuple[int, Any]:
        if seen.path != "/send" or seen.method != "POST":
            return 404, {"error": "not_found"}
        if seen.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        if self.next_statuses:
            return self.next_statuses.pop(0), {"error": "refused"}
        return 200, {"id": f"gw-{sum(1 for s in self.seen if s.path == '/send')}"}


P = TypeVar("P", bound=Peer)


@contextmanager
def serving(peer: P) -> Iterator[P]:
    thread = threading.Thread(target=peer.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        peer.server.shutdown()
        peer.server.server_close()
        thread.join(5)
