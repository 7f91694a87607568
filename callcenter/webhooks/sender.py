"""The sender (``callcenter webhooks``): claims due deliveries, posts them signed, and settles each at once.

A claim is a lease (``lease_until``) taken in one statement; on PostgreSQL the
candidates are locked with ``SKIP LOCKED``, so several senders on several
machines never take the same delivery.  A delivery waits while an earlier one
with its ``order_key`` (its ticket) is still owed, so a ticket's deliveries
arrive in order.  Each post's outcome is committed before the next post: a
sender killed mid-batch leaves only its unposted claims, which the lease
frees.  (A receiver may still see a delivery twice if the process dies between
the receiver's answer and that commit; ``webhook-id`` is the same both times,
as Standard Webhooks asks receivers to check.)
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import cast

import urllib3
from sqlalchemy import Engine, Table, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker
from standardwebhooks.webhooks import Webhook

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..db import transaction
from ..models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from ..runner import ThreadService
from .notifier import WebhookNotifier
from .settings import WebhookSettings

log = logging.getLogger(__name__)
USER_AGENT = "callcenter-webhooks/1"
D = WebhookDelivery
SENDER = Actor.system("webhooks")
# A settle's two statements, built once (plain Core on the tables: no ORM bookkeeping per post).
_D, _A = cast(Table, WebhookDelivery.__table__), cast(Table, WebhookAttempt.__table__)
SETTLE = (update(_D).where(_D.c.id == bindparam("b_id"), _D.c.status == DeliveryStatus.PENDING)
          .values(status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                  last_status=bindparam("b_last_status"), last_error=bindparam("b_last_error"), lease_until=None,
                  next_attempt_at=bindparam("b_next"), delivered_at=bindparam("b_delivered")))
LOG_ATTEMPT = insert(_A)
# On PostgreSQL both in one statement (the update a CTE of the insert), sent in autocommit: one round trip
# per post, atomic as any single statement; it answers how many deliveries it settled (0 or 1).
_SETTLED = SETTLE.returning(_D.c.id).cte("settled")
SETTLE_AND_LOG = (insert(_A).values(delivery_id=bindparam("b_id"), at=bindparam("a_at"),
                                    status_code=bindparam("b_last_status"), response=bindparam("a_response"),
                                    error=bindparam("b_last_error"), duration_ms=bindparam("a_ms"))
                  .add_cte(_SETTLED)
                  .returning(select(func.count()).select_from(_SETTLED).scalar_subquery()))


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    url: str
    secret: str
    message_id: str
    body: str
    attempts: int
    created_at: dt.datetime
    failing: bool  # the endpoint was marked failing when claimed (a success then clears it)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response: str
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def headers(claimed: Claimed, at: dt.datetime) -> dict[str, str]:
    """Standard Webhooks' three headers, signed with the endpoint's secret, and the body's type."""
    return {"webhook-id": claimed.message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(claimed.secret).sign(claimed.message_id, at, claimed.body),
            "content-type": "application/json; charset=utf-8", "user-agent": USER_AGENT}


