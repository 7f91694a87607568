"""Queues defined here reach Asterisk without a hand edit: the AMI service writes, then reloads.

The AMI service holds one ``Publisher``.  When a queue is defined, changed
or retired (``QueueDefined``), and once after every (re)connect, it writes
``queues_callcenter.conf`` for each PBX whose file it can reach (the lab's
chroot, or ``[[pbx]] queues_conf`` when the service runs on that machine)
and, when the text changed (or an earlier reload did not get through),
reloads app_queue through the bridge's own AMI link (``QueueReload``;
dynamic members stay).  It runs on a thread of its own, never on the loop
that reads AMI.  A PBX without a reachable file is told nothing: deploy the
file there with ``callcenter pbx queues-conf`` (the queues page shows what
each PBX knows).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ..ami.actions import Actions
from ..bus import Message
from ..config import PBXSettings, Settings
from ..events import QueueDefined
from ..pbx.lab import LabPBX
from . import asterisk

log = logging.getLogger(__name__)
# Runs a coroutine over the safe Actions of the named PBX's link and waits (the bridge's ``act``).
Act = Callable[[str, Callable[[Actions], Coroutine[Any, Any, Any]]], Any]


def conf_path(settings: Settings, pbx: PBXSettings) -> Path | None:
    """Where this process writes the PBX's generated file, if it can reach it."""
    if pbx.queues_conf:
        return Path(pbx.queues_conf).expanduser()
    if settings.lab.enabled and (pbx.name == "lab" or pbx.name in settings.lab.instances):
        lab = LabPBX(settings, pbx.name)
        return lab.path(lab.etc) / asterisk.CONF_NAME
    return None


class Publisher:
    """One thread of its own: a PBX whose link is down never holds up the bus that brought the event."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], act: Act) -> None:
        self.factory, self.act = factory, act
        self.paths = {p.name: path for p in settings.pbxes() if (path := conf_path(settings, p)) is not None}
        self._owed: set[str] = set()  # PBXs whose file changed but whose reload has not got through
        self._lock, self._write_lock = threading.Lock(), threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def on_queue_defined(self, message: Message[QueueDefined]) -> None:
        for pbx in self.paths:
            self.soon(pbx)

    def soon(self, pbx: str) -> Future[bool]:
        """``publish`` on the publisher's thread (after a reconnect, after an event)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="queues-conf")
            return self._pool.submit(self.publish, pbx)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def publish(self, pbx: str) -> bool:
        """Write the PBX's file; reload app_queue when the text changed (or an earlier reload did not get
        through).  An unchanged file is what Asterisk read when it started, so a restart of ours reloads
        nothing.  True if reloaded."""
        path = self.paths.get(pbx)
        if path is None:
            return False
        with self._write_lock:
            try:
                with self.factory() as session:
                    changed = asterisk.write(path, asterisk.render_from(session))
                if not changed and pbx not in self._owed:
                    return False
                self._owed.add(pbx)
                self.act(pbx, lambda actions: actions.queue_reload())
            except Exception:  # the next event or reconnect tries again
                log.exception("%s: could not bring %s up to date", pbx, path)
                return False
            self._owed.discard(pbx)
            log.info("%s: %s written, app_queue reloaded", pbx, path)
            return True
