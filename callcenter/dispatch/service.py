"""The dispatcher service: stand by, win the lock, run the scheduler, step down.

Every dispatcher process subscribes to the bus, but only the one holding
the lock (``leader.py``) has a scheduler, a dialer and an installed
``Runtime``; the others poll for the lock and take over within
``leader_poll_seconds`` of the active one dying.
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ..access.dialling import DiallingPolicy
from ..bus import Bus, Message, Unsubscribe
from ..config import Settings
from ..events import (
    CallbackRequested,
    CallQueued,
    CallRecordWritten,
    IncidentEnded,
    TicketCreated,
    TicketEvent,
)
from ..models import Queue, utcnow
from ..problems.incidents import Incidents
from ..runner import ThreadService
from . import daily, jobs, leader, runtime
from . import scheduler as sched
from .assigner import Assigner
from .calendar import DailyWindow
from .callbacks import Callbacks
from .dialer import Dialer
from .escalation import Escalator
from .load import LiveAgents
from .notices import NoticePlacer
from .notifier import DISPATCHER
from .placing import CallbackPlacer
from .sla import SLA
from .surveys import SurveyPlacer

log = logging.getLogger(__name__)


def make_dialer(settings: Settings) -> Dialer | None:
    """``ami`` (the default), or ``package.module:factory`` called with the settings.

    None when no PBX is configured: assignment and SLA still run, calls wait.
    """
    choice = settings.dispatch.dialer
    if choice == "ami":
        from .ami_dialer import for_settings

        if not settings.pbxes():
            log.error("dispatcher: no PBX configured; callbacks and surveys wait until one is")
            return None
        return for_settings(settings.pbxes(), settings.dispatch.pbx, settings.ami,
                            DiallingPolicy.from_settings(settings))
    module, _, attr = choice.partition(":")
    if not attr:
        raise ValueError(f"dispatch.dialer = {choice!r}: use 'ami' or 'package.module:factory'")
    factory: Callable[[Settings], Dialer | None] = getattr(importlib.import_module(module), attr)
    return factory(settings)


def build_runtime(settings: Settings, engine: Engine, factory: sessionmaker[Session],
                  scheduler: BackgroundScheduler, dialer: Dialer | None, live: LiveAgents | None,
                  callbacks: Callbacks, clock: Callable[[], dt.datetime] = utcnow,
                  incidents: Incidents | None = None) -> runtime.Runtime:
    """Everything the jobs need; ``callbacks`` brings the ticket service and the notifier the rest share."""
    d, tz = settings.dispatch, settings.timezone
    tickets, notifier, policy = callbacks.tickets, callbacks.notifier, callbacks.policy
    pbx = next((p for p in settings.pbxes() if p.name == d.pbx), None) if d.pbx else \
        next(iter(settings.pbxes()), None)
    assigner = Assigner(d.assignment, tickets, live, settings.presence)
    escalator = Escalator(SLA(d.sla, tz), list(d.sla.escalation),
                          dt.timedelta(minutes=d.sla.escalation_interval_minutes), assigner, tickets, notifier)
    placer = CallbackPlacer(d.callbacks, assigner.engine, dialer, DailyWindow(d.callbacks.calling_hours, tz),
                            pbx.callback_context if pbx else "cc-callback", d.outbound_endpoint,
                            tickets=tickets, notifier=notifier, policy=policy, live=live)
    surveys = SurveyPlacer(d.surveys, dialer, DailyWindow(d.surveys.quiet_hours, tz, inverted=True),
                           pbx.survey_context if pbx else "cc-survey-outbound", d.outbound_endpoint, policy=policy)
    notices = NoticePlacer(settings.problems, dialer, DailyWindow(d.callbacks.calling_hours, tz),
                           pbx.incident_context if pbx else "cc-incident-notice", d.outbound_endpoint, policy=policy,
                           spoken_context=pbx.notice_context if pbx else "cc-phone-notice")
    return runtime.Runtime(engine=engine, factory=factory, scheduler=scheduler, assigner=assigner,
                           escalator=escalator, callbacks=callbacks, placer=placer, surveys=surveys,
                           notices=notices, settings_surveys=d.surveys, settings=settings, clock=clock,
                           incidents=incidents)


class DispatcherService(ThreadService):
    name = "dispatcher"

    def __init__(self, settings: Settings, engine: Engine, factory: sessionmaker[Session],
                 bus: Bus | None, callbacks: Callbacks,
                 dialer_factory: Callable[[Settings], Dialer | None] = make_dialer,
                 incidents: Incidents | None = None) -> None:
        super().__init__()
        self.settings, self.engine, self.factory, self.bus = settings, engine, factory, bus
        self.callbacks, self.incidents = callbacks, incidents
        self.dialer_factory = dialer_factory
        self.live = LiveAgents()
        self.active = threading.Event()
        self.runtime: runtime.Runtime | None = None

    # -- events (acted on only while active) -------------------------------------------------
    def subscribe(self, bus: Bus) -> list[Unsubscribe]:
        return [bus.subscribe(CallbackRequested, self.on_callback_requested),
                bus.subscribe(TicketEvent, self.on_ticket),
                bus.subscribe(CallRecordWritten, self.on_call_record_written),
                bus.subscribe(TicketCreated, self.on_ticket_created),
                bus.subscribe(CallQueued, self.on_call_queued),
                bus.subscribe(IncidentEnded, self.on_incident_ended)]

    def on_callback_requested(self, message: Message[CallbackRequested]) -> None:
        cid = message.event.callback_id
        if self.runtime is not None:
            self.runtime.at(f"callback:{cid}", jobs.run_callback, utcnow(), cid)

    def on_ticket(self, message: Message[TicketEvent]) -> None:
        """Any change by someone else: the ticket may need assigning, its timers setting."""
        tid = message.event.ticket_id
        if self.runtime is not None and message.event.actor != DISPATCHER.name:
            self.runtime.at(f"ticket:{tid}", jobs.review_ticket, utcnow(), tid)

    def on_ticket_created(self, message: Message[TicketCreated]) -> None:
        """A new ticket may be one of a surge (incident mode's watch)."""
        tid = message.event.ticket_id
        if self.runtime is not None and self.incidents is not None:
            self.runtime.at(f"surge:{tid}", jobs.watch_surge, utcnow(), tid)

    def on_call_queued(self, message: Message[CallQueued]) -> None:
        """A caller joined a queue: calls may surge before any ticket is filed (one check per queue at a time)."""
        event = message.event
        if self.runtime is None or self.incidents is None or not event.queue:
            return
        with self.factory() as session:
            queue_id = session.scalar(select(Queue.id).where(Queue.name == event.queue))
        if queue_id is not None:
            self.runtime.at(f"call-surge:{queue_id}", jobs.watch_call_surge, utcnow(), queue_id)

    def on_incident_ended(self, message: Message[IncidentEnded]) -> None:
        """A solved incident: its subscribers are told."""
        if self.runtime is not None and message.event.solved:
            self.runtime.at(f"incident:{message.event.incident_id}", jobs.incident_ended, utcnow(),
                            message.event.incident_id)

    def on_call_record_written(self, message: Message[CallRecordWritten]) -> None:
        """The bridge stored a finished call; one abandoned in the queue may get a callback."""
        call_id = message.event.call_id
        if self.runtime is not None and call_id is not None and message.event.disposition == "abandoned_queue":
            self.runtime.at(f"abandoned:{call_id}", jobs.abandoned_call, utcnow(), call_id)

    # -- the loop ------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        # APScheduler logs every job run at INFO: thousands of lines an hour.
        for name in ("apscheduler.executors.default", "apscheduler.scheduler"):
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
        lock = leader.for_engine(self.engine)
        unsubscribe = []
        if self.bus is not None:
            unsubscribe = self.live.subscribe(self.bus) + self.subscribe(self.bus)
        log.info("dispatcher: standing by for %s", lock.describe())
        try:
            while not stop.is_set():
                if lock.try_acquire():
                    try:
                        self._lead(stop, lock)
                    finally:
                        lock.release()
                stop.wait(self.settings.dispatch.scheduler.leader_poll_seconds)
        finally:
            for undo in unsubscribe:
                undo()

    def _lead(self, stop: threading.Event, lock: leader.Leadership) -> None:
        cfg = self.settings.dispatch.scheduler
        dialer = self.dialer_factory(self.settings)
        scheduler = sched.build(self.engine, cfg)
        rt = build_runtime(self.settings, self.engine, self.factory, scheduler, dialer, self.live, self.callbacks,
                           incidents=self.incidents)
        runtime.install(rt)
        lost = False
        try:
            scheduler.start()
            sched.every(scheduler, "reconcile", jobs.reconcile, cfg.reconcile_seconds)
            daily.plan(rt)  # retention purge and daily summary
            self.runtime = rt
            self.active.set()
            log.info("dispatcher: ACTIVE (%s)", lock.describe())
            while not stop.wait(cfg.leader_poll_seconds):
                if not lock.still_held():
                    log.error("dispatcher: lost the lock; stepping down at once")
                    lost = True
                    break
        finally:
            self.active.clear()
            self.runtime = None
            # Lost the lock: another dispatcher may already run; stop without waiting.
            if scheduler.running:
                scheduler.shutdown(wait=not lost)
            runtime.install(None)
            if dialer is not None:
                dialer.close()
            log.info("dispatcher: standing by")
