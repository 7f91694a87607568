"""Self-service through the lab PBX: a real SIPp caller chooses the self-service option, Asterisk plays the
article's short answer (the espeak-ng file our FastAGI server made in the lab's sounds), key 2 rings an
agent's SIPp phone through the billing queue, and the article is noted on the call: the channel variable
the AMI bridge reads for the pop, the call's record, and the ticket filed from the call."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.access.audit import Actor
from callcenter.agi.transcript import Transcript
from callcenter.ami.bridge import AMIService
from callcenter.config import PBXSettings, Settings, read_lab_secret
from callcenter.db import transaction
from callcenter.events import CallRingingAgent
from callcenter.forms import catalog
from callcenter.models import Call, LinkKind, Suggestion, User
from callcenter.pbx.lab import LabPBX
from callcenter.pbx.wav import read_header
from callcenter.wiring import Container
from tests.support.agi_peer import running_server, settled, wait_until
from tests.support.ivr_data import seed
from tests.support.kb_world import Articles, seed_articles
from tests.support.sipp import Agent, Caller, require_tool
from tests.test_agi_lab import SHARED_MEMBER, paused

pytestmark = pytest.mark.pbx

MENU = {"1": {"category": "support", "queue": "support", "skill": "support"},
        "2": {"category": "sales", "queue": "sales", "skill": "sales"},
        "3": {"category": "billing", "queue": "billing", "skill": "billing"},
        "5": {"path": "knowledge", "category": "billing", "queue": "billing", "skill": "billing"}}
BILLING_AGENT = 1004  # PJSIP/agent1004, a SIPp phone on 5094: in the lab's billing queue


@pytest.fixture
def centre(lab_pbx: LabPBX, tmp_path: Path) -> Iterator[tuple[Container, Articles, AMIService, Path]]:
    """Our IVR on the port the lab dialplan calls (the lab's sounds are where answers go), and the AMI bridge."""
    require_tool("sipp")
    captures = Path(os.environ.get("CC_TEST_AGI_CAPTURE") or tmp_path / "captures")
    settings = Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'kb.db'}"},
                        lab={"enabled": True, "dir": lab_pbx.dir}, recordings={"dir": lab_pbx.recordings_dir},
                        agi={"port": 4573, "capture_dir": captures},
                        ivr={"digit_timeout": 3.0, "survey_offer": False, "menu": MENU})
    container = Container(settings)
    migrations.upgrade(container.engine)
    seed(container.session_factory)
    articles = seed_articles(container)
    pbx = PBXSettings(name="lab", secret=read_lab_secret(lab_pbx.settings.lab_secret_file))
    bridge = AMIService(settings, container.session_factory, container.bus, pbxes=[pbx])
    try:
        with running_server(settings, container.session_factory, port=4573,
                            knowledge=container.self_service) as server:
            bridge.start()
            assert wait_until(bridge.connected, 20), "the AMI bridge never logged in"
            yield container, articles, bridge, captures
            settled(server)
    finally:
        bridge.stop()
        container.close()


def test_the_answer_is_played_and_2_reaches_an_agent_with_the_article_noted(centre: Any, lab_pbx: LabPBX,
                                                                             tmp_path: Path) -> None:
    container, arts, bridge, captures = centre
    rung: list[CallRingingAgent] = []
    container.bus.subscribe(CallRingingAgent, lambda message: rung.append(message.event))
    with paused(lab_pbx, "billing", SHARED_MEMBER):
        # "5" (self-service) during the welcome; the answer plays (about 8 s); "2" once it is said.
        caller = Caller(tmp_path, "100", caller_id="2025550143", dtmf=[(1500, "5"), (11000, "2")])
        with Agent(tmp_path, BILLING_AGENT, talk_ms=3000) as agent:
            result = caller.run(timeout=90)
            assert result.ok, str(result)
            answered = agent.wait(20)
        assert answered.ok, f"the billing agent's phone never took the call: {answered}"

    # Asterisk played our file: the knowledge session's STREAM FILE got an end position seconds in.
    [session] = [Transcript.loads(p.read_text()) for p in captures.glob("knowledge-*.agi")]
    played = _played(session)
    name = f"callcenter-kb/{arts.bill[0]}-1-en"
    assert name in played and played[name] >= 3 * 8000, played  # samples at 8 kHz: over 3 s of it heard
    wav = read_header(lab_pbx.path(f"/usr/share/asterisk/sounds/{name}.wav"))
    assert wav is not None and wav.duration is not None and 5 < wav.duration < 30

    # The bridge saw CC_KB_ARTICLE before the agent's phone rang: the pop says which article was heard.
    assert rung and rung[0].ivr.get("article") == arts.bill[1] and rung[0].interface == f"PJSIP/agent{BILLING_AGENT}"
    assert bridge.writer is not None and bridge.writer.flush(30)

    def ended() -> Call | None:
        with container.session_factory() as s:
            call: Call | None = s.scalar(select(Call).where(Call.ended_at.is_not(None)))
            if call is not None:
                s.expunge(call)
            return call

    assert wait_until(lambda: ended() is not None, 30), "the bridge never wrote the call"
    call = ended()
    assert call is not None and call.answered_at is not None and call.queue_name == "billing"
    assert (call.ivr["article"], call.ivr["self_service"]) == (arts.bill[1], "agent")
    with transaction(container.session_factory) as s:
        [heard] = s.scalars(select(Suggestion).where(Suggestion.context == "ivr"))
        assert (heard.article_id, heard.call_id, heard.helpful) == (arts.bill[0], call.id, False)
        # The agent files the pop's form: the ticket notes the article the caller heard.
        catalog.sync_files(s)
        form, agent_user, found = catalog.latest(s, "general"), s.scalar(select(User)), s.get(Call, call.id)
        assert form is not None and agent_user is not None and found is not None
        ticket = container.intake.submit(s, form, found, Actor.of(agent_user),
                                         {"subject": "Bill explained", "priority": "normal"}).ticket
        [(link, _)] = container.suggester.linked(s, ticket.id)
        assert (link.article_id, link.kind) == (arts.bill[0], LinkKind.IVR)


def _played(session: Transcript) -> dict[str, int]:
    """Each file the server asked Asterisk to stream, with the end position Asterisk answered."""
    found: dict[str, int] = {}
    for (who, line), (_, answer) in zip(session.lines, session.lines[1:], strict=False):
        command = re.match(r"^STREAM FILE (\S+) ", line) if who == "server" else None
        position = re.search(r"endpos=(\d+)", answer)
        if command and position:
            found[command.group(1)] = int(position.group(1))
    return found
