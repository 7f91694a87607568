"""A CRM as the lookup meets one: a real HTTP server answering ``GET /customers?phone=…`` (and ``/customers/<id>``)
with JSON, after an optional pause, that keeps every request it was sent (path and headers).

``status`` plays a broken CRM (500), ``stop()`` one that is down (its port refuses connections).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Crm:
    records: dict[str, Any]  # phone (E.164) or CRM id -> the customer's record
    delay: float = 0.0
    status: int = 200
    port: int = 0
    asked: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (path with query, headers)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Crm:
        crm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if crm._server is None:  # stopped: a connection kept alive from before is dropped, unanswered
                    self.close_connection = True
                    return
                with crm._lock:
                    crm.asked.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                time.sleep(crm.delay)
                url = urlsplit(self.path)
                key = (parse_qs(url.query).get("phone") or [url.path.rsplit("/", 1)[-1]])[0]
                record = crm.records.get(key)
                status = crm.status if crm.status != 200 else (200 if record is not None else 404)
                body = json.dumps(record if status == 200 else {"error": "no such customer"},
                                  ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the lookup gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
