"""The background worker service: claims queued jobs and runs each through its kind's handler."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from ..access.audit import Actor
from ..db import transaction
from ..i18n import N_, Message
from ..models import User
from ..retry import Backoff
from ..runner import ThreadService
from . import jobs

log = logging.getLogger(__name__)
# What a stopped or restarting database raises; the worker waits, it does not die.
DB_AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError)


class Lost(Exception):
    """This worker no longer holds the job (it was requeued after a stall): stop without a trace."""


@dataclass
class Work:
    """What a handler gets: the job's parameters, its requester, and a way to say how far it is."""

    job_id: int
    params: dict[str, Any]
    requested_by_id: int | None
    session_factory: sessionmaker[Session]
    worker: str

    def actor(self, session: Session) -> Actor:
        user = session.get(User, self.requested_by_id) if self.requested_by_id else None
        return Actor.of(user, via="job") if user is not None else Actor.system("background")

    def progress(self, done: int, total: int) -> None:
        """Store progress (its own short transaction); raises Lost if the job went to another worker."""
        with transaction(self.session_factory) as session:
            if not jobs.progress(session, self.job_id, self.worker, done, total):
                raise Lost(self.job_id)


Handler = Callable[[Work], dict[str, Any]]


class BackgroundWorker(ThreadService):
    name = "background"

    def __init__(self, session_factory: sessionmaker[Session], handlers: Mapping[str, Handler],
                 poll_seconds: float = 1.0, heartbeat_timeout: float = 300.0) -> None:
        super().__init__()
        self.session_factory, self.handlers = session_factory, dict(handlers)
        self.poll_seconds, self.heartbeat_timeout = poll_seconds, heartbeat_timeout
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    def run(self, stop: threading.Event) -> None:
        next_sweep = 0.0
        backoff = Backoff(self.poll_seconds, 30.0)
        while not stop.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    with transaction(self.session_factory) as session:
                        jobs.requeue_lost(session, self.heartbeat_timeout)
                    next_sweep = time.monotonic() + min(60.0, self.heartbeat_timeout / 4)
                ran = self.run_once()
                backoff.reset()
            except DB_AWAY as exc:
                # The database is restarting: wait it out. A job cut short keeps its stale
                # heartbeat and is queued again by the sweep.
                wait = backoff.next()
                log.warning("background: database unavailable (%s); retrying in %.1f s",
                            type(exc.orig or exc).__name__, wait)
                stop.wait(wait)
                continue
            if not ran:
                stop.wait(self.poll_seconds)

    def run_once(self) -> bool:
        """Claim and run one job; False if none was waiting."""
        with transaction(self.session_factory) as session:
            job = jobs.claim(session, self.worker_id)
            if job is None:
                return False
            work = Work(job.id, dict(job.params), job.requested_by_id, self.session_factory, self.worker_id)
            kind = job.kind
        self._run(kind, work)
        return True

    def _run(self, kind: str, work: Work) -> None:
        handler = self.handlers.get(kind)
        try:
            if handler is None:
                raise jobs.JobError(N_("No handler for jobs of kind %(kind)s."), kind=repr(kind))
            result = handler(work)
        except Lost:
            log.warning("background job %s went to another worker", work.job_id)
            return
        except Exception as exc:
            log.exception("background job %s (%s) failed", work.job_id, kind)
            reason = str(exc) if isinstance(exc, jobs.JobError) else f"{type(exc).__name__}: {exc}"
            said = Message(exc.template, exc.params) if isinstance(exc, jobs.JobError) else jobs.BROKE
            with transaction(self.session_factory) as session:
                jobs.fail(session, work.job_id, self.worker_id, reason, said)
            return
        with transaction(self.session_factory) as session:
            jobs.finish(session, work.job_id, self.worker_id, result)
