"""Callbacks as promises: created from the IVR, by an agent, or for abandoned calls.

Each callback has a due time and an SLA (call back no later than
``sla_due_at``).  Numbers are normalised to E.164 here, once; nothing else
ever reaches the dialler.  Placing the call is ``placing.py``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import tickets
from ..bus import Bus
from ..config import CallbackSettings
from ..models import (
    Call, Callback, CallbackAttempt, CallbackSource, CallbackStatus, Disposition, Ticket, utcnow,
)
from ..phone import InvalidNumber, to_e164

ACTIVE = (CallbackStatus.PENDING, CallbackStatus.DIALING)


class CallbackError(ValueError):
    pass


def request(session: Session, number: str, *, source: CallbackSource | str, cfg: CallbackSettings,
            region: str, due_at: dt.datetime | None = None, bus: Bus | None = None,
            **links: int | str | None) -> Callback:
    """Promise a callback; a second request for a number already waiting returns the first.

    ``links``: call_id, customer_id, ticket_id, queue_id, requested_by_id, language.
    """
    try:
        e164 = to_e164(number, region)
    except InvalidNumber as exc:
        raise CallbackError(f"cannot call back {number!r}: {exc}") from exc
    now = utcnow()
    due = due_at or now
    if due.tzinfo is None:
        raise CallbackError("due time must carry a time zone")
    unknown = set(links) - {"call_id", "customer_id", "ticket_id", "queue_id", "requested_by_id", "language"}
    if unknown:
        raise CallbackError(f"unknown callback field(s): {sorted(unknown)}")
    existing = session.scalar(select(Callback).where(Callback.number == e164, Callback.status.in_(ACTIVE)))
    if existing is not None:
        return existing
    cb = Callback(number=e164, source=CallbackSource(source), due_at=due, next_attempt_at=due,
                  sla_due_at=due + dt.timedelta(minutes=cfg.sla_minutes), max_attempts=cfg.max_attempts,
                  **links)
    session.add(cb)
    session.flush()
    if cb.ticket_id:
        ticket = session.get(Ticket, cb.ticket_id)
        if ticket is not None:
            tickets.add_note(session, ticket, f"Callback promised to {e164} at {due.isoformat()} "
                             f"({cb.source.value}); call back by {cb.sla_due_at.isoformat()}", author=None)
    if bus is not None:
        bus.publish("callback_requested", {"callback_id": cb.id}, session=session)
    return cb


def for_abandoned_call(session: Session, call_id: int, cfg: CallbackSettings, region: str,
                       bus: Bus | None = None) -> Callback | None:
    """A caller who gave up in the queue gets a callback (once per call), if configured."""
    if not cfg.auto_for_abandoned:
        return None
    call = session.get(Call, call_id)
    if call is None or call.disposition is not Disposition.ABANDONED_QUEUE or not call.caller_number:
        return None
    if session.scalar(select(Callback.id).where(Callback.call_id == call.id)) is not None:
        return None
    ended = call.ended_at or utcnow()
    try:
        return request(session, call.caller_number, source=CallbackSource.ABANDONED, cfg=cfg, region=region,
                       due_at=ended + dt.timedelta(minutes=cfg.abandoned_delay_minutes), bus=bus,
                       call_id=call.id, customer_id=call.customer_id, ticket_id=call.ticket_id,
                       queue_id=call.queue_id, language=call.language)
    except CallbackError:
        return None  # an unusable caller ID: nothing to call back


def cancel(session: Session, callback_id: int, reason: str) -> bool:
    done = session.execute(update(Callback).where(
        Callback.id == callback_id, Callback.status == CallbackStatus.PENDING).values(
        status=CallbackStatus.CANCELLED, completed_at=utcnow(), outcome_detail=reason[:2000]))
    return done.rowcount == 1


def close_stale(session: Session, now: dt.datetime, timeout_s: int) -> list[int]:
    """DIALING for too long (restart or lost AMI link mid-call): fail it, never redial.

    We cannot know whether the customer's phone rang, so dialling again could
    call them twice; a person follows up from the ticket note instead.
    """
    cutoff = now - dt.timedelta(seconds=timeout_s)
    stale = list(session.scalars(select(Callback).where(
        Callback.status == CallbackStatus.DIALING, Callback.last_attempt_at < cutoff)))
    why = (f"outcome unknown {timeout_s} s after dialling (dispatcher restart or lost AMI link); "
           "not redialled so the customer is never called twice")
    closed = []
    for cb in stale:
        hit = session.execute(update(Callback).where(
            Callback.id == cb.id, Callback.status == CallbackStatus.DIALING).values(
            status=CallbackStatus.FAILED, completed_at=now, outcome_detail=why))
        if hit.rowcount != 1:
            continue
        session.execute(update(CallbackAttempt).where(
            CallbackAttempt.callback_id == cb.id, CallbackAttempt.outcome.is_(None)).values(
            outcome="unknown", ended_at=now, detail=why))
        if cb.ticket_id and (ticket := session.get(Ticket, cb.ticket_id)) is not None:
            tickets.add_note(session, ticket, f"Callback to {cb.number} failed: {why}. Please call manually.",
                             author=None)
        closed.append(cb.id)
    return closed
