"""queue: the last word before Queue(), whichever way the caller came (menu, DID, transfer, callback).

A retired queue hands the caller to the default queue; outside the queue's
business hours the dialplan plays "we are closed" and offers a callback
instead of a wait in an empty queue (``CC_QUEUE_CLOSED``); a queue that is
not recorded tells cc-record-agent so (``CC_RECORD=0``).  Nothing here may
stand between a caller and an agent: a queue we have no row of, or a
database that does not answer, lets the call through as before (recorded).
"""
from __future__ import annotations

import functools
import logging

from sqlalchemy.orm import Session

from ...calls.records import merge_call
from ...models import utcnow
from ...queues import hours, routing
from .. import variables as var
from ..request import Request

log = logging.getLogger(__name__)


def handle(req: Request) -> None:
    asked = req.agi.read(var.QUEUE, 80)
    try:
        with req.reading():
            entry = routing.entry(req.db, asked, req.ivr.default_queue)
    except Exception:  # the caller reaches an agent whatever happens here
        log.exception("queue %r: settings unreadable; the call goes on as before", asked)
        return
    if entry is None:
        req.agi.set(var.QUEUE_CLOSED, "0")
        return
    if entry.name != asked:
        log.info("queue %r is retired: the caller goes to %s", asked, entry.name)
        req.agi.set(var.QUEUE, entry.name)
    closed = hours.closed(entry.hours, req.settings, utcnow())
    req.agi.set(var.RECORD, "1" if entry.recording else "0")
    req.agi.set(var.QUEUE_CLOSED, "1" if closed else "0")
    if closed:
        req.later.append(functools.partial(store_closed, pbx=req.pbx, linkedid=req.linkedid,
                                           queue=entry.name, queue_id=entry.queue_id))


def store_closed(db: Session, *, pbx: str, linkedid: str, queue: str, queue_id: int) -> None:
    """The call reached a closed queue: its record says which, and that the caller heard so."""
    merge_call(db, pbx, linkedid, overwrite={"queue_name": queue, "queue_id": queue_id}, ivr={"closed": True})
