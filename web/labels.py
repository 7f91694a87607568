"""Display names for stored codes (translatable; the database keeps the code)."""
from flask_babel import lazy_gettext as _l

ROLES = {"agent": _l("Agent"), "supervisor": _l("Supervisor"), "qa": _l("QA reviewer"), "admin": _l("Administrator")}
STATUSES = {"new": _l("New"), "open": _l("Open"), "pending": _l("Waiting on customer"),
            "resolved": _l("Resolved"), "closed": _l("Closed")}
PRIORITIES = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
TIMELINE = {"ring": _l("Call came in"), "queue": _l("Queued"), "answer": _l("Answered"),
            "transfer": _l("Transferred"), "hangup": _l("Hung up")}
DISPOSITIONS = {"answered": _l("Answered"), "abandoned_queue": _l("Abandoned in queue"),
                "abandoned_ivr": _l("Abandoned in IVR"), "callback_requested": _l("Callback requested"),
                "voicemail": _l("Voicemail"), "no_answer": _l("No answer"), "busy": _l("Busy"),
                "failed": _l("Failed")}
