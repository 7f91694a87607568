"""Domain services for tests that run without a container: the same classes the wiring builds.

Without a bus their events go nowhere (``Notifier(None)``); a test that
wants the events passes the container's bus, or uses ``container.tickets``.
"""
from __future__ import annotations

from callcenter.access.audit import Actor
from callcenter.access.dialling import DiallingPolicy
from callcenter.bus import Bus
from callcenter.config import RISKY_NUMBER_TYPES, RISKY_PREFIXES, CallbackSettings
from callcenter.dispatch.callbacks import Callbacks
from callcenter.dispatch.notifier import DispatchNotifier
from callcenter.models import User
from callcenter.tickets.notifier import TicketNotifier
from callcenter.tickets.service import TicketService

TEST = Actor.system("test")


def tickets(bus: Bus | None = None) -> TicketService:
    return TicketService(TicketNotifier(bus))


def policy(region: str = "US", per_day: int = 3) -> DiallingPolicy:
    """The default dialling policy of a centre in ``region`` (no lab range)."""
    return DiallingPolicy([region], [], list(RISKY_PREFIXES), list(RISKY_NUMBER_TYPES), per_day)


def callbacks(cfg: CallbackSettings | None = None, region: str = "US", bus: Bus | None = None,
              dialling: DiallingPolicy | None = None) -> Callbacks:
    return Callbacks(cfg or CallbackSettings(), region, tickets(bus), DispatchNotifier(bus), dialling or policy(region))


def actor(user: User | None) -> Actor:
    return TEST if user is None else Actor.of(user)
