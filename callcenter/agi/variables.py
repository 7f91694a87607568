"""Every channel variable the IVR reads or sets, named once (wazo-agid's
dialplan_variables.py).  asterisk-conf/extensions.conf uses the same names."""
from __future__ import annotations

# -- read: set by Asterisk or by the dialplan before the AGI runs ------------
PBX = "CC_PBX"  # [globals] name of this Asterisk, stored on every Call
LINKEDID = "CHANNEL(linkedid)"  # one Call row per linkedid
CALLER_NUMBER = "CALLERID(num)"  # untrusted
CALLER_NAME = "CALLERID(name)"  # untrusted
DID = "CC_DID"  # the number the caller dialled
AGENT_INTERFACE = "MEMBERINTERFACE"  # Queue() sets it (setinterfacevar): who answered
SURVEY_ID = "CC_SURVEY_ID"  # an outbound survey call placed for this Survey row

# -- set by lookup --------------------------------------------------------------
CUSTOMER_ID = "CC_CUSTOMER_ID"
VIP = "CC_VIP"  # none / silver / gold / platinum
QUEUE_PRIO = "QUEUE_PRIO"  # Asterisk's Queue() reads it: higher waits less
OPEN_TICKETS = "CC_OPEN_TICKETS"
LANG = "CC_LANG"  # "en" / "zh": picks the prompt set
CHANNEL_LANGUAGE = "CHANNEL(language)"
# Not set by the IVR: the row is written after the AGI returns, so the
# caller never waits on it. Find the call by (CC_PBX, linkedid) instead.
CALL_ID = "CC_CALL_ID"

# -- set by menu --------------------------------------------------------------------
IVR_PATH = "CC_IVR_PATH"  # an extension of [cc-route]: queue, ticket_status, callback, knowledge, hangup ...
QUEUE = "CC_QUEUE"
CATEGORY = "CC_CATEGORY"
SKILL = "CC_SKILL"
SURVEY_OPTIN = "CC_SURVEY_OPTIN"  # "1" when the caller agreed to rate the call

# -- set by queue (in [cc-queue], before Queue()) ---------------------------------------
QUEUE_CLOSED = "CC_QUEUE_CLOSED"  # "1": outside the queue's hours; the dialplan offers a callback instead
# "0": the queue's calls are not recorded.  The leading _ makes the agent's channel inherit it, where
# cc-record-agent reads ${CC_RECORD}; unset (our AGI server away) means recorded, as before.
RECORD = "_CC_RECORD"

# -- set by knowledge (self-service) --------------------------------------------------
# The code of the article the caller heard ("1003"): the AMI bridge copies it into Call.ivr["article"],
# so the pop says so and the call's ticket notes the article.
KB_ARTICLE = "CC_KB_ARTICLE"

# -- set by incident -----------------------------------------------------------------
# The incidents this caller has heard ("4,7"), so the menu's second offer never repeats one.
INCIDENTS_HEARD = "CC_INCIDENTS_HEARD"

# -- read and set by notice (an outbound phone notice: dispatch/notices.py) ------------------
NOTICE_ID = "CC_NOTICE_ID"  # set by the dispatcher's Originate
NOTICE_PLAYED = "CC_NOTICE_PLAYED"  # "1": the text was spoken; else the dialplan plays a general word

# -- set by ticket_status ------------------------------------------------------------
TICKET_NUMBER = "CC_TICKET_NUMBER"
TICKET_STATUS = "CC_TICKET_STATUS"  # a TicketStatus value, or "unknown"

# -- set by callback ------------------------------------------------------------------
CALLBACK_NUMBER = "CC_CALLBACK_NUMBER"
CALLBACK_ID = "CC_CALLBACK_ID"

# -- set when a handler gives up ------------------------------------------------------
FAIL_REASON = "CC_FAIL_REASON"
