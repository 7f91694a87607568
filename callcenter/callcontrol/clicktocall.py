"""Click-to-call: the agent's phone rings first, then the customer, exactly once.

As for a callback (``dispatch/placing.py``) the order is what makes it
"exactly once": the request is claimed as a row and committed first (its
idempotency key is unique, and so is "<agent>:<number>" while the call is
live), and only then is the Originate sent, with a key derived from the
row, so its channel is ``cc-<key>`` whatever happens.  A double click, or a
second button for the same live call, gets the first call back.  When the
AMI link drops before Asterisk answered the Originate, it is never sent
again: after the reconnect we look for the channel id (see ``Actions``),
and the row says ``dialling`` (found) or ``unknown`` (the agent decides).
The number passes the dialling policy first; the dialplan (``cc-callback``)
records the call and dials the customer, as for an agent-first callback.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..access import audit
from ..access.audit import Actor
from ..access.dialling import DiallingPolicy, NumberRefused, record_refusal
from ..ami import variables as var
from ..ami.actions import CHANNEL_ID_PREFIX, Actions, OriginateOutcome, OriginateResult
from ..ami.control import Controls
from ..ami.link import LinkDown
from ..calls.numbers import InvalidNumber, to_e164
from ..calls.records import find_call, merge_call
from ..config import Settings
from ..db import insert, transaction
from ..dispatch.callbacks import Callbacks
from ..models import (
    Call,
    Callback,
    CallbackStatus,
    CallStatus,
    ClickCall,
    ClickStatus,
    CustomerPhone,
    Direction,
    Ticket,
    User,
    utcnow,
)
from ..pbx.values import UnsafeValue
from . import phones
from .errors import CallControlError
from .notifier import CallControlNotifier

KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# A click whose call never appeared is over after this long; a call that did, once it ends.
LIVE_HOLD = dt.timedelta(seconds=120)
LIVE_CAP = dt.timedelta(hours=4)


@dataclass(frozen=True)
class Placed:
    click_id: int
    status: str
    call_id: int | None
    phone: str | None
    number: str
    again: bool  # the call of an earlier request (double click, a second button)


@dataclass(frozen=True)
class _Plan:
    click_id: int
    number: str
    ticket_id: int | None
    phones: list[str]
    originate_key: str


class ClickToCall:
    def __init__(self, factory: sessionmaker[Session], controls: Controls, policy: DiallingPolicy,
                 settings: Settings, notifier: CallControlNotifier, callbacks: Callbacks) -> None:
        self.factory, self.controls, self.policy, self.notifier = factory, controls, policy, notifier
        self.callbacks = callbacks
        self.region = settings.phone.default_region
        self.softphone = settings.softphone
        self.ring_seconds = settings.dispatch.callbacks.agent_ring_seconds
        pbxes = settings.pbxes()
        self.pbx = pbxes[0].name if pbxes else ""
        self.context = pbxes[0].callback_context if pbxes else "cc-callback"

    def place(self, actor: Actor, key: str, number: str | None = None, *, ticket_id: int | None = None,
              customer_id: int | None = None, callback_id: int | None = None) -> Placed:
        """Ring the agent, then ``number``; the same ``key`` (or a live call to the number) is one call.

        The view has checked that the actor may see the ticket, customer or
        callback; here the number must belong to it and pass the policy.
        """
        if actor.user_id is None or not KEY.match(key or ""):
            raise CallControlError("bad_request", "a click needs a signed-in agent and a key")
        if not self.pbx:
            raise CallControlError("link_down", "no PBX is configured")
        with transaction(self.factory) as s:
            claimed = self._claim(s, actor, actor.user_id, key, number, ticket_id, customer_id, callback_id)
        if isinstance(claimed, CallControlError):
            raise claimed  # the refusal's audit row is committed
        if isinstance(claimed, Placed):
            return claimed
        phone, outcome, why = self._send(claimed)
        with transaction(self.factory) as s:
            placed = self._finish(s, actor, claimed, phone, outcome, why)
        if placed.status == ClickStatus.FAILED.value:
            raise CallControlError(why, f"the call was not placed ({why})", click_id=placed.click_id)
        return placed

    # -- before the Originate ------------------------------------------------------------
    def _claim(self, s: Session, actor: Actor, user_id: int, key: str, number: str | None,
               ticket_id: int | None, customer_id: int | None,
               callback_id: int | None) -> _Plan | Placed | CallControlError:
        agent = s.get(User, user_id)
        found = phones.phones_of(agent.agent if agent else None, self.softphone)
        if not found:
            return CallControlError("no_phone", "you have no phone: ask an administrator for an extension")
        e164, ticket_id, customer_id = self._target(s, number, ticket_id, customer_id, callback_id)
        refusal = self.policy.check(e164)
        if refusal is not None:
            record_refusal(s, actor, NumberRefused(e164, refusal), "click_to_call")
            return CallControlError("refused", refusal.message, reason=refusal.code)
        idem, slot = f"{user_id}:{key}", f"{user_id}:{e164}"
        earlier = self._earlier(s, idem, slot)
        if earlier is None:
            okey = hashlib.sha256(f"click:{idem}".encode()).hexdigest()[:32]
            now = utcnow()
            click_id = s.execute(insert(s, ClickCall).on_conflict_do_nothing().returning(ClickCall.id), {
                "idempotency_key": idem, "live_slot": slot, "agent_id": user_id, "number": e164,
                "ticket_id": ticket_id, "customer_id": customer_id, "callback_id": callback_id,
                "pbx": self.pbx, "originate_key": okey, "status": ClickStatus.REQUESTED, "detail": "",
                "created_at": now, "updated_at": now}).scalar()
            if click_id is not None:
                return _Plan(click_id, e164, ticket_id, found, okey)
            earlier = self._earlier(s, idem, slot)  # a concurrent request won the claim
            if earlier is None:
                raise CallControlError("failed", "the click could not be claimed; try again")
        audit.record(s, "click_to_call", actor, object_type="click_call", object_id=earlier.id,
                     outcome="same_call", number=e164, ticket_id=earlier.ticket_id)
        return _placed(earlier, again=True)

    def _target(self, s: Session, number: str | None, ticket_id: int | None, customer_id: int | None,
                callback_id: int | None) -> tuple[str, int | None, int | None]:
        """The number and what it is for; it must be the callback's, the customer's or the ticket caller's."""
        if callback_id is not None:
            callback = s.get(Callback, callback_id)
            if callback is None:
                raise CallControlError("unknown_number", "no such callback")
            if callback.status is CallbackStatus.DIALING:
                raise CallControlError("already_dialling", "the dispatcher is calling this number right now")
            return callback.number, ticket_id or callback.ticket_id, callback.customer_id
        try:
            e164 = to_e164(number, self.region)
        except InvalidNumber as exc:
            raise CallControlError("bad_number", f"not a phone number: {exc}") from None
        ticket = s.get(Ticket, ticket_id) if ticket_id is not None else None
        if ticket_id is not None and ticket is None:
            raise CallControlError("unknown_number", "no such ticket")
        customer_id = customer_id or (ticket.customer_id if ticket else None)
        known = set(s.scalars(select(CustomerPhone.number).where(CustomerPhone.customer_id == customer_id))) \
            if customer_id else set()
        if ticket is not None and ticket.origin_call_id:
            known |= set(s.scalars(select(Call.caller_number).where(Call.id == ticket.origin_call_id)))
        if e164 not in known:
            raise CallControlError("unknown_number", "not a number of this ticket or customer")
        return e164, ticket_id, customer_id

    def _earlier(self, s: Session, idem: str, slot: str) -> ClickCall | None:
        """The same request again, or a live call of this agent to this number."""
        same = s.scalar(select(ClickCall).where(ClickCall.idempotency_key == idem))
        if same is not None:
            self._still_live(s, same)
            return same
        live = s.scalar(select(ClickCall).where(ClickCall.live_slot == slot))
        if live is None:
            return None
        if self._still_live(s, live):
            return live
        live.live_slot = None
        s.flush()
        return None

    def _still_live(self, s: Session, click: ClickCall) -> bool:
        """Whether the click's call may still be ringing or talking; links a call the bridge found since."""
        if click.status is ClickStatus.FAILED:
            return False
        call = s.get(Call, click.call_id) if click.call_id else \
            find_call(s, click.pbx, CHANNEL_ID_PREFIX + click.originate_key)
        if call is not None and click.call_id is None:
            click.call_id = call.id
            call.ticket_id = call.ticket_id or click.ticket_id
        age = utcnow() - click.created_at
        if call is not None:
            return call.status is CallStatus.ACTIVE and age < LIVE_CAP
        return age < LIVE_HOLD

    # -- the Originate -------------------------------------------------------------------
    def _send(self, plan: _Plan) -> tuple[str | None, OriginateOutcome, str]:
        """(phone rung, outcome, why); never sends twice."""
        control = self.controls.get(self.pbx)
        chosen: list[str] = []
        variables = {var.CALLBACK_NUMBER: plan.number, var.CLICK_ID: str(plan.click_id)}
        if plan.ticket_id is not None:
            variables[var.TICKET_ID] = str(plan.ticket_id)

        async def work(actions: Actions) -> OriginateResult:
            phone = await phones.free_phone(actions, plan.phones)
            chosen.append(phone)
            return await actions.originate(phone, self.context, "s", variables=variables, caller_id=plan.number,
                                           timeout_s=self.ring_seconds, key=plan.originate_key)
        try:
            result = control.act(work)
        except CallControlError as exc:
            return None, OriginateOutcome.FAILED, exc.code
        except LinkDown:
            return None, OriginateOutcome.FAILED, "link_down"
        except (UnsafeValue, RuntimeError):
            return None, OriginateOutcome.FAILED, "failed"
        except (TimeoutError, ConnectionError):
            if not chosen:
                return None, OriginateOutcome.FAILED, "link_down"
            return chosen[0], self._resolve(plan), "no reply to the Originate"
        if result.outcome is OriginateOutcome.UNKNOWN:
            return chosen[0], self._resolve(plan), result.message
        why = "" if result.outcome is not OriginateOutcome.FAILED else "failed"
        return chosen[0], result.outcome, why

    def _resolve(self, plan: _Plan) -> OriginateOutcome:
        """An Originate without a reply: DIALLED if its channel exists (or the bridge stored it), else UNKNOWN."""
        channel_id = CHANNEL_ID_PREFIX + plan.originate_key

        async def look(actions: Actions) -> bool:
            return any(channel_id in (c.get("Uniqueid"), c.get("Linkedid")) for c in await actions.channels())
        try:
            seen = self.controls.get(self.pbx).act(look)
        except (LinkDown, TimeoutError, ConnectionError):
            seen = False
        if not seen:
            with self.factory() as s:
                seen = find_call(s, self.pbx, channel_id) is not None
        return OriginateOutcome.DIALLED if seen else OriginateOutcome.UNKNOWN

    # -- after it ------------------------------------------------------------------------
    def _finish(self, s: Session, actor: Actor, plan: _Plan, phone: str | None, outcome: OriginateOutcome,
                why: str) -> Placed:
        click = s.get(ClickCall, plan.click_id)
        assert click is not None
        click.phone = phone
        if outcome in (OriginateOutcome.QUEUED, OriginateOutcome.DIALLED):
            click.status, click.sent_at = ClickStatus.DIALLING, utcnow()
            linkedid = CHANNEL_ID_PREFIX + plan.originate_key
            merge_call(s, click.pbx, linkedid, fill={
                "direction": Direction.OUTBOUND, "agent_id": click.agent_id, "caller_number": click.number,
                "customer_id": click.customer_id}, overwrite={"ticket_id": click.ticket_id} if click.ticket_id else {})
            call = find_call(s, click.pbx, linkedid)
            click.call_id = call.id if call is not None else None
            if click.callback_id is not None:  # the dispatcher must not call the customer a second time
                self.callbacks.taken_by_agent(s, click.callback_id, actor,
                                              f"called by {actor.name} from the desk (click-to-call {click.id})")
        elif outcome is OriginateOutcome.UNKNOWN:
            # Never re-sent; the live slot stays for LIVE_HOLD so a second click cannot ring twice meanwhile.
            click.status, click.sent_at = ClickStatus.UNKNOWN, utcnow()
        else:
            click.status, click.live_slot = ClickStatus.FAILED, None
        click.detail = why[:200]
        audit.record(s, "click_to_call", actor, object_type="click_call", object_id=click.id,
                     outcome="ok" if click.status is ClickStatus.DIALLING else click.status.value,
                     number=click.number, ticket_id=click.ticket_id, phone=phone, why=why or None)
        s.flush()
        self.notifier.click_to_call_placed(s, click, actor)
        return _placed(click, again=False)


def _placed(click: ClickCall, again: bool) -> Placed:
    return Placed(click.id, click.status.value, click.call_id, click.phone, click.number, again)
