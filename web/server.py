"""Serve the Flask app with waitress as a runner-managed service."""
from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from waitress.server import create_server

from callcenter.runner import Service
from callcenter.wiring import Container

from . import create_app


class WSGIService(Service):
    name = "web"

    def __init__(self, app: Flask, host: str, port: int, threads: int = 16,
                 connection_limit: int = 1024) -> None:
        self.app = app
        self.host, self.port, self.threads = host, port, threads
        self.connection_limit = max(connection_limit, threads + 16)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self._server = create_server(self.app, host=self.host, port=self.port, threads=self.threads,
                                     connection_limit=self.connection_limit)
        self.port = self._server.effective_port
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name="web", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError:
            # waitress has no stop call: closing its sockets makes the loop's select fail. Expected then.
            if not self._stopping.is_set():
                raise

    def stop(self, timeout: float = 10.0) -> None:
        hub = self.app.extensions.get("pops")
        if hub is not None:
            hub.close_streams()  # open desk streams end now instead of at their next keepalive
        slots = self.app.extensions.get("streams")
        if slots is not None:
            slots.close_all()  # and the wallboards' too
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            self._server.task_dispatcher.shutdown()
        if self._thread is not None:
            self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def web_service(container: Container) -> WSGIService:
    """The web UI and API of this container, served as configured in ``[web]``."""
    web = container.settings.web
    return WSGIService(create_app(container), web.host, web.port, web.threads, web.connection_limit)
