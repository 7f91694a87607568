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

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

import urllib3
from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Table,
    Update,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker
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
_E = cast(Table, WebhookEndpoint.__table__)
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


def _claim(postgres: bool) -> Update:
    """Lease the first owed deliveries that are due, in id order through their index (not a sort of the
    backlog); a delivery waits while an earlier one for its ticket is owed.  On PostgreSQL the candidates are
    locked with SKIP LOCKED, so senders never take the same one."""
    now: BindParameter[dt.datetime] = bindparam("c_now", type_=_D.c.next_attempt_at.type)
    earlier = _D.alias("earlier")
    waits = exists().where(earlier.c.endpoint_id == _D.c.endpoint_id, earlier.c.order_key == _D.c.order_key,
                           earlier.c.id < _D.c.id, earlier.c.status == DeliveryStatus.PENDING)
    active = select(_E.c.id).where(_E.c.active.is_(True))
    due = (select(_D.c.id)
           .where(_D.c.status == DeliveryStatus.PENDING, _D.c.endpoint_id.in_(active), _D.c.next_attempt_at <= now,
                  or_(_D.c.lease_until.is_(None), _D.c.lease_until < now), or_(_D.c.order_key == "", ~waits))
           .order_by(_D.c.id).limit(bindparam("c_limit")))
    if postgres:
        due = due.with_for_update(of=_D, skip_locked=True)
    return (update(_D).where(_D.c.id.in_(due.scalar_subquery())).values(lease_until=bindparam("c_lease"))
            .returning(_D.c.id))


