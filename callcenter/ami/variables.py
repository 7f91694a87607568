"""Which channel variables the bridge reads, and where each lands on the Call.

The IVR's names come from ``callcenter.agi.variables`` (named once there);
the few only the dialplan sets are named here.
"""
from __future__ import annotations

from callcenter.agi import variables as ivr

IVR_SKIPPED = "CC_IVR_SKIPPED"   # the dialplan could not reach our AGI server
RECORDING = "CC_RECORDING"       # MixMonitor base name, set on the agent's channel
MIXMONITOR_FILENAME = "MIXMONITOR_FILENAME"  # set by MixMonitor itself: the mixed file
TICKET_NUMBER = "CC_TICKET_NUMBER"
ORIGINATE_ID = "CC_ORIGINATE_ID"  # idempotency key of an Originate we sent
CLICK_ID = "CC_CLICK_ID"          # the desk's click-to-call request behind an Originate
TICKET_ID = "CC_TICKET_ID"        # the ticket a desk-placed call works on

# variable -> key in Call.ivr (what the caller chose and what the IVR learnt)
IVR_KEYS = {
    ivr.IVR_PATH: "path",
    ivr.CATEGORY: "category",
    ivr.LANG: "language",
    ivr.VIP: "vip",
    ivr.CUSTOMER_ID: "customer_id",
    ivr.CALLBACK_NUMBER: "callback_number",
    ivr.SURVEY_OPTIN: "survey_optin",
    ivr.FAIL_REASON: "fail_reason",
    IVR_SKIPPED: "skipped",
    TICKET_NUMBER: "ticket_number",
    ivr.KB_ARTICLE: "article",
}
DID = ivr.DID
QUEUE = ivr.QUEUE
CALL_ID = ivr.CALL_ID
CALLBACK_NUMBER = ivr.CALLBACK_NUMBER
IVR_PATH = ivr.IVR_PATH
CUSTOMER_ID = ivr.CUSTOMER_ID
LANG = ivr.LANG
