"""Domain services for tests that run without a container: the same classes the wiring builds.

Without a bus their events go nowhere (``Notifier(None)``); a test that
wants the events passes the container's bus, or uses ``container.tickets``.
"""
from __future__ import annotations

from callcenter.access.audit import Actor
from callcenter.bus import Bus
from callcenter.config import CallbackSettings
from callcenter.dispatch.callbacks import Callbacks
from callcenter.dispatch.notifier import DispatchNotifier
from callcenter.models import User
from callcenter.tickets.notifier import TicketNotifier
from callcenter.tickets.service import TicketService

TEST = Actor.system("test")


def tickets(bus: Bus | None = None) -> TicketService:
    return TicketService(TicketNotifier(bus))


def callbacks(cfg: CallbackSettings | None = None, region: str = "US", bus: Bus | None = None) -> Callbacks:
    return Callbacks(cfg or CallbackSettings(), region, tickets(bus), DispatchNotifier(bus))


def actor(user: User | None) -> Actor:
    return TEST if user is None else Actor.of(user)
