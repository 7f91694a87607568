"""incident: an outage's message before the menu, and "press 1 to be told when it is fixed".

``AGI(.../incident)`` runs after lookup: the caller of a queue (``CC_QUEUE``:
the number's queue or the default one) with an open incident hears its
message, spoken from the supervisor's words (``problems/ivr.py``), then the
offer.  The menu calls ``offer`` again once a choice names a queue or
category with an incident of its own.  Nothing here stands between a caller
and an agent: no incident, no voice, a database that does not answer or a
number we may not call all go on to the menu as before.  Which incident the
caller heard, and whether they subscribed, is stored on the call after the
session (``Call.ivr["incident"]``), so the agent's pop offers to link the
ticket to its problem.
"""
from __future__ import annotations

import functools
import logging
import re

from sqlalchemy.orm import Session

from ...access.dialling import NumberRefused, record_refusal
from ...calls.numbers import try_e164
from ...calls.records import merge_call
from ...knowledge.ivr import IVR
from .. import variables as var
from ..request import Request

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[a-z0-9_]{1,80}$")
_HEARD = re.compile(r"^[0-9]{1,9}(,[0-9]{1,9}){0,9}$")


def handle(req: Request) -> None:
    queue = req.agi.read(var.QUEUE, 80)
    offer(req, queue if _NAME.match(queue) else "", "")


def offer(req: Request, queue: str, category: str) -> None:
    """Play the narrowest open incident for this caller they have not heard yet, and take a 1."""
    line = req.incidents
    if line is None:
        return
    heard = req.agi.read(var.INCIDENTS_HEARD, 100)
    skip = {int(i) for i in heard.split(",")} if _HEARD.match(heard) else set()
    try:
        with req.reading():
            incident = line.heard_by(req.db, queue, category, skip)
            audio = line.spoken(incident, req.language) if incident is not None else None
            incident_id = incident.id if incident is not None else 0
            problem_id = incident.problem_id if incident is not None else None
    except Exception:  # the caller goes on to the menu whatever happens here
        log.exception("incident lookup for queue %r failed; the caller goes on", queue)
        return
    if not incident_id:
        return
    req.agi.set(var.INCIDENTS_HEARD, ",".join(map(str, sorted(skip | {incident_id}))))
    if audio is None:
        log.warning("incident %s cannot be spoken; its callers go on to the menu", incident_id)
        return
    pressed = req.agi.play(audio, "1") or req.agi.ask(req.prompt("incident-offer"), req.timeout_ms(), 1)
    subscribed = pressed == "1" and _subscribe(req, incident_id)
    req.later.append(functools.partial(store_heard, pbx=req.pbx, linkedid=req.linkedid, incident_id=incident_id,
                                       problem_id=problem_id, subscribed=subscribed))


def _subscribe(req: Request, incident_id: int) -> bool:
    line = req.incidents
    assert line is not None
    number = try_e164(req.agi.read(var.CALLER_NUMBER, 80), req.settings.phone.default_region)
    if number is None:
        req.agi.play(req.prompt("incident-refused"))
        return False
    try:
        with req.transaction():
            row = line.subscribe(req.db, incident_id, number, req.language, req.call().id)
    except NumberRefused as refused:
        req.later.append(functools.partial(record_refusal, actor=IVR, refused=refused, purpose="incident_notice"))
        req.agi.play(req.prompt("incident-refused"))
        return False
    if row is None:  # ended while the caller listened: it is fixed already
        return False
    req.agi.play(req.prompt("incident-subscribed"))
    return True


def store_heard(db: Session, *, pbx: str, linkedid: str, incident_id: int, problem_id: int | None,
                subscribed: bool) -> None:
    merge_call(db, pbx, linkedid, ivr={"incident": {"id": incident_id, "problem_id": problem_id,
                                                    "subscribed": subscribed}})
