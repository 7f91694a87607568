"""The one place that builds services and hands them their dependencies.

No module opens a connection at import time; everything it needs arrives
through the ``Container`` built here (wazo-call-logd's controller.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .bus import Bus, make_bus
from .config import Settings
from .db import make_engine, make_session_factory
from .services import Service

log = logging.getLogger(__name__)

SERVICE_NAMES = ("web", "ami", "agi", "dispatcher", "transcriber", "tagger")


@dataclass
class Container:
    settings: Settings
    _extras: dict[str, object] = field(default_factory=dict)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def bus(self) -> Bus:
        bus = make_bus(self.engine.url.render_as_string(hide_password=False))
        bus.start()
        return bus

    # -- services ----------------------------------------------------------
    def web(self) -> Service:
        from web import create_app
        from web.server import WSGIService

        app = create_app(container=self)
        web = self.settings.web
        return WSGIService(app, web.host, web.port, web.threads, web.connection_limit)

    def ami(self) -> Service:
        from .ami.bridge import AMIService

        # One instance per container: other services reach the PBXs through it.
        if "ami" not in self._extras:
            self._extras["ami"] = AMIService(self.settings, self.session_factory, self.bus)
        return self._extras["ami"]  # type: ignore[return-value]

    def agi(self) -> Service:
        from .agi.service import AGIService

        return AGIService(self.settings, self.session_factory)

    def dispatcher(self) -> Service:
        from .dispatch.service import DispatcherService

        return DispatcherService(self.settings, self.engine, self.session_factory, self.bus)

    def transcriber(self) -> Service:
        from .transcribe.worker import TranscriberService

        return TranscriberService(self.settings, self.session_factory, self.bus)

    def tagger(self) -> Service:
        from .transcribe.keywords import KeywordTagger

        return KeywordTagger(self.session_factory, self.bus)

    def services(self, names: tuple[str, ...] = SERVICE_NAMES) -> list[Service]:
        unknown = set(names) - set(SERVICE_NAMES)
        if unknown:
            raise ValueError(f"unknown service(s): {', '.join(sorted(unknown))}")
        return [getattr(self, name)() for name in names]

    def close(self) -> None:
        if "bus" in self.__dict__:
            self.bus.stop()
        if "engine" in self.__dict__:
            self.engine.dispose()


def build(settings: Settings) -> Container:
    return Container(settings)
