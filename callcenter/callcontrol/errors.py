"""Why the desk could not act on a call, as a code the pages word in the user's language."""
from __future__ import annotations

from typing import Any

# code -> HTTP status the desk answers with
STATUS = {
    "bad_request": 400,       # a malformed request (no key)
    "bad_number": 422,        # not a phone number
    "refused": 422,           # the dialling policy refuses the number
    "unknown_number": 422,    # not a number of this ticket, customer or callback
    "no_phone": 409,          # the agent has neither a softphone nor a desk phone
    "phone_unregistered": 409,  # the agent's phone is not reachable (not registered)
    "phone_busy": 409,        # the agent's phone is already ringing or on a call
    "unknown_target": 422,    # no such colleague (with a phone) or queue
    "target_unavailable": 409,  # the colleague's phone cannot ring now
    "already_dialling": 409,  # the dispatcher is calling this callback's number right now
    "no_call": 409,           # the agent has no live call to transfer or monitor
    "private_queue": 403,     # monitoring is turned off for the call's queue
    "not_monitoring": 409,    # no listening session of this supervisor to switch
    "link_down": 503,         # the AMI link to the PBX is down: nothing was sent
    "failed": 502,            # Asterisk refused the action
}


class CallControlError(Exception):
    def __init__(self, code: str, message: str, **facts: Any) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown call control error {code!r}")
        super().__init__(message)
        self.code, self.message, self.facts = code, message, facts

    @property
    def status(self) -> int:
        return STATUS[self.code]
