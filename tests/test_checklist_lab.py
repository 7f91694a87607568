"""The checklist's test call, run as the page shows it, against the real lab PBX: the AMI bridge records
the call, answered by the agent whose desk phone is PJSIP/agent1001, and the step ticks itself off."""
from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import select

from callcenter.access.accounts import create_user
from callcenter.db import transaction
from callcenter.models import Call, Disposition
from callcenter.reporting import checklist
from tests.support.sipp import require_tool
from tests.test_ami_lab import _bridge, _writer
from tests.test_lab_pbx import no_agi_server  # noqa: F401 - the dialplan falls back to `support`

pytestmark = pytest.mark.pbx


@pytest.mark.usefixtures("no_agi_server")
def test_the_commands_on_the_page_place_a_call_that_ticks_the_step(lab_pbx, container) -> None:
    for tool in ("sipp", "sox", "bash"):
        require_tool(tool)
    with transaction(container.session_factory) as s:
        agent_id = create_user(s, "lab_agent", "agent", "a-long-password-1", sip_interface=checklist.LAB_PHONE)[0].id
    with container.session_factory() as s:
        assert next(st for st in checklist.steps(s) if st.key == "test_call").done is False
    bridge = _bridge(container, lab_pbx)
    try:
        started = time.time()
        # Exactly the lines the admin copies, then wait for the agent phone sent to the background.
        script = "set -e\n" + "\n".join(checklist.LAB_COMMANDS) + "\nwait\n"
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert _writer(bridge).flush(30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with container.session_factory() as s:
                answered = s.scalars(select(Call).where(Call.agent_id == agent_id,
                                                        Call.disposition == Disposition.ANSWERED)).all()
            if any(c.started_at.timestamp() >= started - 1 for c in answered):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the bridge recorded no answered call of the lab agent")
    finally:
        bridge.stop()
    with container.session_factory() as s:
        assert next(st for st in checklist.steps(s) if st.key == "test_call").done is True