class Sender(ThreadService):
    name = "webhooks"

    def __init__(self, session_factory: sessionmaker[Session], settings: WebhookSettings,
                 notifier: WebhookNotifier) -> None:
        super().__init__()
        self.session_factory, self.settings, self.notifier = session_factory, settings, notifier
        self._engine: Engine = session_factory.kw["bind"]
        self._postgres = self._engine.dialect.name == "postgresql"

    # -- claiming ----------------------------------------------------------------------------------------
    def claim(self, limit: int) -> list[Claimed]:
        """Up to ``limit`` due deliveries, leased to this sender; a ticket's later ones wait for its earlier."""
        now = utcnow()
        earlier = aliased(WebhookDelivery)
        waits = exists().where(earlier.endpoint_id == D.endpoint_id, earlier.order_key == D.order_key,
                               earlier.id < D.id, earlier.status == DeliveryStatus.PENDING)
        active = select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
        # The owed ones in id order through their index, the first few that are due (not a sort of the backlog).
        due = (select(D.id)
               .where(D.status == DeliveryStatus.PENDING, D.endpoint_id.in_(active), D.next_attempt_at <= now,
                      or_(D.lease_until.is_(None), D.lease_until < now), or_(D.order_key == "", ~waits))
               .order_by(D.id).limit(limit))
        with transaction(self.session_factory) as session:
            if db.is_postgres(session):
                due = due.with_for_update(of=D, skip_locked=True)
            lease = now + dt.timedelta(seconds=self.settings.lease_seconds)
            ids = list(session.scalars(update(D).where(D.id.in_(due.scalar_subquery())).values(lease_until=lease)
                                       .returning(D.id)))
            if not ids:
                return []
            rows = session.execute(select(D.id, D.endpoint_id, WebhookEndpoint.url, WebhookEndpoint.secret,
                                          D.message_id, D.body, D.attempts, D.created_at,
                                          WebhookEndpoint.failing_since.is_not(None))
                                   .join(WebhookEndpoint, WebhookEndpoint.id == D.endpoint_id)
                                   .where(D.id.in_(ids)).order_by(D.id))
            return [Claimed(*row) for row in rows]

    # -- posting -----------------------------------------------------------------------------------------
    def client(self) -> urllib3.PoolManager:
        """One worker's connections (kept alive per receiver).  urllib3 rather than httpx here: it costs half
        the CPU per post, and a sender is CPU-bound."""
        return urllib3.PoolManager(num_pools=64, maxsize=1, retries=False,
                                   timeout=urllib3.Timeout(total=self.settings.timeout_seconds))

    def post(self, client: urllib3.PoolManager, claimed: Claimed) -> Outcome:
        started = time.monotonic()
        keep = self.settings.keep_response_chars
        try:
            answer = client.request("POST", claimed.url, body=claimed.body.encode("utf-8"),
                                    headers=headers(claimed, utcnow()), redirect=False, preload_content=False)
            try:
                kept = answer.read(keep * 4) if keep else b""  # enough bytes for the characters kept
                answer.drain_conn()
            finally:
                answer.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            return Outcome(None, "", f"{type(exc).__name__}: {exc}"[:500], int((time.monotonic() - started) * 1000))
        return Outcome(answer.status, kept.decode("utf-8", "replace")[:keep],
                       None if 200 <= answer.status < 300 else f"HTTP {answer.status}",
                       int((time.monotonic() - started) * 1000))

    def settle(self, claimed: Claimed, outcome: Outcome) -> None:
        """The post's outcome, committed at once: delivered, due again later (backing off), or dead."""
        now = utcnow()
        attempts = claimed.attempts + 1
        status, next_at, dead = DeliveryStatus.PENDING, now, False
        if outcome.ok:
            status = DeliveryStatus.DELIVERED
        elif now - claimed.created_at >= dt.timedelta(hours=self.settings.give_up_hours):
            status, dead = DeliveryStatus.DEAD, True
        else:
            next_at = now + self.backoff(attempts)
        values = {"b_id": claimed.id, "b_status": status, "b_attempts": attempts, "b_last_status": outcome.status_code,
                  "b_last_error": outcome.error, "b_next": next_at, "b_delivered": now if outcome.ok else None}
        if self._postgres and not ((outcome.ok and claimed.failing) or dead):
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                if not conn.execute(SETTLE_AND_LOG, values | {"a_at": now, "a_response": outcome.response,
                                                              "a_ms": outcome.duration_ms}).scalar():
                    log.info("webhook delivery %s changed while posting", claimed.id)
            return
        if not ((outcome.ok and claimed.failing) or dead):  # the usual case: two statements, no ORM session
            with self._engine.begin() as conn:
                if not db.rowcount(conn.execute(SETTLE, values)):
                    log.info("webhook delivery %s changed while posting", claimed.id)
                conn.execute(LOG_ATTEMPT, {"delivery_id": claimed.id, "at": now, "status_code": outcome.status_code,
                                           "response": outcome.response, "error": outcome.error,
                                           "duration_ms": outcome.duration_ms})
            return
        with transaction(self.session_factory) as session:
            settled = db.rowcount(session.execute(SETTLE, values))
            if not settled:  # replayed or settled meanwhile: this attempt is still logged
                log.info("webhook delivery %s changed while posting", claimed.id)
            session.execute(LOG_ATTEMPT, {"delivery_id": claimed.id, "at": now, "status_code": outcome.status_code,
                                          "response": outcome.response, "error": outcome.error,
                                          "duration_ms": outcome.duration_ms})
            if (outcome.ok and claimed.failing) or dead:
                self._mark(session, claimed, outcome, now, dead)

    def _mark(self, session: Session, claimed: Claimed, outcome: Outcome, now: dt.datetime, dead: bool) -> None:
        """The endpoint recovered (a success while failing) or now fails (a delivery given up)."""
        endpoint = session.get(WebhookEndpoint, claimed.endpoint_id, with_for_update=True)
        if endpoint is None:
            return
        if outcome.ok and endpoint.failing_since is not None:
            endpoint.failing_since = None
            self.notifier.recovered(session, endpoint)
        elif dead and endpoint.failing_since is None:
            endpoint.failing_since = now
            audit.record(session, "webhook_failing", SENDER, object_type="webhook_endpoint",
                         object_id=endpoint.id, delivery_id=claimed.id, error=outcome.error or "")
            self.notifier.failing(session, endpoint, claimed.id, outcome.error or "")

    def backoff(self, attempts: int) -> dt.timedelta:
        """first_retry_seconds, doubling per attempt, at most max_retry_minutes."""
        seconds = self.settings.first_retry_seconds * 2 ** min(attempts - 1, 30)
        return dt.timedelta(seconds=min(seconds, self.settings.max_retry_minutes * 60))

    def release(self, ids: list[int]) -> None:
        """Claims not posted (the lease would run out before their turn): free them now."""
        if ids:
            with transaction(self.session_factory) as session:
                session.execute(update(D).where(D.id.in_(ids), D.status == DeliveryStatus.PENDING)
                                .values(lease_until=None))

    # -- running -----------------------------------------------------------------------------------------
    def run_once(self, client: urllib3.PoolManager) -> int:
        """One claim's worth, posted and settled one by one; how many were posted."""
        claimed = self.claim(self.settings.batch)
        deadline = time.monotonic() + self.settings.lease_seconds - self.settings.timeout_seconds - 1
        for i, one in enumerate(claimed):
            if time.monotonic() > deadline:  # its lease could run out mid-post: another sender may take it
                self.release([c.id for c in claimed[i:]])
                return i
            self.settle(one, self.post(client, one))
        return len(claimed)

    def run(self, stop: threading.Event, idle: float = 0.2) -> None:
        """``workers`` threads posting until ``stop``; each waits ``idle`` when nothing is due."""
        def work() -> None:
            with self.client() as client:
                while not stop.is_set():
                    try:
                        posted = self.run_once(client)
                    except Exception:
                        log.exception("webhook sender: a round failed")
                        posted = 0
                    if not posted:
                        stop.wait(idle)

        threads = [threading.Thread(target=work, name=f"webhooks-{i}", daemon=True)
                   for i in range(self.settings.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
