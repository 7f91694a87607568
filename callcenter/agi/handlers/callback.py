"""callback: instead of waiting, the caller asks to be called back.

They confirm the number they call from or key another; we store one
pending Callback (due after ``callback_delay_seconds``) for the dispatcher
to place, thank them, and the dialplan hangs up: they leave the queue.
Running twice for the same call (a retry) updates that one request.

The number must pass the dialling policy (``callcenter.access.dialling``):
a premium, satellite or foreign number is refused with a prompt and the
caller may key another; a number that already has the day's callbacks
hears so and goes back to the queue.  Every refusal is audited.

Offered because the queue is closed (``AGI(.../callback,closed)`` in [cc-queue-closed]),
the callback is not due before the queue opens again, and a caller who
gives no usable number hears goodbye: there is no agent to pass them to.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from ...access.audit import Actor
from ...access.dialling import DiallingPolicy, NumberRefused, record_refusal
from ...calls.numbers import try_e164
from ...models import Call, Callback, CallbackSource, CallbackStatus, CustomerPhone, Queue, utcnow
from ...queues import hours, routing
from .. import variables as var
from ..request import DialplanBreak, Request

MAX_DIGITS = 15
_QUEUE = re.compile(r"^[a-z0-9_]{1,80}$")
IVR = Actor(name="ivr", via="ivr")
CLOSED = "closed"  # the dialplan's argument: AGI(.../callback,closed)


def handle(req: Request) -> None:
    region = req.settings.phone.default_region
    policy = DiallingPolicy.from_settings(req.settings)
    calling = try_e164(req.agi.read(var.CALLER_NUMBER, 80), region)
    queue = req.agi.read(var.QUEUE, 80)
    queue = queue if _QUEUE.match(queue) else ""
    # From a closed queue ([cc-queue-closed] passes "closed"): no agent to fall back to; due at the opening.
    closed = CLOSED in req.args
    language = req.language
    number = confirm_number(req, calling, policy)
    if number is None:
        if closed:  # the dialplan says goodbye; nobody is there to take the call
            req.agi.set(var.IVR_PATH, "closed")
            return
        raise DialplanBreak("callback-no-number")
    opening = _opening(req, queue) if closed else None
    try:
        with req.transaction():
            callback = record(req, number, queue or None, language, policy, opening)
            callback_id = callback.id
    except NumberRefused as refused:  # the day's callbacks for this number are booked
        _remember(req, refused)
        req.agi.play(req.prompt("callback-number-refused" if closed else "callback-limit"))
        req.agi.set(var.IVR_PATH, "closed" if closed else "queue")
        return
    req.agi.set(var.CALLBACK_ID, callback_id)
    req.agi.set(var.CALLBACK_NUMBER, number)
    req.agi.set(var.IVR_PATH, "hangup")
    req.agi.play(req.prompt("callback-registered"))


def confirm_number(req: Request, calling: str | None, policy: DiallingPolicy) -> str | None:
    """1 = the number they call from; 2 (or an anonymous caller) = key one. Both must pass the policy."""
    region = req.settings.phone.default_region
    for _ in range(max(1, req.ivr.retries)):
        if calling is not None:
            choice = req.agi.ask(req.prompt("callback-confirm"), req.timeout_ms(), 1)
            if choice == "1":
                if _allowed(req, calling, policy):
                    return calling
                calling = None  # they may key another number
                continue
            if choice != "2":
                if choice:
                    req.agi.play("pm-invalid-option")
                continue
        typed = try_e164(req.agi.ask(req.prompt("callback-enter-number"), req.timeout_ms(), MAX_DIGITS), region)
        if typed is None:
            req.agi.play(req.prompt("number-invalid"))
        elif _allowed(req, typed, policy):
            return typed
    return None


def _allowed(req: Request, number: str, policy: DiallingPolicy) -> bool:
    refusal = policy.check(number)
    if refusal is None:
        return True
    _remember(req, NumberRefused(number, refusal))
    req.agi.play(req.prompt("callback-number-refused"))
    return False


def _remember(req: Request, refused: NumberRefused) -> None:
    """The refusal's audit row, written after the session like the IVR's other writes."""
    req.later.append(lambda db: record_refusal(db, IVR, refused, "callback"))


def _opening(req: Request, queue: str) -> dt.datetime | None:
    """When the closed queue opens again: its callback is not due before then."""
    with req.reading():
        entry = routing.entry(req.db, queue, req.ivr.default_queue)
    return hours.opens_at(entry.hours, req.settings, utcnow()) if entry else None


def record(req: Request, number: str, queue: str | None, language: str, policy: DiallingPolicy,
           not_before: dt.datetime | None = None) -> Callback:
    """The call's one IVR callback request, created or brought up to date (NumberRefused: the day's quota)."""
    call = req.call()
    # Serialise concurrent runs for one call (PostgreSQL; SQLite's BEGIN
    # IMMEDIATE already does) so a retry never adds a second request.
    req.db.execute(select(Call.id).where(Call.id == call.id).with_for_update())
    due = utcnow() + dt.timedelta(seconds=req.ivr.callback_delay_seconds)
    due = max(due, not_before) if not_before is not None else due
    queue_id = req.db.scalar(select(Queue.id).where(Queue.name == queue)) if queue else None
    callback = req.db.scalar(
        select(Callback).where(Callback.call_id == call.id, Callback.source == CallbackSource.IVR)
    )
    if callback is None:
        refusal = policy.check_quota(req.db, number)
        if refusal is not None:
            raise NumberRefused(number, refusal)
        callback = Callback(source=CallbackSource.IVR, call_id=call.id, status=CallbackStatus.PENDING)
        req.db.add(callback)
    callback.number = number
    callback.due_at = due
    callback.queue_id = queue_id or callback.queue_id
    callback.language = language
    callback.customer_id = call.customer_id or req.db.scalar(
        select(CustomerPhone.customer_id).where(CustomerPhone.number == number)
    )
    call.ivr = {**(call.ivr or {}), "callback": True}
    req.db.flush()
    return callback
