"""Why the desk could not act on a call, as a code the pages word in the user's language."""
from __future__ import annotations

from typing import Any

from ..access.dialling import POLICY
from ..i18n import N_, Refusal

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


# What the desk tells the agent for each code (``web.messages.refusal``), in their language.
SAID = {
    "bad_request": N_("This button is out of date: reload the page and try again."),
    "bad_number": N_("That is not a phone number."),
    "refused": N_("The dialling policy does not allow this number."),
    "unknown_number": N_("That number does not belong to this ticket, customer or callback."),
    "no_phone": N_("You have no phone yet: ask an administrator for an extension."),
    "phone_unregistered": N_("Your phone is not registered: open the softphone, or check your desk phone."),
    "phone_busy": N_("Your phone is busy: finish your current call first."),
    "unknown_target": N_("There is no such colleague or queue."),
    "target_unavailable": N_("Your colleague's phone cannot ring now (not registered or busy)."),
    "already_dialling": N_("The dispatcher is calling this number right now."),
    "no_call": N_("You are not on a call."),
    "private_queue": N_("Monitoring is turned off for this queue."),
    "not_monitoring": N_("You are not listening to a call."),
    "link_down": N_("The phone system cannot be reached right now; nothing was dialled. Try again in a moment."),
    "failed": N_("The phone system refused the call."),
}


class CallControlError(Refusal):
    """``str()`` is the technical English (logs, CLI); ``template`` what the agent reads, by ``code``
    (a refused number: the dialling policy's own reason, ``facts["reason"]``)."""

    def __init__(self, code: str, message: str, **facts: Any) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown call control error {code!r}")
        said = POLICY.get(str(facts.get("reason"))) if code == "refused" else None
        super().__init__(said or SAID[code], code=code)
        self.args = (message,)
        self.message, self.facts = message, facts

    @property
    def status(self) -> int:
        return STATUS[self.code]
