"""Supervisor monitoring: listen to, coach (whisper) and barge into an agent's live call.

The supervisor's own phone is rung (their softphone, else their desk
phone) into ``cc-spy-listen``, whose exten is the agent's endpoint
(ChanSpy q E S); changing the mode redirects the supervisor's channel into
``cc-spy-whisper`` or ``cc-spy-barge``, so the phone does not ring again.
A queue whose ``monitoring_allowed`` is off keeps its calls private: the
request is refused (and the refusal audited).  Every step is audited: who
listened to whom, when, in which mode.
"""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..access import audit
from ..access.audit import Actor
from ..ami.actions import Actions, OriginateOutcome
from ..ami.control import Controls
from ..calls.records import find_call
from ..config import Settings
from ..db import transaction
from ..models import AgentProfile, Queue, User
from . import phones
from .errors import CallControlError

T = TypeVar("T")
MODES = ("listen", "whisper", "barge")
SPY_CONTEXT = "cc-spy-{}"


@dataclass(frozen=True)
class Monitoring:
    mode: str
    agent_id: int | None
    endpoint: str          # the agent's endpoint being spied on (agent1001, webrtc1001)
    linkedid: str          # the agent's call
    phone: str | None      # the supervisor's phone that rings (listen) or was redirected


class Monitor:
    def __init__(self, factory: sessionmaker[Session], controls: Controls, settings: Settings) -> None:
        self.factory, self.controls = factory, controls
        self.softphone = settings.softphone
        pbxes = settings.pbxes()
        self.pbx = pbxes[0].name if pbxes else ""

    def listen(self, actor: Actor, agent_id: int) -> Monitoring:
        """Ring the supervisor's phone into a silent ChanSpy on the agent's live call."""
        own, theirs = self._phones(actor.user_id), self._phones(agent_id)
        if not theirs:
            raise CallControlError("unknown_target", "no agent with a phone by that id")
        channel = self._act(lambda a: phones.live_channel(a, theirs))
        endpoint = channel["Channel"].rsplit("-", 1)[0].removeprefix("PJSIP/")
        self._private(actor, channel["Linkedid"], agent_id, "listen")

        async def ring(a: Actions) -> str:
            phone = await phones.free_phone(a, own)
            sent = await a.originate(phone, SPY_CONTEXT.format("listen"), endpoint, key=uuid.uuid4().hex,
                                     timeout_s=30)
            if sent.outcome is OriginateOutcome.FAILED:
                raise CallControlError("failed", f"Originate refused: {sent.message}")
            return phone
        phone = self._act(ring)
        return self._audit(actor, Monitoring("listen", agent_id, endpoint, channel["Linkedid"], phone))

    def switch(self, actor: Actor, mode: str) -> Monitoring:
        """Listen -> whisper -> barge (and back): a Redirect of the supervisor's spying channel."""
        if mode not in MODES:
            raise CallControlError("bad_request", f"no monitoring mode {mode!r}")
        own = self._phones(actor.user_id)
        spying = self._act(lambda a: self._spying(a, own))
        endpoint = spying["Exten"]
        agent_id, linkedid = self._agent_call(endpoint)
        self._private(actor, linkedid, agent_id, mode)

        async def redirect(a: Actions) -> None:
            await a.redirect(spying["Channel"], SPY_CONTEXT.format(mode), endpoint)
        self._act(redirect)
        return self._audit(actor, Monitoring(mode, agent_id, endpoint, linkedid, spying["Channel"]))

    def stop(self, actor: Actor) -> Monitoring:
        own = self._phones(actor.user_id)
        spying = self._act(lambda a: self._spying(a, own))

        async def hang_up(a: Actions) -> None:
            await a.hangup(spying["Channel"])
        self._act(hang_up)
        agent_id, linkedid = self._agent_call(spying["Exten"])
        return self._audit(actor, Monitoring("stop", agent_id, spying["Exten"], linkedid, spying["Channel"]))

    # -- helpers -------------------------------------------------------------------------
    def _act(self, work: Callable[[Actions], Awaitable[T]]) -> T:
        return phones.act(self.controls, self.pbx, work)

    def _phones(self, user_id: int | None) -> list[str]:
        if not self.pbx:
            raise CallControlError("link_down", "no PBX is configured")
        with self.factory() as s:
            profile = s.scalar(select(AgentProfile).join(User, User.id == AgentProfile.user_id)
                               .where(AgentProfile.user_id == user_id, User.is_active))
            return phones.phones_of(profile, self.softphone)

    @staticmethod
    async def _spying(actions: Actions, own: list[str]) -> dict[str, str]:
        """The supervisor's channel now in a cc-spy-* context (what Originate/Redirect put there)."""
        prefixes = tuple(p + "-" for p in own)
        for channel in await actions.channels():
            if channel.get("Channel", "").startswith(prefixes) and channel.get("Context", "").startswith("cc-spy-"):
                return channel
        raise CallControlError("not_monitoring", "you are not listening to a call")

    def _agent_call(self, endpoint: str) -> tuple[int | None, str]:
        """The agent behind an endpoint and the Linkedid of their live call ("" if none)."""
        interface = f"PJSIP/{endpoint}"
        with self.factory() as s:
            extension = endpoint.removeprefix("webrtc")
            agent_id = s.scalar(select(AgentProfile.user_id).where(
                (AgentProfile.sip_interface == interface) | (AgentProfile.extension == extension)))
        try:
            channel = self._act(lambda a: phones.live_channel(a, [interface]))
        except CallControlError:
            return agent_id, ""
        return agent_id, channel.get("Linkedid", "")

    def _private(self, actor: Actor, linkedid: str, agent_id: int | None, mode: str) -> None:
        """Refuse (and audit) monitoring a call in a queue that keeps its calls private."""
        with transaction(self.factory) as s:
            call = find_call(s, self.pbx, linkedid) if linkedid else None
            queue = s.scalar(select(Queue).where(Queue.name == call.queue_name)) if call and call.queue_name else None
            if queue is None or queue.monitoring_allowed:
                return
            audit.denied(s, actor, "call", call.id if call else linkedid, action="monitor_refused", mode=mode,
                         agent_id=agent_id, queue=queue.name)
        raise CallControlError("private_queue", f"monitoring is turned off for queue {queue.name}")

    def _audit(self, actor: Actor, done: Monitoring) -> Monitoring:
        with transaction(self.factory) as s:
            call = find_call(s, self.pbx, done.linkedid) if done.linkedid else None
            audit.record(s, f"monitor_{done.mode}", actor, object_type="call",
                         object_id=call.id if call else done.linkedid or None, agent_id=done.agent_id,
                         endpoint=done.endpoint, phone=done.phone, mode=done.mode)
        return done


def set_monitoring(session: Session, actor: Actor, queue_name: str, allowed: bool) -> Queue:
    """Turn monitoring of a queue's calls on or off (privacy), audited with the old value."""
    queue = session.scalar(select(Queue).where(Queue.name == queue_name))
    if queue is None:
        raise CallControlError("unknown_target", f"no queue {queue_name!r}")
    before, queue.monitoring_allowed = queue.monitoring_allowed, allowed
    audit.record(session, "queue_monitoring", actor, object_type="queue", object_id=queue.id, queue=queue.name,
                 old=before, new=allowed)
    return queue
