"""What a handler gets for one AGI request, and how it gives up.

Each request has its own database ``Session``; handlers keep transactions
short (``with req.transaction():``) because a caller may take seconds to press a
key and SQLite has one writer.
"""
from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..calls.records import ensure_call, find_call
from ..config import IVRSettings, Settings
from ..db import is_postgres
from ..models import Call
from . import safe
from . import variables as var
from .channel import Channel

if TYPE_CHECKING:
    from ..customers.segments import Segments
    from ..dispatch.notifier import DispatchNotifier
    from ..knowledge.ivr import SelfService
    from ..problems.ivr import IncidentLine

_LINKEDID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
_PBX = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# On SQLite every transaction is BEGIN IMMEDIATE (callcenter.db), reads too,
# so it has one writer at a time.  Threads of this process take turns here,
# in order, instead of in SQLite's busy handler, whose growing sleeps (up to
# 100 ms each) gave 0.5-1 s waits when 200 calls used the database at once.
_SQLITE_TURN = threading.Lock()


def sqlite_turn(db: Session) -> contextlib.AbstractContextManager[object]:
    """This process's turn to write, on SQLite; nothing to wait for elsewhere."""
    return contextlib.nullcontext() if is_postgres(db) else _SQLITE_TURN


class DialplanBreak(Exception):
    """A handler cannot go on: the server sends the caller to the fail context."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = safe.slug(reason)


@dataclass
class Request:
    name: str
    agi: Channel
    settings: Settings
    db: Session
    pbx: str = ""
    linkedid: str = ""
    args: list[str] = field(default_factory=list)
    # Writes the caller need not wait for: run by DeferredWrites once the
    # session is over (even if the caller hung up), given a session of theirs.
    later: list[Callable[[Session], None]] = field(default_factory=list)
    # The knowledge base's self-service (the knowledge handler); None: the IVR runs without it.
    knowledge: SelfService | None = None
    # Incident mode's message and subscriptions (handlers/incident.py); None: no incidents are told.
    incidents: IncidentLine | None = None
    # Customers' segments, for the queue priority lookup gives (None: VIP tiers only).
    segments: Segments | None = None
    # Publishes what the IVR learnt (a survey's score) with the transaction that stores it.
    notifier: DispatchNotifier | None = None

    def identify(self) -> None:
        """Which PBX and which call: read before any transaction is opened."""
        name = self.agi.read(var.PBX, 40)
        self.pbx = name if _PBX.match(name) else self.settings.agi.default_pbx
        linkedid = self.agi.read(var.LINKEDID, 40) or self.env.get("agi_uniqueid", "")
        if not _LINKEDID.match(linkedid):
            raise DialplanBreak("no-linkedid")
        self.linkedid = linkedid

    @property
    def ivr(self) -> IVRSettings:
        return self.settings.ivr

    @property
    def env(self) -> dict[str, str]:
        return self.agi.env

    @cached_property
    def language(self) -> str:
        """The prompt set chosen by lookup (CC_LANG), else the first configured."""
        lang = self.agi.read(var.LANG, 20).strip().lower()
        return lang if lang in self.ivr.languages else self.ivr.languages[0]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One short unit of work (commit on success), never held across a prompt."""
        with sqlite_turn(self.db), self.db.begin():
            yield self.db

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A read while the caller waits: no turn to take, and on SQLite a
        plain BEGIN, so a batch of deferred writes never delays it."""
        with self.db.begin():
            self.db.connection(execution_options={"sqlite_read": True})
            yield self.db

    def call(self, **values: object) -> Call:
        """This call's row (created if the AMI bridge has not yet), in req.db.

        ``values`` apply only when the row is new, as with ``ensure_call``;
        the plain select first is the common, cheaper case after lookup.
        """
        found = find_call(self.db, self.pbx, self.linkedid)
        return found or ensure_call(self.db, self.pbx, self.linkedid, **values)

    def timeout_ms(self) -> int:
        return int(self.ivr.digit_timeout * 1000)

    @staticmethod
    def prompt(name: str) -> str:
        """Our prompts live in sounds/<lang>/callcenter/; Asterisk picks <lang>."""
        return f"callcenter/{name}"
