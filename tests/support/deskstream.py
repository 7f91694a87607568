"""An agent's open desk in a test: signs in and reads the desk's server-sent events on its own thread."""
from __future__ import annotations

import json
import queue
import threading
from typing import Any

from callcenter.events import CallRingingAgent
from tests.deskdata import PASSWORD
from tests.webtools import sign_in


class Stream:
    """(Each stream runs in its own thread, as in the web server: Flask's request contexts are per thread.)"""

    def __init__(self, app: Any, name: str) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(app, name), daemon=True)
        self.thread.start()
        assert self.ready.wait(20), "desk stream did not open"

    def _run(self, app: Any, name: str) -> None:
        client = app.test_client()
        sign_in(client, name, PASSWORD)
        response = client.get("/desk/events")
        chunks = iter(response.response)
        assert next(chunks).startswith(b"retry:")
        self.ready.set()
        for chunk in chunks:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.startswith("event:"):
                head, data = text.strip().split("\n", 1)
                self.events.put((head.split(":", 1)[1].strip(), json.loads(data.split(":", 1)[1])))
            if self.stop.is_set():
                break
        response.close()

    def next_event(self, timeout: float = 10) -> tuple[str, dict[str, Any]]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.stop.set()


def ring(container: Any, iface: str, linkedid: str, **extra: Any) -> None:
    """The bridge's ring of an agent's phone, with the IVR's choices of a support caller."""
    fields = {"caller_number": "+8613800138000", "queue": "support",
              "ivr": {"category": "support", "path": ["1"]}, "wait_seconds": 12.5, **extra}
    container.bus.publish(CallRingingAgent(pbx="lab", linkedid=linkedid, interface=iface, **fields))
