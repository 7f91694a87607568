"""The one thing the dispatcher needs from a PBX: place a call, learn how it went.

Callbacks and surveys build a ``DialRequest``; a ``Dialer`` places it and
blocks (on the calling job's thread) until the outcome is known or the
wait runs out.  ``UNKNOWN`` means "we cannot tell whether it rang" (the
AMI link dropped): the caller must then NOT dial again.  The production
dialer is ``callcenter.dispatch.ami_dialer.AMIDialer`` over the bridge's safe
actions.
"""
from __future__ import annotations

import enum
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

# A first leg straight to a number ("PJSIP/+15551234567@customer"), and the variable the
# dialplan dials a customer from (agent-first callbacks): both are outside numbers.
_CHANNEL_NUMBER = re.compile(r"^[A-Za-z0-9]+/(\+?[0-9]{3,})(?:@|$)")
NUMBER_VARIABLES = ("CC_CALLBACK_NUMBER",)


class Outcome(str, enum.Enum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    UNKNOWN = "unknown"


# OriginateResponse "Reason" (Asterisk's AST_CONTROL_* codes; 0: could not dial at all).
REASONS = {0: Outcome.FAILED, 1: Outcome.NO_ANSWER, 3: Outcome.NO_ANSWER, 4: Outcome.REACHED,
           5: Outcome.BUSY, 8: Outcome.BUSY}
# Dial()'s DIALSTATUS, as reported by the DialEnd event.
DIAL_STATUS = {"ANSWER": Outcome.REACHED, "NOANSWER": Outcome.NO_ANSWER, "BUSY": Outcome.BUSY,
               "CONGESTION": Outcome.BUSY, "CHANUNAVAIL": Outcome.FAILED,
               "CANCEL": Outcome.FAILED, "DONTCALL": Outcome.FAILED, "TORTURE": Outcome.FAILED,
               "INVALIDARGS": Outcome.FAILED}


@dataclass(frozen=True)
class DialRequest:
    """An Originate, in our terms; the dialer validates every value again."""

    key: str  # idempotency key, e.g. "callback:42:attempt:2"
    channel: str  # first leg: "PJSIP/agent1001" or "PJSIP/+15551234567@customer"
    context: str
    exten: str = "s"
    ring_seconds: int = 30
    variables: dict[str, str] = field(default_factory=dict)
    caller_id: str | None = None
    # Agent-first callbacks: the first leg answering is not the end; wait for
    # the dialplan's Dial() to the customer (DialEnd) to know the outcome.
    follow_dial: bool = False
    # How long to wait for the second leg after the first answered.
    second_leg_seconds: int = 60
    # The PBX to place it through (a callback: the one its call came in on); "" the dispatcher's default.
    pbx: str = ""

    def outside_numbers(self) -> list[str]:
        """Every number outside the centre this Originate would ring, directly or through the dialplan."""
        found = [m.group(1)] if (m := _CHANNEL_NUMBER.match(self.channel)) else []
        return found + [self.variables[v] for v in NUMBER_VARIABLES if self.variables.get(v)]

    @property
    def originate_key(self) -> str:
        """32 hex digits from the idempotency key: the same run always gets the
        same Asterisk channel id, so even a duplicate send could not ring twice."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class DialResult:
    outcome: Outcome
    detail: str = ""
    action_id: str | None = None
    # False when nothing reached Asterisk (link down, value refused): no phone rang.
    sent: bool = True


class Dialer(Protocol):
    def dial(self, request: DialRequest) -> DialResult:
        """Place the call once and wait for its outcome (blocking)."""
        ...  # pragma: no cover

    def close(self) -> None:
        ...  # pragma: no cover


def dial_once(dialer: Dialer | None, request: DialRequest, what: str) -> DialResult:
    """One dial, already claimed: an error from the dialer is an unknown outcome (it may have rung), never
    a reason to dial again."""
    try:
        if dialer is None:
            raise RuntimeError("no dialer")  # the placers hand out no request without one
        return dialer.dial(request)
    except Exception as exc:
        log.exception("%s: dialer error", what)
        return DialResult(Outcome.UNKNOWN, f"dialer error: {exc}")
