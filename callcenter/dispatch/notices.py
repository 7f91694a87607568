"""Phone notices: one outbound call each, within calling hours, that tells someone something.

An incident's subscription becomes DUE when its problem is solved
(``problems/incidents.py``), and its call plays "it is fixed"; a caller with
only a phone, told a solved problem's reply (``problems/solving.py``), gets
a notice with that text, which the IVR speaks (``agi/handlers/notice.py``).
As with callbacks, "never dialled twice" comes from the order: in ONE
transaction the row moves DUE -> DIALING by compare-and-set (attempt number
included) and the run key ``notice:<id>:attempt:<n>`` is claimed; only then
is the Originate sent.  The call is in the caller's language.  No answer or busy is tried again up to
``[problems] notice_attempts``; an unknown outcome (the AMI link dropped) is
never redialled.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from ..access.dialling import DiallingPolicy, NumberRefused, record_refusal
from ..db import rowcount, transaction
from ..models import NoticeStatus, PhoneNotice, utcnow
from ..problems.settings import ProblemSettings
from . import runs
from .calendar import DailyWindow
from .dialer import Dialer, DialRequest, DialResult, Outcome, dial_once
from .notifier import DISPATCHER
from .placing import E164, NO_DIALER_WAIT, NOT_SENT_LIMIT

RETRIED = (Outcome.NO_ANSWER, Outcome.BUSY)


@dataclass
class NoticePlacer:
    cfg: ProblemSettings
    dialer: Dialer | None
    window: DailyWindow  # the callbacks' calling hours
    context: str  # an incident's "it is fixed"
    endpoint: str
    policy: DiallingPolicy = field(kw_only=True)
    spoken_context: str = field(default="cc-phone-notice", kw_only=True)  # a notice with its own text

    def run(self, factory: sessionmaker[Session], subscription_id: int, now: dt.datetime) -> dt.datetime | None:
        """Do what is due for one subscriber; returns when to look again (None: never)."""
        with transaction(factory) as session:
            started = self._start(session, subscription_id, now)
        if not isinstance(started, DialRequest):
            return started
        result = dial_once(self.dialer, started, f"incident notice {subscription_id}")
        with transaction(factory) as session:
            return self._finish(session, subscription_id, started.key, result, utcnow())

    def _start(self, session: Session, sid: int, now: dt.datetime) -> DialRequest | dt.datetime | None:
        row = session.get(PhoneNotice, sid)
        if row is None or row.status is not NoticeStatus.DUE:
            return None
        if row.due_at and row.due_at > now + dt.timedelta(seconds=1):
            return row.due_at
        if self.dialer is None:
            return now + NO_DIALER_WAIT
        if not E164.match(row.number):
            self._close(row, NoticeStatus.FAILED, f"number {row.number!r} is not E.164")
            return None
        refusal = self.policy.check(row.number)
        if refusal is not None:  # the policy changed since the caller pressed 1
            record_refusal(session, DISPATCHER, NumberRefused(row.number, refusal), "phone_notice")
            self._close(row, NoticeStatus.FAILED, f"dialling policy: {refusal.code}")
            return None
        if not self.window.allows(now):
            row.due_at = self.window.next_allowed(now)
            return row.due_at
        attempt = row.attempts + 1
        won = rowcount(session.execute(update(PhoneNotice).where(
            PhoneNotice.id == sid, PhoneNotice.status == NoticeStatus.DUE,
            PhoneNotice.attempts == row.attempts).values(status=NoticeStatus.DIALING, attempts=attempt))) == 1
        key = f"notice:{sid}:attempt:{attempt}"
        if not won or not runs.claim(session, key, "phone_notice", number=row.number):
            return None
        lang = row.language if row.language in ("en", "zh") else "en"
        context = self.spoken_context if row.text else self.context
        return DialRequest(key=key, channel=f"PJSIP/{row.number}@{self.endpoint}", context=context,
                           variables={"CC_LANG": lang, "CC_NOTICE_ID": str(sid)},
                           ring_seconds=self.cfg.notice_ring_seconds)

    def _finish(self, session: Session, sid: int, key: str, result: DialResult,
                now: dt.datetime) -> dt.datetime | None:
        runs.finish(session, key, result.outcome.value, detail=result.detail[:500])
        row = session.get(PhoneNotice, sid)
        if row is None or row.status is not NoticeStatus.DIALING:
            return None
        if result.outcome is Outcome.REACHED:
            self._close(row, NoticeStatus.TOLD, result.detail or "reached")
            return None
        if result.outcome is Outcome.UNKNOWN:
            row.detail = f"unknown: {result.detail}"[:2000]  # left dialing: never redialled
            return None
        tries, why = self.cfg.notice_attempts, f"{result.outcome.value}: {result.detail}"[:2000]
        unsent = not result.sent and row.attempts < tries + NOT_SENT_LIMIT  # nothing rang: does not count
        if (result.outcome in RETRIED and row.attempts < tries) or unsent:
            retry = self.window.next_allowed(now + dt.timedelta(minutes=self.cfg.notice_retry_minutes))
            session.execute(update(PhoneNotice).where(
                PhoneNotice.id == sid, PhoneNotice.status == NoticeStatus.DIALING)
                .values(status=NoticeStatus.DUE, due_at=retry, detail=why))
            return retry
        status = NoticeStatus.NO_ANSWER if result.outcome in RETRIED else NoticeStatus.FAILED
        self._close(row, status, why)
        return None

    @staticmethod
    def _close(row: PhoneNotice, status: NoticeStatus, detail: str) -> None:
        row.status, row.completed_at, row.detail = status, utcnow(), detail[:2000]
