"""menu: welcome, then one DTMF choice -> path, category, queue and skill.

The choices come from ``[ivr.menu]``; a wrong key is answered with Asterisk's
own "invalid option" and the menu repeats up to ``retries`` times.  A caller
who never chooses still reaches a human: the default queue.
"""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...calls.records import merge_call
from ...config import IVROption
from ...models import Queue
from .. import variables as var
from ..request import Request
from . import incident

INVALID = "pm-invalid-option"  # Asterisk core sound
# Paths that reach the option's queue (self-service: when the caller asks for an agent).
QUEUED = ("queue", "knowledge", "knowledge_code")


def handle(req: Request) -> None:
    digits = choose(req)
    option = req.ivr.menu.get(digits[-1]) if digits else None
    if option is None:
        option = IVROption(queue=req.ivr.default_queue, category="general")
    queue = (option.queue or req.ivr.default_queue) if option.path in QUEUED else ""
    optin = option.path == "queue" and req.ivr.survey_offer and _agrees_to_survey(req)
    choice: dict[str, Any] = {
        "path": option.path, "keys": digits, "category": option.category,
        "queue": queue, "skill": option.skill, "survey_optin": optin,
        "timed_out": not digits,
    }
    req.agi.set(var.IVR_PATH, option.path)
    if queue:
        req.agi.set(var.QUEUE, queue)
    req.agi.set(var.CATEGORY, option.category)
    req.agi.set(var.SKILL, option.skill)
    req.agi.set(var.SURVEY_OPTIN, "1" if optin else "0")
    if option.path in QUEUED:  # an incident of the chosen queue or category, not heard before the menu
        incident.offer(req, queue, option.category)
    # A self-service caller may never reach the queue: it is stored when they do (handlers/knowledge.py).
    req.later.append(functools.partial(store_choice, pbx=req.pbx, linkedid=req.linkedid, choice=choice,
                                       queue=queue if option.path == "queue" else ""))


def store_choice(db: Session, *, pbx: str, linkedid: str, choice: dict[str, Any], queue: str) -> None:
    overwrite: dict[str, Any] = {}
    if queue:
        overwrite = {"queue_name": queue, "queue_id": db.scalar(select(Queue.id).where(Queue.name == queue))}
    merge_call(db, pbx, linkedid, ivr=choice, overwrite=overwrite)


def choose(req: Request) -> list[str]:
    """The keys pressed, the valid one last; [] when the caller never chose."""
    keys = "".join(sorted(req.ivr.menu))
    pressed: list[str] = []
    digit = req.agi.play(req.prompt("welcome"), keys)
    for _ in range(max(1, req.ivr.retries)):
        digit = digit or req.agi.ask(req.prompt("menu"), req.timeout_ms(), 1)
        if digit:
            pressed.append(digit)
            if digit in req.ivr.menu:
                return pressed
            req.agi.play(INVALID)
        digit = ""
    return []


def _agrees_to_survey(req: Request) -> bool:
    return req.agi.ask(req.prompt("survey-offer"), req.timeout_ms(), 1) == "1"
