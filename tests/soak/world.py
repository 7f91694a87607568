"""The soak's call centre: queues, agents who can sign in to the desk, known
customers, an API token; and a CRM that files tickets over the REST API
while the calls and faults go on."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from bench.screen_pop import PASSWORD
from callcenter.access import accounts
from callcenter.access import tokens as api_tokens
from callcenter.db import transaction
from callcenter.models import Customer, CustomerPhone, Queue
from callcenter.wiring import Container

AGENTS = (1001, 1002, 1003, 1004)


def seed(container: Container, known_numbers: list[str]) -> str:
    """Queues, one desk user per lab agent endpoint, customers; returns an API token."""
    with transaction(container.session_factory) as s:
        for name in ("support", "sales", "billing", "soak"):
            s.add(Queue(name=name, display_name=name.title()))
        for number in AGENTS:
            accounts.create_user(s, f"agent{number}", "agent", PASSWORD,
                                 display_name=f"Agent {number}", sip_interface=f"PJSIP/agent{number}")
        for i, phone in enumerate(known_numbers):
            s.add(Customer(name=f"Soak customer {i}", language="en",
                           phones=[CustomerPhone(number=phone)]))
        admin, _ = accounts.create_user(s, "soakadmin", "admin", PASSWORD)
        return api_tokens.mint(s, admin, accounts.SETUP, scopes="all")[1]


@dataclass
class TicketClient:
    """Files ticket n every ``every`` seconds; a failed request (database down,
    server busy) is sent again until it is acknowledged."""

    web_port: int
    token: str
    every: float
    acked: dict[str, str] = field(default_factory=dict)   # subject -> ticket number
    retries: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="soak-tickets", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop filing new tickets; the one in flight is finished (bounded)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(150)

    def _post(self, subject: str) -> str | None:
        body = json.dumps({"subject": subject, "description": "filed by the soak's CRM",
                           "category": "support", "priority": "normal"}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.web_port}/api/v1/tickets", data=body,
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return json.loads(resp.read())["number"] if resp.status == 201 else None
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            return None

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(self.every):
            subject = f"soak ticket {n:05d}"
            deadline = time.monotonic() + 120
            while (number := self._post(subject)) is None and time.monotonic() < deadline:
                self.retries += 1
                time.sleep(1.0)
            if number is not None:
                self.acked[subject] = number
            n += 1
