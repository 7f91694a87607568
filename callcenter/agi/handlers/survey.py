"""survey: the caller rates the call 1-5 by DTMF, optionally leaves a comment.

Two ways in: straight after the agent hangs up (callers who agreed in the
menu; the Survey is created here and linked to the call, the agent who
answered and the call's ticket), or an outbound survey call the dispatcher
placed for an existing Survey row (``CC_SURVEY_ID``).  The score is stored
before the comment is recorded, so a caller who hangs up then loses nothing.
"""
from __future__ import annotations

import re

from asterisk.agi import AGIHangup
from sqlalchemy import select

from ...calls.agents import interfaces_by_agent
from ...models import Call, Party, Recording, Survey, SurveyChannel, SurveyStatus, utcnow
from .. import variables as var
from ..request import Request

SCORES = "12345"
COMMENT_KEY = "1"
_INTERFACE = re.compile(r"^[A-Za-z0-9/_.@-]{1,80}$")


def handle(req: Request) -> None:
    survey_id = req.agi.read(var.SURVEY_ID, 20)
    interface = req.agi.read(var.AGENT_INTERFACE, 80)
    score = ask_score(req)
    with req.transaction():
        survey = find_or_create(req, int(survey_id) if survey_id.isdigit() else None,
                                interface if _INTERFACE.match(interface) else None)
        survey.score = score
        survey.status = SurveyStatus.COMPLETED if score else SurveyStatus.DECLINED
        survey.completed_at = utcnow()
        survey_row = survey.id
        if score and req.notifier is not None:
            req.notifier.survey_answered(req.db, survey)
    if score is None:
        req.agi.play("goodbye")
        return
    if req.ivr.survey_comment_seconds > 0:
        record_comment(req, survey_row)
    req.agi.play(req.prompt("survey-thanks"))


def ask_score(req: Request) -> int | None:
    for _ in range(max(1, req.ivr.retries)):
        digit = req.agi.ask(req.prompt("survey-intro"), req.timeout_ms(), 1)
        if digit and digit in SCORES:
            return int(digit)
        if digit:
            req.agi.play("pm-invalid-option")
    return None


def find_or_create(req: Request, survey_id: int | None, interface: str | None) -> Survey:
    """The outbound Survey we called for, else this call's one IVR survey."""
    call = req.call()
    if survey_id is not None:
        placed = req.db.get(Survey, survey_id)
        if placed is not None:
            return placed
    req.db.execute(select(Call.id).where(Call.id == call.id).with_for_update())
    survey = req.db.scalar(
        select(Survey).where(Survey.call_id == call.id, Survey.channel == SurveyChannel.IVR)
    )
    if survey is None:
        survey = Survey(channel=SurveyChannel.IVR, call_id=call.id, customer_id=call.customer_id)
        req.db.add(survey)
    survey.agent_id = _agent(req, interface) or call.agent_id or survey.agent_id
    if call.ticket_id and survey.ticket_id is None and not req.db.scalar(
        select(Survey.id).where(Survey.ticket_id == call.ticket_id)
    ):
        survey.ticket_id = call.ticket_id  # at most one survey per ticket
    req.db.flush()
    return survey


def _agent(req: Request, interface: str | None) -> int | None:
    if interface is None:
        return None
    return interfaces_by_agent(req.db).get(interface)


def record_comment(req: Request, survey_id: int) -> None:
    """Offer a spoken comment; whatever was recorded is kept, even on hang-up."""
    if req.agi.ask(req.prompt("survey-comment"), req.timeout_ms(), 1) != COMMENT_KEY:
        return
    name = f"survey-{req.linkedid}-{survey_id}"
    try:
        req.agi.record_file(f"{req.ivr.pbx_recordings_dir.rstrip('/')}/{name}", "wav", "#",
                            req.ivr.survey_comment_seconds * 1000, 0, "beep", 3)
    except AGIHangup:
        _attach(req, survey_id, f"{name}.wav")
        raise
    _attach(req, survey_id, f"{name}.wav")


def _attach(req: Request, survey_id: int, path: str) -> None:
    local = req.settings.recordings_dir() / path
    with req.transaction():
        survey = req.db.get(Survey, survey_id)
        if survey is None:  # erased meanwhile: the comment has nothing to belong to
            return
        recording = req.db.scalar(select(Recording).where(Recording.path == path))
        if recording is None:
            recording = Recording(call_id=survey.call_id or req.call().id, party=Party.CALLER, path=path, format="wav",
                                  size_bytes=local.stat().st_size if local.exists() else None,
                                  started_at=utcnow())
            req.db.add(recording)
            req.db.flush()
        survey.comment_recording_id = recording.id
