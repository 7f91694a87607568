"""knowledge: self-service.  The caller hears an article's short answer, then 1 solved, 2 an agent, 3 by SMS.

``AGI(.../knowledge)`` plays the most helpful article of the menu's category;
``AGI(.../knowledge,code)`` first asks for an article's number (digits only,
checked before any lookup; a wrong one is said so, up to ``retries`` times).
Which article, and what the caller's answer leaves behind, is the knowledge
base's part (``callcenter.knowledge.ivr``).

A caller is never stuck here: no article, an answer that cannot be spoken,
self-service switched off or no key pressed all end with an agent (the
dialplan's ``cc-queue``, the same way the menu's queue choices go), and the
article heard is noted on the channel (``CC_KB_ARTICLE``) for the pop.  What
the caller did is stored after the session, even when they hung up.
"""
from __future__ import annotations

import functools
import re

from ...access.dialling import NumberRefused, record_refusal
from ...calls.numbers import try_e164
from ...knowledge import ivr as kb
from ...knowledge.ivr import Answer, Heard, Outcome
from .. import variables as var
from ..request import Request
from . import menu

CODE_ARG = "code"  # AGI(.../knowledge,code): the caller keys an article's number
MAX_CODE_DIGITS = 8
INVALID = "pm-invalid-option"
_QUEUE = re.compile(r"^[a-z0-9_]{1,80}$")


def handle(req: Request) -> None:
    service = req.knowledge
    if service is None or not service.enabled:
        to_agent(req)
        return
    category = req.agi.read(var.CATEGORY, 80).strip()
    category = category if kb.CATEGORY.match(category) else ""
    keyed = CODE_ARG in req.args
    answer = ask_code(req) if keyed else _top(req, category)
    if answer is None:
        _missed(req, Outcome.NO_ARTICLE, "kb-no-answer")
        return
    audio = service.spoken(answer)
    if audio is None:
        _missed(req, Outcome.UNSPOKEN, "kb-cannot-play")
        return
    heard = Heard(answer, category, keyed)
    req.later.append(functools.partial(kb.record, pbx=req.pbx, linkedid=req.linkedid, heard=heard))
    req.agi.set(var.KB_ARTICLE, answer.code)
    choose(req, heard, req.agi.play(audio, "123"))


def choose(req: Request, heard: Heard, pressed: str) -> None:
    """1 solved (goodbye), 2 an agent, 3 by SMS (goodbye once sent; said so when it cannot be)."""
    service = req.knowledge
    assert service is not None
    texting = service.sms_enabled
    for _ in range(max(1, req.ivr.retries)):
        digit = pressed or req.agi.ask(req.prompt("kb-choose" if texting else "kb-choose-no-sms"),
                                       req.timeout_ms(), 1)
        pressed = ""
        if digit == "1":
            heard.outcome = Outcome.SOLVED
            req.agi.set(var.IVR_PATH, "hangup")
            req.agi.play(req.prompt("kb-goodbye"))
            return
        if digit == "2":
            heard.outcome = Outcome.AGENT
            to_agent(req)
            return
        if digit == "3":
            if text_it(req, heard):
                return
            texting = False
        elif digit:
            req.agi.play(INVALID)
    heard.outcome = Outcome.NO_CHOICE
    to_agent(req)


def text_it(req: Request, heard: Heard) -> bool:
    """The short answer by SMS to the calling number: True once queued; else the caller hears why not."""
    service = req.knowledge
    assert service is not None
    if not service.sms_enabled:
        req.agi.play(req.prompt("kb-sms-off"))
        return False
    number = try_e164(req.agi.read(var.CALLER_NUMBER, 80), req.settings.phone.default_region)
    if number is None:
        req.agi.play(req.prompt("kb-sms-refused"))
        return False
    try:
        with req.transaction():
            service.text_it(req.db, req.call(), heard, number)
    except NumberRefused as refused:
        req.later.append(functools.partial(record_refusal, actor=kb.IVR, refused=refused, purpose="ivr_sms"))
        req.agi.play(req.prompt("kb-sms-refused"))
        return False
    heard.outcome = Outcome.SMS
    req.agi.set(var.IVR_PATH, "hangup")
    req.agi.play(req.prompt("kb-sms-sent"))
    return True


def ask_code(req: Request) -> Answer | None:
    """The published article whose number the caller keys, or None after the retries."""
    for _ in range(max(1, req.ivr.retries)):
        typed = req.agi.ask(req.prompt("kb-enter-code"), req.timeout_ms(), MAX_CODE_DIGITS)
        if kb.CODE.match(typed):
            with req.reading():
                found = kb.by_code(req.db, typed, req.language)
            if found is not None:
                return found
        if typed:
            req.agi.play(req.prompt("kb-no-such-article"))
    return None


def _top(req: Request, category: str) -> Answer | None:
    if not category:
        return None
    with req.reading():
        return kb.top(req.db, category, req.language)


def _missed(req: Request, outcome: Outcome, prompt: str) -> None:
    """Nothing to say (a gap in the knowledge base, or no voice): say sorry, note why, on to an agent."""
    req.later.append(functools.partial(kb.missed, pbx=req.pbx, linkedid=req.linkedid, outcome=outcome))
    req.agi.play(req.prompt(prompt))
    to_agent(req)


def to_agent(req: Request) -> None:
    """On to the queue the menu chose (``CC_QUEUE``), as a queue choice of the menu goes."""
    req.agi.set(var.IVR_PATH, "queue")
    queue = req.agi.read(var.QUEUE, 80)
    if _QUEUE.match(queue):
        req.later.append(functools.partial(menu.store_choice, pbx=req.pbx, linkedid=req.linkedid,
                                           choice={}, queue=queue))
