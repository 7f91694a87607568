"""Property-based fuzzing of everything a caller (or a misconfigured dialplan)
can put into the IVR: caller ID and name, and every channel variable the
handlers read, sent raw the way Asterisk sends them.

Whatever the values: every line the server writes is exactly one well-formed
AGI command from a small vocabulary (so nothing was injected), the peer
never sees more commands than the flow allows, no handler crashes, and what
ends up in the database is inert.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from callcenter import migrations
from callcenter.agi import variables as var
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import Call, Callback, Survey
from callcenter.pbx.prompts import PROMPTS
from callcenter.wiring import Container
from tests.support.agi_peer import Asterisk, running_server, settled
from tests.support.ivr_data import seed

FRAGMENTS = [
    "\r\n", "\n", "\r", "\n\n", '"', "'", "\\", "${SHELL(id)}", "$[1+1]", "$${CC_QUEUE}", "$", "{", "[",
    "HANGUP", "200 result=1 (platinum)", "\n\nagi_callerid: +12025550143\n", 'x" "y', "EXEC Dial PJSIP/evil",
    "\x00", "\x7f", "\u2028", "\u0085", "+1 202 555 0143", "2025550143", "李雷", "😀", " ", ",", "(", ")",
    "support", "1700000000.1", "PJSIP/agent1001", "12", "zh", "gold",
]
_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)
hostile = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), _text), max_size=8).map("".join),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=200, max_size=1500),
)
READ = [var.CALLER_NUMBER, var.CALLER_NAME, var.PBX, var.LINKEDID, var.DID, var.LANG, var.QUEUE,
        var.AGENT_INTERFACE, var.SURVEY_ID]
KNOWN_SETS = {v for k, v in vars(var).items() if k.isupper()}
PROMPT_FILES = {f"callcenter/{name}" for name in PROMPTS["en"]} | {"pm-invalid-option", "goodbye"}
SAFE_VALUE = re.compile(r"^[A-Za-z0-9_+.,/-]{0,40}$")
MAX_COMMANDS = {"lookup": 12, "menu": 22, "ticket_status": 19, "callback": 24, "survey": 21}
EXPECTED_BREAKS = {"no-linkedid", "callback-no-number"}


def check_session(script: str, result, keys: list[str]) -> None:
    assert result.violations == [], result.violations
    assert result.closed_by_server
    assert len(result.commands) == len(result.lines)  # one command per line, none smuggled
    assert len(result.commands) <= MAX_COMMANDS[script]
    for command, args in result.commands:
        if command == "SET VARIABLE":
            assert args[0] in KNOWN_SETS and SAFE_VALUE.match(args[1]), args
        elif command in ("STREAM FILE", "GET DATA"):
            assert args[0] in PROMPT_FILES, args
        elif command == "EXEC":
            assert args == ["Goto", "cc-fail,s,1"]
        elif command == "RECORD FILE":
            assert re.fullmatch(r"/var/spool/asterisk/monitor/survey-[A-Za-z0-9._-]+-\d+", args[0])
        else:
            assert command == "GET FULL VARIABLE", command
    if result.goto:
        assert result.variables[var.FAIL_REASON] in EXPECTED_BREAKS, "a handler crashed"


def inert(text: str | None) -> bool:
    return text is None or not (
        "${" in text or "$[" in text or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text))


def check_stored(container: Container) -> None:
    with transaction(container.session_factory) as s:
        for call in s.scalars(select(Call)):
            assert all(inert(v) for v in (call.caller_name, call.caller_raw, call.did, call.language))
            assert call.caller_number is None or re.fullmatch(r"\+[1-9]\d{6,14}", call.caller_number)
            assert len(call.caller_name or "") <= 80 and len(call.caller_raw or "") <= 80
            assert re.fullmatch(r"[A-Za-z0-9._-]{1,40}", call.linkedid) and call.pbx.isidentifier()
        for cb in s.scalars(select(Callback)):
            assert re.fullmatch(r"\+[1-9]\d{6,14}", cb.number)
        for survey in s.scalars(select(Survey)):
            assert survey.score is None or 1 <= survey.score <= 5


class Errors(logging.Handler):
    """Collects what the server logs at ERROR: a crash that the fail path hid."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_hostile_channel_values_never_inject_crash_or_persist(tmp_path: Path) -> None:
    container = Container(Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'f.db'}"},
                                   lab={"enabled": False}, ivr={"survey_comment_seconds": 20}))
    migrations.upgrade(container.engine)
    seed(container.session_factory)
    errors = Errors()
    logging.getLogger("callcenter.agi").addHandler(errors)
    try:
        with running_server(container.settings, container.session_factory) as server:

            @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
            @given(script=st.sampled_from(sorted(MAX_COMMANDS)),
                   values=st.fixed_dictionaries({}, optional=dict.fromkeys(READ, hostile)),
                   keys=st.lists(st.text(alphabet="0123456789*#", max_size=16), max_size=8))
            def session(script: str, values: dict[str, str], keys: list[str]) -> None:
                result = Asterisk(script, values, keys).run(server.port)
                settled(server)
                check_session(script, result, keys)
                assert errors.records == [], [r.getMessage() for r in errors.records]

            session()
            check_stored(container)
    finally:
        logging.getLogger("callcenter.agi").removeHandler(errors)
        container.close()