CLAIM, CLAIM_PG = _claim(False), _claim(True)
CLAIMED = (select(_D.c.id, _D.c.endpoint_id, _E.c.url, _E.c.secret, _D.c.message_id, _D.c.body, _D.c.attempts,
                  _D.c.created_at, _E.c.failing_since.is_not(None))
           .join(_E, _E.c.id == _D.c.endpoint_id)
           .where(_D.c.id.in_(bindparam("c_ids", expanding=True))).order_by(_D.c.id))


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
        self._reader = self._engine.execution_options(sqlite_read=True)
        self._idle = True  # the last claim found nothing: look before taking SQLite's write lock

    def _anything_due(self, now: dt.datetime) -> bool:
        """A look without the write lock (SQLite): an idle sender's polls never queue behind the writers."""
        with self._reader.connect() as conn:
            return conn.execute(select(D.id).where(D.status == DeliveryStatus.PENDING, D.next_attempt_at <= now,
                                                   or_(D.lease_until.is_(None), D.lease_until < now))
                                .limit(1)).first() is not None

    # -- claiming ----------------------------------------------------------------------------------------
    def claim(self, limit: int, conn: Connection | None = None) -> list[Claimed]:
        """Up to ``limit`` due deliveries, leased to this sender; a ticket's later ones wait for its earlier."""
        now = utcnow()
        if not self._postgres and self._idle and not self._anything_due(now):
            return []
        lease = now + dt.timedelta(seconds=self.settings.lease_seconds)
        with contextlib.nullcontext(conn) if conn is not None else self._engine.begin() as using:
            # prebuilt Core statements: no ORM bookkeeping per claim; the lease is one statement, so a worker's
            # autocommit connection (PostgreSQL) takes it as atomically as a transaction would
            ids = list(using.scalars(CLAIM_PG if self._postgres else CLAIM,
                                     {"c_now": now, "c_lease": lease, "c_limit": limit}))
            rows = using.execute(CLAIMED, {"c_ids": ids}).all() if ids else []
        self._idle = not rows
        return [Claimed(*row) for row in rows]

    # -- posting -----------------------------------------------------------------------------------------
    def client(self, connections: int = 1) -> urllib3.PoolManager:
        """Connections kept alive per receiver (one per worker).  urllib3 rather than httpx here: it costs half
        the CPU per post, and a sender is CPU-bound."""
        return urllib3.PoolManager(num_pools=64, maxsize=connections, retries=False,
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

    def _values(self, claimed: Claimed, outcome: Outcome, now: dt.datetime) -> dict[str, object] | None:
        """The settle's values when it is the usual case, or None when the endpoint's state changes with it
        (a success while failing, or a delivery given up)."""
        attempts = claimed.attempts + 1
        if outcome.ok:
            if claimed.failing:
                return None
            status, next_at = DeliveryStatus.DELIVERED, now
        elif now - claimed.created_at >= dt.timedelta(hours=self.settings.give_up_hours):
            return None
        else:
            status, next_at = DeliveryStatus.PENDING, now + self.backoff(attempts)
        return {"b_id": claimed.id, "b_status": status, "b_attempts": attempts, "b_last_status": outcome.status_code,
                "b_last_error": outcome.error, "b_next": next_at, "b_delivered": now if outcome.ok else None}

    @staticmethod
    def _attempt(claimed: Claimed, outcome: Outcome, now: dt.datetime) -> dict[str, object]:
        return {"delivery_id": claimed.id, "at": now, "status_code": outcome.status_code,
                "response": outcome.response, "error": outcome.error, "duration_ms": outcome.duration_ms}

    def settle(self, claimed: Claimed, outcome: Outcome, conn: Connection | None = None) -> None:
        """The post's outcome, committed at once: delivered, due again later (backing off), or dead."""
        now = utcnow()
        values = self._values(claimed, outcome, now)
        if values is not None and self._postgres:
            with contextlib.nullcontext(conn) if conn is not None else self._autocommit() as using:
                if not using.execute(SETTLE_AND_LOG, values | {"a_at": now, "a_response": outcome.response,
                                                               "a_ms": outcome.duration_ms}).scalar():
                    log.info("webhook delivery %s changed while posting", claimed.id)
            return
        if values is not None:  # the usual case on SQLite: two statements, no ORM session
            with self._engine.begin() as conn:
                if not db.rowcount(conn.execute(SETTLE, values)):
                    log.info("webhook delivery %s changed while posting", claimed.id)
                conn.execute(LOG_ATTEMPT, self._attempt(claimed, outcome, now))
            return
        dead = not outcome.ok
        attempts = claimed.attempts + 1
        values = {"b_id": claimed.id, "b_status": DeliveryStatus.DELIVERED if outcome.ok else DeliveryStatus.DEAD,
                  "b_attempts": attempts, "b_last_status": outcome.status_code, "b_last_error": outcome.error,
                  "b_next": now, "b_delivered": now if outcome.ok else None}
        with transaction(self.session_factory) as session:
            if not db.rowcount(session.execute(SETTLE, values)):  # replayed or settled meanwhile: still logged
                log.info("webhook delivery %s changed while posting", claimed.id)
            session.execute(LOG_ATTEMPT, self._attempt(claimed, outcome, now))
            self._mark(session, claimed, outcome, now, dead)

    def settle_many(self, done: list[tuple[Claimed, Outcome]]) -> None:
        """A round's outcomes (SQLite): the usual ones in one transaction, one turn of the single writer."""
        now, usual = utcnow(), []
        for claimed, outcome in done:
            values = self._values(claimed, outcome, now)
            if values is None:
                self.settle(claimed, outcome)
            else:
                usual.append((values, self._attempt(claimed, outcome, now)))
        if usual:
            with self._engine.begin() as conn:
                settled = db.rowcount(conn.execute(SETTLE, [one for one, _ in usual]))
                conn.execute(LOG_ATTEMPT, [one for _, one in usual])
            if settled < len(usual):  # replayed or settled meanwhile: these attempts are still logged
                log.info("%d webhook deliveries changed while posting", len(usual) - settled)

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
    def _autocommit(self) -> Connection:
        """A connection whose statements each commit (PostgreSQL): one round trip per settle."""
        return self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def run_once(self, client: urllib3.PoolManager, conn: Connection | None = None) -> int:
        """One claim's worth, posted and settled one by one; how many were posted."""
        claimed = self.claim(self.settings.batch, conn)
        deadline = time.monotonic() + self.settings.lease_seconds - self.settings.timeout_seconds - 1
        for i, one in enumerate(claimed):
            if time.monotonic() > deadline:  # its lease could run out mid-post: another sender may take it
                self.release([c.id for c in claimed[i:]])
                return i
            self.settle(one, self.post(client, one), conn)
        return len(claimed)

    def run_round(self, client: urllib3.PoolManager, posting: ThreadPoolExecutor) -> int:
        """SQLite: ``workers`` claimed at once, posted at once, settled together: two turns of the single
        writer for a round, not one per post.  A sender killed mid-round leaves at most ``workers`` posts
        unrecorded (posted again under their webhook-id), as a thread per worker would."""
        claimed = self.claim(self.settings.workers)
        if claimed:
            self.settle_many(list(zip(claimed, posting.map(lambda one: self.post(client, one), claimed), strict=True)))
        return len(claimed)

    def run(self, stop: threading.Event, idle: float = 0.2) -> None:
        """Post until ``stop``, waiting ``idle`` when nothing is due: on PostgreSQL ``workers`` threads, each
        with its own claims; on SQLite one loop of rounds posting ``workers`` at once."""
        def work(once: Callable[[], int]) -> None:
            while not stop.is_set():
                try:
                    posted = once()
                except Exception:
                    log.exception("webhook sender: a round failed")
                    posted = 0
                if not posted:
                    stop.wait(idle)

        if not self._postgres:
            with self.client(self.settings.workers) as client, \
                    ThreadPoolExecutor(self.settings.workers, thread_name_prefix="webhooks") as posting:
                work(lambda: self.run_round(client, posting))
            return

        def one_worker() -> None:
            """A thread with its own autocommit connection, kept (no pool check-out and ping per post), and
            opened again after an error (the database restarted)."""
            conn: Connection | None = None
            with self.client() as client:
                while not stop.is_set():
                    try:
                        conn = conn or self._autocommit()
                        posted = self.run_once(client, conn)
                    except Exception:
                        log.exception("webhook sender: a round failed")
                        if conn is not None:
                            conn.invalidate()
                            conn.close()
                        conn, posted = None, 0
                    if not posted:
                        stop.wait(idle)
            if conn is not None:
                conn.close()

        threads = [threading.Thread(target=one_worker, name=f"webhooks-{i}", daemon=True)
                   for i in range(self.settings.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
