"""Typed SQLAlchemy 2.0 models, one module per step of the call's story."""
from .audit import AuditLog
from .background import BackgroundJob, JobStatus
from .base import Base, utcnow
from .callcontrol import ClickCall, ClickStatus
from .calls import Call, CallLeg, CallStatus, Direction, Disposition, LegKind, Party, Recording
from .conversations import Attachment, Channel, DeliveryState, Message, MessageDirection, Visibility
from .customers import Customer, CustomerPhone, VipTier
from .dispatch import CallbackAttempt, JobRun, SchedulerJob
from .followups import Callback, CallbackSource, CallbackStatus, Survey, SurveyChannel, SurveyStatus
from .people import (
    AgentProfile,
    AgentQueue,
    AgentSkill,
    ApiToken,
    Queue,
    Role,
    Skill,
    Team,
    User,
    WrapupCode,
    WrapupKind,
)
from .pops import OPEN_POP_STATES, DeskPop, PopState
from .presence import AgentPresence, PresenceSpan, PresenceState
from .qa import CallTag, KeywordRule, QAReview, Scorecard
from .signins import SignInFailure
from .tickets import (
    OPEN_STATUSES,
    FormDefinition,
    FormSubmission,
    Priority,
    SubmissionStatus,
    Ticket,
    TicketChange,
    TicketNote,
    TicketStatus,
)
from .transcripts import Transcript, TranscriptStatus

__all__ = [
    "OPEN_POP_STATES",
    "OPEN_STATUSES",
    "AgentPresence",
    "AgentProfile",
    "AgentQueue",
    "AgentSkill",
    "ApiToken",
    "Attachment",
    "AuditLog",
    "BackgroundJob",
    "Base",
    "Call",
    "CallLeg",
    "CallStatus",
    "CallTag",
    "Callback",
    "CallbackAttempt",
    "CallbackSource",
    "CallbackStatus",
    "Channel",
    "ClickCall",
    "ClickStatus",
    "Customer",
    "CustomerPhone",
    "DeliveryState",
    "DeskPop",
    "Direction",
    "Disposition",
    "FormDefinition",
    "FormSubmission",
    "JobRun",
    "JobStatus",
    "KeywordRule",
    "LegKind",
    "Message",
    "MessageDirection",
    "Party",
    "PopState",
    "PresenceSpan",
    "PresenceState",
    "Priority",
    "QAReview",
    "Queue",
    "Recording",
    "Role",
    "SchedulerJob",
    "Scorecard",
    "SignInFailure",
    "Skill",
    "SubmissionStatus",
    "Survey",
    "SurveyChannel",
    "SurveyStatus",
    "Team",
    "Ticket",
    "TicketChange",
    "TicketNote",
    "TicketStatus",
    "Transcript",
    "TranscriptStatus",
    "User",
    "VipTier",
    "Visibility",
    "WrapupCode",
    "WrapupKind",
    "utcnow",
]
