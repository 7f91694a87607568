"""An admin moves a signed-in agent between queues: the real lab Asterisk follows, no queues.conf edit.

cara signs in at the desk to ``webdesk`` (a desk-managed queue, DID 101);
the admin gives her ``webdesk2`` and takes ``webdesk`` away, then changes
her penalty.  The AMI bridge's presence keeper hears AgentProfileChanged
and Asterisk's own QueueStatus shows the new membership.  With the bridge
down the admin moves her back; a new bridge re-applies from the database
after it connects, the stale membership included.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import pytest

from callcenter.access import accounts
from callcenter.access.audit import Actor
from callcenter.ami.actions import Actions
from callcenter.db import transaction
from callcenter.models import AgentPresence, AgentQueue, Queue, User
from callcenter.people.profile_values import ProfileChange
from callcenter.wiring import Container
from tests.support.lab_fixtures import follow_lab
from tests.support.waiting import wait_for

from .deskdata import PASSWORD
from .support import rows
from .support.services import TEST

pytestmark = pytest.mark.pbx
PHONE = "PJSIP/agent1003"
QUEUES = ("webdesk", "webdesk2")


def memberships(container: Container) -> dict[str, tuple[str, str]]:
    """What Asterisk says now: queue -> (membership, penalty) of cara's phone, in our two queues."""
    found = container.controls.get("lab").act(functools.partial(Actions.queue_members, interface=PHONE))
    return {m["Queue"]: (m.get("Membership", ""), m.get("Penalty", "")) for m in found if m["Queue"] in QUEUES}


def _forget(container: Container) -> None:
    for queue in QUEUES:  # a failed run may have left her in either
        with contextlib.suppress(RuntimeError):
            container.controls.get("lab").act(functools.partial(Actions.queue_remove, queue=queue, interface=PHONE))


@pytest.fixture
def lab(lab_pbx: Any, live_container: Container) -> Iterator[tuple[Container, int]]:
    c = live_container
    follow_lab(c, lab_pbx)
    with transaction(c.session_factory) as s:
        first, second = Queue(name="webdesk"), Queue(name="webdesk2")
        s.add_all([first, second])
        s.flush()
        user, _ = accounts.create_user(s, "cara", "agent", PASSWORD, sip_interface=PHONE)
        assert user.agent is not None
        s.add(AgentQueue(agent_id=user.agent.id, queue_id=first.id))
        cara = user.id
    _forget(c)
    bridge = c.ami()
    bridge.start()
    try:
        wait_for(lambda: bridge.connected(), 30, "the AMI bridge to connect")
        yield c, cara
    finally:
        if bridge.alive():
            bridge.stop()
        _forget(c)


def _queues(c: Container, user_id: int, queues: dict[str, int]) -> None:
    with transaction(c.session_factory) as s:
        c.profiles.update(s, user_id, ProfileChange(queues=queues), TEST)


def test_an_admin_moves_a_signed_in_agent_and_asterisk_follows(lab) -> None:
    from callcenter.ami.bridge import AMIService

    c, cara = lab
    with transaction(c.session_factory) as s:
        c.presence.sign_in(s, Actor.of(rows.row(s, User, cara)), "desk", ["webdesk"])
    assert memberships(c) == {"webdesk": ("dynamic", "0")}

    _queues(c, cara, {"webdesk2": 2})  # webdesk2 added, webdesk taken away
    wait_for(lambda: memberships(c) == {"webdesk2": ("dynamic", "2")}, 15, "Asterisk to follow the admin")
    with c.session_factory() as s:
        assert rows.row(s, AgentPresence, cara).queues == ["webdesk2"]

    _queues(c, cara, {"webdesk2": 5})  # only the penalty
    wait_for(lambda: memberships(c) == {"webdesk2": ("dynamic", "5")}, 15, "the new penalty")

    c.ami().stop()  # nobody follows the PBX while the admin moves her back ...
    _queues(c, cara, {"webdesk": 1})
    assert memberships(c) == {"webdesk2": ("dynamic", "5")}
    again = AMIService(c.settings, c.session_factory, c.bus, presence=c.presence)
    again.start()  # ... a new bridge re-applies the database's queues when it connects
    try:
        wait_for(lambda: memberships(c) == {"webdesk": ("dynamic", "1")}, 20, "the re-apply after the reconnect")
    finally:
        again.stop()
