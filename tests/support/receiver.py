"""A webhook receiver as a customer's CRM would write one: a real HTTP server that checks every delivery with
the Standard Webhooks reference library (``standardwebhooks.Webhook.verify``) and keeps what it accepted.

It can be stopped (its port then refuses connections, as a receiver that is down) and started again on the
same port.  Tampered bodies and stale timestamps are answered 401 and kept apart, as a real receiver would.
"""
from __future__ import annotations

import json
import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    message_id: str
    raw: bytes
    content_type: str
    payload: dict[str, Any]


@dataclass
class Receiver:
    secret: str
    port: int = 0
    status: int = 200  # what it answers a good delivery (set 500 to play a broken receiver)
    accepted: list[Received] = field(default_factory=list)
    arrived: list[tuple[str, float]] = field(default_factory=list)  # (webhook-id, when), for latencies
    refused: list[tuple[str, str]] = field(default_factory=list)  # (webhook-id, why)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a web server
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms wait for the ACK

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                with receiver._lock:
                    self.answer(200, json.dumps({"arrived": receiver.arrived, "refused": len(receiver.refused)})
                                .encode())

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if receiver._server is None:  # stopped: a kept-alive connection gets no answer either
                    self.close_connection = True
                    return
                headers = dict(self.headers.items())
                try:
                    payload = Webhook(receiver.secret).verify(raw, headers)
                except WebhookVerificationError as exc:
                    with receiver._lock:
                        receiver.refused.append((headers.get("webhook-id", ""), str(exc)))
                    self.answer(401, b"{}")
                    return
                with receiver._lock:
                    receiver.accepted.append(Received(headers["webhook-id"], raw,
                                                      headers.get("content-type", ""), payload))
                    receiver.arrived.append((headers["webhook-id"], time.time()))
                self.answer(receiver.status, json.dumps({"ok": receiver.status < 300}).encode())

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [r.message_id for r in self.accepted]


def _serve(secret: str, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]  # stdlib Queue is untyped
    receiver = Receiver(secret=secret).start()
    ports.put(receiver.port)
    threading.Event().wait()


def in_process_of_its_own(secret: str) -> tuple[multiprocessing.Process, str]:
    """A receiver in a process of its own (a benchmark's, so it does not share the sender's interpreter); its
    URL.  ``GET`` on it answers what arrived when."""
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]  # as above
    process = multiprocessing.Process(target=_serve, args=(secret, ports), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{ports.get(timeout=30)}/hooks"
