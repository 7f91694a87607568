"""The production dialer: the dispatcher's OWN AMI link, through the bridge's safe actions.

The dispatcher can run as its own process, so it opens its own
``AMIConnection`` (reconnect, keepalive, no resend) and places calls with
``Actions.originate`` (every value validated; a fixed ChannelId per
idempotency key).  The outcome comes from events on that link, matched by
the channel id ``cc-<key>``:

* ``OriginateResponse``: Failure + Reason (0 failed, 1/3 no answer,
  5 busy, 8 congestion) ends it; Success means the first leg answered;
* agent-first callbacks then wait for ``DialEnd`` of that channel (the
  dialplan's Dial() to the customer: ANSWER, NOANSWER, BUSY ...), or its
  ``Hangup`` first (the agent gave up).

A link lost while waiting gives ``UNKNOWN``: the caller never redials.
"""
from __future__ import annotations

import asyncio
import logging

from ..access.dialling import DiallingPolicy
from ..ami.actions import OriginateOutcome
from ..ami.link import CONNECT_WAIT, LinkDown, ThreadedLink
from ..config import AMISettings, PBXSettings
from ..pbx.values import UnsafeValue
from .dialer import DIAL_STATUS, REASONS, DialRequest, DialResult, Outcome

log = logging.getLogger(__name__)
WATCHED = ("OriginateResponse", "DialEnd", "Hangup")
# Hangup causes of a first leg that never answered (Q.850: 17 busy, 18/19 no answer).
HANGUP_CAUSES = {"17": Outcome.BUSY, "18": Outcome.NO_ANSWER, "19": Outcome.NO_ANSWER, "21": Outcome.BUSY}


class AMIDialer(ThreadedLink):
    def __init__(self, pbx: PBXSettings, ami: AMISettings, policy: DiallingPolicy) -> None:
        self.policy = policy
        self._watch: dict[str, asyncio.Queue[dict[str, str]]] = {}
        super().__init__(pbx, ami, "dialer")
        self.listen(self._watched)

    def _watched(self, event: dict[str, str]) -> None:
        if event.get("Event") not in WATCHED:
            return
        queue = self._watch.get(event.get("Uniqueid", ""))
        if queue is not None:
            queue.put_nowait(event)

    # -- placing a call ------------------------------------------------------------------
    def dial(self, request: DialRequest) -> DialResult:
        for number in request.outside_numbers():  # the last gate before Asterisk: whoever built the request
            refusal = self.policy.check(number)
            if refusal is not None:
                log.error("refusing to dial %s (%s): %s", number, request.key, refusal.message)
                return DialResult(Outcome.FAILED, f"dialling policy: {refusal.message}", sent=False)
        limit = CONNECT_WAIT + request.ring_seconds + request.second_leg_seconds + 30
        return self.call(self._dial(request), limit)

    async def _dial(self, req: DialRequest) -> DialResult:
        try:
            await self.wait_ready()
        except LinkDown:
            return DialResult(Outcome.FAILED, f"AMI link to {self.pbx.name} is down; nothing was dialled",
                              sent=False)
        channel_id = f"cc-{req.originate_key}"
        events: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self._watch[channel_id] = events
        session = self.conn.sessions
        try:
            sent = await self.actions.originate(req.channel, req.context, req.exten, variables=req.variables,
                                                caller_id=req.caller_id, timeout_s=req.ring_seconds,
                                                key=req.originate_key)
            action_id = f"cc-orig-{sent.key}"
            if sent.outcome is OriginateOutcome.FAILED:
                return DialResult(Outcome.FAILED, f"Originate refused: {sent.message}", action_id)
            if sent.outcome is OriginateOutcome.UNKNOWN:
                return DialResult(Outcome.UNKNOWN, sent.message, action_id)
            return await self._outcome(req, events, session, action_id)
        except UnsafeValue as exc:
            return DialResult(Outcome.FAILED, f"refused before sending: {exc}", sent=False)
        finally:
            self._watch.pop(channel_id, None)

    async def _next(self, events: asyncio.Queue[dict[str, str]], seconds: float,
                    session: int) -> dict[str, str] | None:
        """The next event of our channel; None if the wait ran out or the link changed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if not self.conn.ready.is_set() or self.conn.sessions != session:
                return None
            try:
                return await asyncio.wait_for(events.get(), min(0.5, deadline - loop.time()))
            except TimeoutError:
                continue
        return None

    async def _outcome(self, req: DialRequest, events: asyncio.Queue[dict[str, str]], session: int,
                       action_id: str) -> DialResult:
        answered, hung = False, None
        wait = req.ring_seconds + 15.0
        while True:
            event = await self._next(events, wait, session)
            if event is None:
                if hung is not None:  # hung up, and OriginateResponse never came
                    return DialResult(HANGUP_CAUSES.get(hung.get("Cause", ""), Outcome.FAILED),
                                      f"first leg hung up (cause {hung.get('Cause', '?')})", action_id)
                why = "AMI link lost" if self.conn.sessions != session or not self.conn.ready.is_set() \
                    else "no answer from Asterisk in time"
                return DialResult(Outcome.UNKNOWN, f"{why} while dialling", action_id)
            kind = event.get("Event")
            if kind == "OriginateResponse" and not answered:
                if event.get("Response") != "Success":
                    reason = event.get("Reason", "0")
                    code = int(reason) if reason.isdigit() else 0
                    return DialResult(REASONS.get(code, Outcome.FAILED), f"first leg: reason {code}", action_id)
                if not req.follow_dial:
                    return DialResult(Outcome.REACHED, "answered", action_id)
                answered, wait = True, float(req.second_leg_seconds)
            elif kind == "DialEnd" and answered:
                status = event.get("DialStatus", "")
                return DialResult(DIAL_STATUS.get(status, Outcome.FAILED), f"agent answered; customer {status}",
                                  action_id)
            elif kind == "Hangup" and answered:
                return DialResult(Outcome.FAILED, "agent hung up before the customer answered", action_id)
            elif kind == "Hangup":
                hung, wait = event, 5.0  # the OriginateResponse with its reason follows


class RoutedDialer:
    """One AMI dialer per PBX: a request goes through the PBX it names (a callback through the one its call
    came in on), else the default; a PBX whose link is down gives way to one that is up, since a callback
    placed elsewhere beats none."""

    def __init__(self, dialers: dict[str, AMIDialer], default: str) -> None:
        self.dialers, self.default = dialers, default

    def dial(self, request: DialRequest) -> DialResult:
        first = request.pbx if request.pbx in self.dialers else self.default
        order = [first, *(name for name in self.dialers if name != first)]
        chosen = next((name for name in order if self.dialers[name].connected()), first)
        if chosen != first:
            log.warning("%s: the AMI link to %s is down; placing it through %s", request.key, first, chosen)
        return self.dialers[chosen].dial(request)

    def close(self) -> None:
        for dialer in self.dialers.values():
            dialer.close()


def for_settings(pbxes: list[PBXSettings], name: str, ami: AMISettings, policy: DiallingPolicy) -> RoutedDialer:
    if name and not any(p.name == name for p in pbxes):
        raise ValueError(f"dispatch.pbx = {name!r}: no such PBX (known: {[p.name for p in pbxes]})")
    return RoutedDialer({p.name: AMIDialer(p, ami, policy) for p in pbxes}, name or pbxes[0].name)

