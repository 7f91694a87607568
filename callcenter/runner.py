"""Long-running services and the runner that starts and stops them together."""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)


class Service:
    """A unit the runner starts and stops; ``start`` must not block."""

    name = "service"

    def start(self) -> None:
        raise NotImplementedError

    def stop(self, timeout: float = 10.0) -> None:
        raise NotImplementedError

    def alive(self) -> bool:
        return True


class ThreadService(Service):
    """A service whose work is one thread running ``run(stop_event)``."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def run(self, stop: threading.Event) -> None:
        raise NotImplementedError

    def _main(self) -> None:
        try:
            self.run(self._stop)
        except BaseException as exc:  # reported by the runner, never swallowed
            self.error = exc
            log.exception("service %s failed", self.name)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def run_forever(services: Sequence[Service], stop: threading.Event | None = None) -> int:
    """Start every service, wait for SIGTERM/SIGINT or a failure, stop in reverse.

    Returns a process exit code: 0 on a requested stop, 1 if a service died.
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    started: list[Service] = []
    code = 0
    try:
        for svc in services:
            svc.start()
            started.append(svc)
            log.info("started %s", svc.name)
        while not stop.wait(0.5):
            dead = [s.name for s in started if not s.alive()]
            if dead:
                log.error("service(s) stopped unexpectedly: %s", ", ".join(dead))
                code = 1
                break
    finally:
        for svc in reversed(started):
            try:
                svc.stop()
                log.info("stopped %s", svc.name)
            except Exception:
                log.exception("stopping %s failed", svc.name)
    return code
