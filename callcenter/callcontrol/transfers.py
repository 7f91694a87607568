"""Transfers from the desk: blind to an agent, a queue or a number; attended to an agent.

The agent's live channel is found with CoreShowChannels (their phone's
interface + "-", in a bridge).  Before the call moves, the ticket the agent
has open is linked to the call, so the receiving agent's pop (the bridge's
ring event for the Dial in ``cc-transfer-agent``) carries it; a transfer to
an agent also hands the ticket over (assigned to them, with the reason in
its history).  An outside number passes the dialling policy first: the
``cc-transfer-out`` context trusts that it did.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..access import audit
from ..access.audit import Actor
from ..access.dialling import DiallingPolicy, NumberRefused, record_refusal
from ..ami.actions import Actions
from ..ami.control import Controls
from ..calls.numbers import InvalidNumber, to_e164
from ..calls.records import find_call
from ..config import Settings
from ..db import transaction
from ..i18n import N_, say_later
from ..models import AgentProfile, Call, Queue, Ticket, User
from ..tickets.service import TicketService
from . import phones
from .errors import CallControlError
from .notifier import CallControlNotifier

T = TypeVar("T")
CONTEXTS = {"agent": "cc-transfer-agent", "queue": "cc-transfer-queue", "number": "cc-transfer-out"}
# Atxfer types its Exten as DTMF, so an attended transfer names the colleague's phone in digits.
CONSULT_CONTEXT = "cc-transfer-consult"
CONSULT_PREFIX = {"agent": "1", "webrtc": "2"}
_ENDPOINT = re.compile(r"^(agent|webrtc)([0-9]{2,8})$")


def consult_exten(endpoint: str) -> str:
    """``agent1002`` -> ``11002``, ``webrtc1002`` -> ``21002`` (see cc-transfer-consult)."""
    found = _ENDPOINT.match(endpoint)
    if found is None:
        raise CallControlError("target_unavailable", f"{endpoint} cannot be consulted from the desk")
    return CONSULT_PREFIX[found.group(1)] + found.group(2)


@dataclass(frozen=True)
class Transferred:
    mode: str       # blind, attended, complete, cancel
    kind: str       # agent, queue, number ("" for complete/cancel)
    target: str     # what the dialplan was given: endpoint, queue or number
    linkedid: str
    call_id: int | None


class Transfers:
    def __init__(self, factory: sessionmaker[Session], controls: Controls, policy: DiallingPolicy,
                 settings: Settings, notifier: CallControlNotifier, tickets: TicketService) -> None:
        self.factory, self.controls, self.policy = factory, controls, policy
        self.notifier, self.tickets = notifier, tickets
        self.region, self.softphone = settings.phone.default_region, settings.softphone
        pbxes = settings.pbxes()
        self.pbx = pbxes[0].name if pbxes else ""

    # -- what the desk asks ------------------------------------------------------------
    def blind(self, actor: Actor, kind: str, target: str, ticket_id: int | None = None) -> Transferred:
        """The caller goes to ``target`` (a user id, a queue name, a number); the agent leaves the call."""
        if kind not in CONTEXTS:
            raise CallControlError("bad_request", f"cannot transfer to a {kind!r}")
        mine = self._my_phones(actor)
        receiver, exten = self._destination(actor, kind, target)
        channel = self._act(lambda a: phones.live_channel(a, mine))
        call_id = self._link(channel["Linkedid"], ticket_id)
        if kind == "agent":
            exten = self._act(lambda a: self._endpoint(a, receiver))

        async def move(a: Actions) -> None:
            await a.blind_transfer(channel["Channel"], CONTEXTS[kind], exten)
        self._act(move)
        return self._done(actor, "blind", kind, exten, channel, call_id, int(target) if receiver else None,
                          ticket_id)

    def attended(self, actor: Actor, agent_id: int, ticket_id: int | None = None) -> Transferred:
        """Consult a colleague while the caller holds; ``complete`` hands the caller over, ``cancel`` returns."""
        mine = self._my_phones(actor)
        receiver, _ = self._destination(actor, "agent", str(agent_id))
        channel = self._act(lambda a: phones.live_channel(a, mine))
        call_id = self._link(channel["Linkedid"], ticket_id)
        exten = self._act(lambda a: self._endpoint(a, receiver))

        async def consult(a: Actions) -> None:
            # The consultation rings the colleague from this channel: its INVITE names the call, so
            # their browser phone knows which pop is its call (the caller ID is this agent's).
            await a.inherit_header(channel["Channel"], "X-CC-Linkedid", channel["Linkedid"])
            await a.attended_transfer(channel["Channel"], CONSULT_CONTEXT, consult_exten(exten))
        self._act(consult)
        return self._done(actor, "attended", "agent", exten, channel, call_id, None, ticket_id)

    def complete(self, actor: Actor, agent_id: int | None = None, ticket_id: int | None = None) -> Transferred:
        """The consulting agent leaves: Asterisk joins the caller and the colleague."""
        mine = self._my_phones(actor)
        channel = self._act(lambda a: phones.live_channel(a, mine))

        async def leave(a: Actions) -> None:
            await a.hangup(channel["Channel"])
        self._act(leave)
        return self._done(actor, "complete", "", "", channel, self._link(channel["Linkedid"], None), agent_id,
                          ticket_id)

    def cancel(self, actor: Actor) -> Transferred:
        """Back to the caller; the colleague's phone stops ringing (or their leg ends)."""
        mine = self._my_phones(actor)
        channel = self._act(lambda a: phones.live_channel(a, mine))

        async def back(a: Actions) -> None:
            await a.cancel_attended_transfer(channel["Channel"])
        self._act(back)
        return self._done(actor, "cancel", "", "", channel, self._link(channel["Linkedid"], None), None, None)

    # -- helpers -------------------------------------------------------------------------
    def _act(self, work: Callable[[Actions], Awaitable[T]]) -> T:
        return phones.act(self.controls, self.pbx, work)

    def _my_phones(self, actor: Actor) -> list[str]:
        if not self.pbx:
            raise CallControlError("link_down", "no PBX is configured")
        with self.factory() as s:
            profile = s.scalar(select(AgentProfile).where(AgentProfile.user_id == actor.user_id))
            found = phones.phones_of(profile, self.softphone)
        if not found:
            raise CallControlError("no_phone", "you have no phone")
        return found

    def _receiver(self, agent_id: int) -> list[str]:
        with self.factory() as s:
            profile = s.scalar(select(AgentProfile).join(User, User.id == AgentProfile.user_id)
                               .where(AgentProfile.user_id == agent_id, User.is_active))
            return phones.phones_of(profile, self.softphone)

    def _destination(self, actor: Actor, kind: str, target: str) -> tuple[list[str], str]:
        """(the receiving agent's phones, the exten for queue/number); the number passes the policy."""
        if kind == "agent":
            found = self._receiver(int(target)) if target.isdigit() and int(target) != actor.user_id else []
            if not found:
                raise CallControlError("unknown_target", "no colleague with a phone by that id")
            return found, ""
        if kind == "queue":
            with self.factory() as s:
                if s.scalar(select(Queue.id).where(Queue.name == target)) is None:
                    raise CallControlError("unknown_target", f"no queue {target!r}")
            return [], target
        try:
            number = to_e164(target, self.region)
        except InvalidNumber:
            raise CallControlError("bad_number", "not a phone number") from None
        refusal = self.policy.check(number)
        if refusal is not None:
            with transaction(self.factory) as s:
                record_refusal(s, actor, NumberRefused(number, refusal), "transfer")
            raise CallControlError("refused", refusal.message, reason=refusal.code)
        return [], number

    async def _endpoint(self, actions: Actions, receiver: list[str]) -> str:
        try:
            phone = await phones.free_phone(actions, receiver)
        except CallControlError as exc:
            raise CallControlError("target_unavailable", f"the colleague's phone cannot ring ({exc.code})") from None
        return phone.removeprefix("PJSIP/")

    def _link(self, linkedid: str, ticket_id: int | None) -> int | None:
        """The call's row id; the ticket the agent has open becomes the call's if it has none."""
        with transaction(self.factory) as s:
            call = find_call(s, self.pbx, linkedid)
            if call is None:
                return None
            if ticket_id is not None and call.ticket_id is None:
                call.ticket_id = ticket_id
            return call.id

    def _done(self, actor: Actor, mode: str, kind: str, target: str, channel: dict[str, str], call_id: int | None,
              receiver_id: int | None, ticket_id: int | None) -> Transferred:
        linkedid = channel.get("Linkedid", "")
        with transaction(self.factory) as s:
            audit.record(s, f"call_transfer_{mode}" if mode in ("complete", "cancel") else "call_transfer", actor,
                         object_type="call", object_id=call_id or linkedid, mode=mode, kind=kind or None,
                         target=target or None, channel=channel.get("Channel"))
            if receiver_id is not None:
                self._hand_over(s, actor, call_id, ticket_id, receiver_id)
            self.notifier.call_transfer_requested(s, self.pbx, linkedid, call_id, mode, kind, target, actor)
        return Transferred(mode, kind, target, linkedid, call_id)

    def _hand_over(self, s: Session, actor: Actor, call_id: int | None, ticket_id: int | None,
                   receiver_id: int) -> None:
        """The ticket follows the call: it is the receiving agent's now."""
        call = s.get(Call, call_id) if call_id else None
        ticket_id = ticket_id or (call.ticket_id if call else None)
        ticket = s.get(Ticket, ticket_id) if ticket_id else None
        if ticket is not None and s.get(User, receiver_id) is not None:
            self.tickets.assign(s, ticket, receiver_id, actor,
                                reason=say_later(N_("call transferred by %(name)s"), name=actor.name))
