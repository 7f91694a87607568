"""callback: instead of waiting, the caller asks to be called back.

They confirm the number they call from or key another; we store one
pending Callback (due after ``callback_delay_seconds``) for the dispatcher
to place, thank them, and the dialplan hangs up: they leave the queue.
Running twice for the same call (a retry) updates that one request.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from ...calls.numbers import try_e164
from ...models import Call, Callback, CallbackSource, CallbackStatus, CustomerPhone, Queue, utcnow
from .. import variables as var
from ..request import DialplanBreak, Request

MAX_DIGITS = 15
_QUEUE = re.compile(r"^[a-z0-9_]{1,80}$")


def handle(req: Request) -> None:
    region = req.settings.phone.default_region
    calling = try_e164(req.agi.read(var.CALLER_NUMBER, 80), region)
    queue = req.agi.read(var.QUEUE, 80)
    language = req.language
    number = confirm_number(req, calling)
    if number is None:
        raise DialplanBreak("callback-no-number")
    with req.transaction():
        callback = record(req, number, queue if _QUEUE.match(queue) else None, language)
        callback_id = callback.id
    req.agi.set(var.CALLBACK_ID, callback_id)
    req.agi.set(var.CALLBACK_NUMBER, number)
    req.agi.set(var.IVR_PATH, "hangup")
    req.agi.play(req.prompt("callback-registered"))


def confirm_number(req: Request, calling: str | None) -> str | None:
    """1 = the number they call from; 2 (or an anonymous caller) = key one."""
    region = req.settings.phone.default_region
    for _ in range(max(1, req.ivr.retries)):
        if calling is not None:
            choice = req.agi.ask(req.prompt("callback-confirm"), req.timeout_ms(), 1)
            if choice == "1":
                return calling
            if choice != "2":
                if choice:
                    req.agi.play("pm-invalid-option")
                continue
        typed = try_e164(req.agi.ask(req.prompt("callback-enter-number"), req.timeout_ms(), MAX_DIGITS), region)
        if typed is not None:
            return typed
        req.agi.play(req.prompt("number-invalid"))
    return None


def record(req: Request, number: str, queue: str | None, language: str) -> Callback:
    """The call's one IVR callback request, created or brought up to date."""
    call = req.call()
    # Serialise concurrent runs for one call (PostgreSQL; SQLite's BEGIN
    # IMMEDIATE already does) so a retry never adds a second request.
    req.db.execute(select(Call.id).where(Call.id == call.id).with_for_update())
    due = utcnow() + dt.timedelta(seconds=req.ivr.callback_delay_seconds)
    queue_id = req.db.scalar(select(Queue.id).where(Queue.name == queue)) if queue else None
    callback = req.db.scalar(
        select(Callback).where(Callback.call_id == call.id, Callback.source == CallbackSource.IVR)
    )
    if callback is None:
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
