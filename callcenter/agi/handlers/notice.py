"""notice: an outbound phone notice speaks its text (a solved problem's reply to a caller with only a phone).

``cc-phone-notice`` runs it on the customer's answered channel; the
dispatcher's Originate names the notice (``CC_NOTICE_ID``, digits only).
The text was written by an agent or a template, so it is never sent to
Asterisk: it is spoken into a file named by the notice's id
(``problems/ivr.py``) and only that name is played.  When nothing can be
said (no such notice, no voice) ``CC_NOTICE_PLAYED`` stays unset and the
dialplan plays a general "we have an update" instead.
"""
from __future__ import annotations

import logging
import re

from .. import variables as var
from ..request import Request

log = logging.getLogger(__name__)
_ID = re.compile(r"^[0-9]{1,12}$")


def handle(req: Request) -> None:
    raw = req.agi.read(var.NOTICE_ID, 20)
    line = req.incidents
    if line is None or not _ID.match(raw):
        return
    with req.reading():
        audio = line.spoken_notice(req.db, int(raw))
    if audio is None:
        log.warning("phone notice %s: nothing to speak; the general word is played", raw)
        return
    req.agi.play(req.prompt("notice-intro"))
    req.agi.play(audio)
    req.agi.play(req.prompt("notice-goodbye"))
    req.agi.set(var.NOTICE_PLAYED, "1")
