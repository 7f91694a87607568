"""The transcriber service: claim jobs, run them in worker processes, store the result.

One thread owns the database side (claim, store, retry); the recognition
runs in ``workers`` processes, each loading its Vosk model once and keeping
it, so a 2-core machine decodes two calls at once.  A ``recording_ready``
event queues a job at once; a poll every ``poll_interval`` catches events
that were missed and jobs whose worker died.  No error in a job, not even a
worker process crashing inside Kaldi, stops the service.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from ..bus import Bus, Message
from ..config import Settings
from ..db import transaction
from ..events import RecordingReady
from ..models import Transcript, utcnow
from ..models.transcripts import TranscriptStatus
from ..runner import ThreadService
from . import jobs, sources
from .audio import AudioError
from .lean_spawn import LeanSpawnContext
from .models import ModelMissing, ModelRegistry
from .notifier import TranscriptNotifier
from .pipeline import Result, run_job, start_worker_process

log = logging.getLogger(__name__)
# The database is away (restart, failover): wait and go on; the jobs wait in their table.
_DB_AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError)


@dataclass
class Running:
    job_id: int
    call_id: int
    model: str
    future: Future[Result]


class TranscriberService(ThreadService):
    name = "transcriber"

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session], bus: Bus | None):
        super().__init__()
        self.settings = settings
        self.cfg = settings.transcribe
        self.session_factory = session_factory
        self.bus = bus
        self.notifier = TranscriptNotifier(bus)
        self.registry = ModelRegistry.from_settings(settings)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.wake = threading.Event()
        self.running: dict[int, Running] = {}
        self._pool: ProcessPoolExecutor | None = None

    # -- events ----------------------------------------------------------
    def on_recording_ready(self, message: Message[RecordingReady]) -> None:
        call_id = message.event.call_id
        if call_id is None:
            log.warning("recording_ready without a call id: %r", message.event)
            return
        with transaction(self.session_factory) as session:
            jobs.enqueue(session, call_id)
        self.wake.set()

    # -- the loop ----------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        unsubscribe = [self.bus.subscribe(RecordingReady, self.on_recording_ready)] if self.bus else []
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    self.tick()
                except _DB_AWAY as exc:  # found by the soak: a stopped PostgreSQL ended the service
                    log.warning("transcriber: database unavailable (%s); retrying in %.0f s",
                                type(exc.orig or exc).__name__, self.cfg.poll_interval)
                self.wake.wait(self.cfg.poll_interval)
        finally:
            for undo in unsubscribe:
                undo()
            self._shutdown_pool()

    def tick(self) -> None:
        """One round: collect finished jobs, recover lost ones, start new ones."""
        for job_id in [j for j, r in self.running.items() if r.future.done()]:
            self._collect(self.running.pop(job_id))
        with transaction(self.session_factory) as session:
            jobs.requeue_lost(session, self.cfg.job_timeout)
            jobs.enqueue_missed(session)
        while len(self.running) < self.cfg.worker_count() and self._start_one():
            pass

    def _start_one(self) -> bool:
        with transaction(self.session_factory) as session:
            job = jobs.claim(session, self.worker_id)
            if job is None:
                return False
            job_id, call_id = job.id, job.call_id
            try:
                work = sources.call_audio(session, call_id, self.settings, self.registry)
            except (AudioError, ModelMissing) as exc:
                self._fail(job, exc)
                return True
            job.language, job.model = work.language, str(work.model_path)[-200:]
        future = self.pool().submit(run_job, work)
        future.add_done_callback(lambda _f: self.wake.set())
        self.running[job_id] = Running(job_id, call_id, str(work.model_path), future)
        log.info("transcribing call %s (job %s)", call_id, job_id)
        return True

    def _collect(self, run: Running) -> None:
        try:
            result = run.future.result()
            exc: BaseException | None = None
        except BrokenProcessPool as broken:
            self._pool = None  # rebuilt on the next submit
            result, exc = None, AudioError(f"worker process died while transcribing ({broken})")
            exc.retry = True
        except Exception as error:  # noqa: BLE001 - every failure ends the job, never the service
            result, exc = None, error
        with transaction(self.session_factory) as session:
            job = jobs.mine(session, run.job_id, self.worker_id)
            if job is None:
                return
            if exc is not None:
                self._fail(job, exc)
            else:
                self._store(session, job, result)

    def _store(self, session: Session, job: Transcript, result: Result | None) -> None:
        assert result is not None
        job.turns, job.text, job.redactions = result.turns, result.text, result.redactions
        job.redacted = any(s["kind"] != "muted" for s in result.redactions)
        job.duration_seconds = result.duration
        base = self.settings.qa_audio_dir()
        job.qa_audio = str(result.qa_path.relative_to(base)) if result.qa_path else None
        job.status, job.error, job.finished_at = TranscriptStatus.DONE, None, utcnow()
        self.notifier.transcript_ready(session, job)
        log.info("call %s transcribed: %d words, %.0f s", job.call_id, result.words, result.duration)

    def _fail(self, job: Transcript, exc: BaseException) -> None:
        retry = bool(getattr(exc, "retry", not isinstance(exc, (AudioError, ModelMissing))))
        message = f"{type(exc).__name__}: {exc}"
        again = jobs.fail(job, message, retry, self.cfg)
        log.warning("transcription of call %s failed%s: %s", job.call_id,
                    " (will retry)" if again else "", message)

    # -- worker processes --------------------------------------------------
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            preload = []
            try:
                preload = [str(self.registry.choose().path)]
            except ModelMissing as exc:
                log.warning("%s", exc)
            self._pool = ProcessPoolExecutor(
                max_workers=self.cfg.worker_count(), mp_context=LeanSpawnContext(),
                initializer=start_worker_process, initargs=(preload,))
        return self._pool

    def _shutdown_pool(self) -> None:
        """Stop now: jobs in progress go back to the queue for the next worker."""
        pool, self._pool = self._pool, None
        if pool is not None:
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()  # a job can take minutes; a stop must not
        for run in self.running.values():
            with transaction(self.session_factory) as session:
                job = jobs.mine(session, run.job_id, self.worker_id)
                if job is not None:
                    jobs.release(job)
        self.running.clear()

