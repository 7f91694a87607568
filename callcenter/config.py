"""One typed settings object, read from a TOML file and CALLCENTER_* overrides.

Precedence (highest first): constructor arguments, environment variables
(``CALLCENTER_WEB__PORT=8000``; nested keys joined by ``__``), the TOML file
named by ``CALLCENTER_CONFIG`` (default ``instance/callcenter.toml`` when it
exists), then the defaults below.  Every setting is listed, commented, in
``config.example.toml``.  Secrets are ``SecretStr`` so they never print.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .channels.settings import ChannelSettings
from .crm.settings import CrmSettings
from .days import clock_time
from .knowledge.settings import KnowledgeSettings
from .problems.settings import ProblemSettings
from .webhooks.settings import WebhookSettings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = Path(os.environ.get("CALLCENTER_INSTANCE", ROOT / "instance"))
DEFAULT_CONFIG = DEFAULT_INSTANCE / "callcenter.toml"
DEFAULT_LAB_DIR = Path(
    os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")
) / "callcenter" / "lab-pbx"


HIDDEN = "***"
# Query parameters that carry a credential (libpq reads ?password=; others put tokens there).
SECRET_PARAMS = {"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_token"}
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_KEYWORD_SECRET = re.compile(r"\b(password|passwd|secret|token)(\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s,;&)]+)", re.I)


def hide_password(url: str) -> str:
    """``url`` safe to print or log: its password and credential query parameters show as ``***``.

    One helper for every URL we show (database, mirrors, error messages); it never raises,
    and a URL it cannot parse is hidden whole rather than printed.
    """
    try:
        parts = urlsplit(url)
        userinfo, at, host = parts.netloc.rpartition("@")  # rpartition: a password may hold '@'
        if at and ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":" + HIDDEN
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
                query = urlencode([(k, HIDDEN if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")
        if userinfo + at + host == parts.netloc and query == parts.query:
            return url  # nothing to hide: the URL exactly as written (sqlite:////abs/path too)
        tail = (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        return f"{parts.scheme}://{userinfo}{at}{host}{parts.path}{tail}"
    except ValueError:
        return f"{url.partition(':')[0]}://{HIDDEN}"


def hide_passwords(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (a log line, an error) with the passwords of URLs in it, ``password=...`` pairs
    (libpq's keyword form) and the given secret values hidden."""
    text = _URL_IN_TEXT.sub(lambda m: hide_password(m.group(0)), text)
    text = _KEYWORD_SECRET.sub(lambda m: m.group(1) + m.group(2) + HIDDEN, text)
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


class _HidesUrls(BaseModel):
    """A section whose repr (and so the Settings' repr) shows its URLs without their passwords."""

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, hide_password(value) if isinstance(value, str) and "://" in value else value


class DatabaseSettings(_HidesUrls):
    """Where calls and tickets live. SQLite is embedded; PostgreSQL scales out."""

    url: str = f"sqlite:///{DEFAULT_INSTANCE / 'callcenter.db'}"
    echo: bool = False
    sqlite_busy_timeout_ms: int = 5000
    pool_size: int = 10


class PBXSettings(BaseModel):
    """One Asterisk server the AMI bridge follows."""

    name: str = "lab"
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "callcenter"
    secret: SecretStr = SecretStr("")
    # Dialplan contexts this system originates into (callbacks, surveys).
    callback_context: str = "cc-callback"
    survey_context: str = "cc-survey-outbound"
    incident_context: str = "cc-incident-notice"
    notice_context: str = "cc-phone-notice"
    # Where the AMI service writes this Asterisk's queues_callcenter.conf (then reloads app_queue), when
    # it runs on that machine; empty: deploy it with `callcenter pbx queues-conf` (the lab's is automatic).
    queues_conf: str = ""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if not v or not v.replace("-", "").replace("_", "").isalnum():
            raise ValueError("PBX name must be letters, digits, '-' or '_'")
        return v


class LabSettings(_HidesUrls):
    """The lab PBX: a real Asterisk 22 in a Debian sid chroot on this machine."""

    enabled: bool = True
    dir: Path = DEFAULT_LAB_DIR
    mirror: str = "http://deb.debian.org/debian"
    boot_timeout: float = 60.0
    # The lab's customer endpoint answers these numbers (fictional +1 555 123 ...);
    # the dialling policy allows them while the lab is enabled.
    customer_prefix: str = "+1555123"
    # More lab Asterisks from the same chroot, each with its own configuration and ports: the n-th
    # (from 1) listens on SIP 5060+100n, AMI 5038+100n and HTTP 8088+100n ("b": 5160, 5138, 8188).
    instances: list[str] = []

    @field_validator("dir", mode="after")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @field_validator("instances")
    @classmethod
    def _plain_names(cls, v: list[str]) -> list[str]:
        for name in v:
            if name == "lab" or not name.isascii() or not name.isalnum() or not name.islower() or len(name) > 20:
                raise ValueError(f"lab instance {name!r}: lower-case letters and digits, not 'lab'")
        if len(set(v)) != len(v):
            raise ValueError("lab instances must differ")
        return v

    def port_offset(self, name: str) -> int:
        """How far this instance's ports sit from the first lab's (0 for "lab")."""
        if name == "lab":
            return 0
        if name not in self.instances:
            raise ValueError(f"no lab instance {name!r}: add it to [lab] instances")
        return 100 * (self.instances.index(name) + 1)


class AGISettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 4573
    max_sessions: int = 256
    header_timeout: float = 5.0
    # A command Asterisk has not answered by then (a dead peer) ends the session.
    command_timeout: float = 300.0
    # Used when the dialplan does not set CC_PBX.
    default_pbx: str = "lab"
    # Write every session (header, commands, answers) here, for fixtures/debugging.
    capture_dir: Path | None = None


class IVROption(BaseModel):
    """What one menu digit does: a [cc-route] path and, for queues, where to."""

    # queue | ticket_status | callback | knowledge (hear the category's top article) | knowledge_code (key
    # an article's number): an extension of [cc-route]; self-service reaches ``queue`` when the caller asks.
    path: str = "queue"
    category: str = ""
    queue: str = ""
    skill: str = ""

    @field_validator("path", "category", "queue", "skill")
    @classmethod
    def _plain(cls, v: str) -> str:
        if v and not v.replace("_", "").replace("-", "").isalnum():
            raise ValueError("menu values must be letters, digits, '-' or '_'")
        return v


def _default_menu() -> dict[str, IVROption]:
    return {
        "1": IVROption(category="support", queue="support", skill="support"),
        "2": IVROption(category="sales", queue="sales", skill="sales"),
        "3": IVROption(category="billing", queue="billing", skill="billing"),
        "4": IVROption(path="ticket_status"),
        "9": IVROption(path="callback"),
    }


class IVRSettings(BaseModel):
    """The caller's menu and what the IVR promises (FastAGI handlers)."""

    menu: dict[str, IVROption] = Field(default_factory=_default_menu)
    retries: int = 3
    # Seconds to wait for a key after a prompt.
    digit_timeout: float = 5.0
    # Where a caller who never presses a key goes.
    default_queue: str = "support"
    # The menu's callback key (path "callback") must match [cc-queue-exit] in the dialplan.
    callback_delay_seconds: int = 120
    # Queue() priority by VIP tier: a higher QUEUE_PRIO is answered first.
    vip_priority: dict[str, int] = Field(
        default_factory=lambda: {"platinum": 10, "gold": 5, "silver": 2}
    )
    languages: list[str] = ["en", "zh"]
    # Ask callers in the menu whether they will rate the call afterwards.
    survey_offer: bool = True
    # After the score, offer to record a spoken comment (seconds, 0 = never).
    survey_comment_seconds: int = 0
    # Where Asterisk writes recordings (the PBX's view of [recordings] dir).
    pbx_recordings_dir: str = "/var/spool/asterisk/monitor"
    fail_context: str = "cc-fail"
    # Queues that keep the centre's hours ([dispatch.sla] business_hours) also tell callers outside
    # them that the centre is closed; a queue with its own hours always does.
    closed_outside_centre_hours: bool = False
    # Numbers the dialplan routes itself ([from-trunk] in extensions.conf): no queue may take one as its DID.
    reserved_numbers: list[str] = ["100", "101"]


# Threads kept for ordinary pages and the API when streams are sized from ``threads``.
STREAM_RESERVED_THREADS = 32


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 5000
    secret_key: SecretStr = SecretStr("")
    session_cookie_secure: bool = False
    # The UI is served over HTTPS (directly or behind a TLS proxy): Secure cookies and HSTS.
    https: bool = False
    # Each open desk or wallboard stream holds a thread: size for your agents + 32.
    threads: int = 256
    # Connections accepted at once (waitress defaults to 100, too few for a floor).
    connection_limit: int = 1024
    # Live streams (desk, wallboard) one user may hold; a newer one ends their oldest.
    max_streams_per_user: int = Field(default=3, ge=1)
    # Live streams in all; 0 = threads minus STREAM_RESERVED_THREADS, so pages always get threads.
    max_streams_total: int = Field(default=0, ge=0)
    # Seconds a refused stream (503) is told to wait before trying again.
    streams_retry_after: int = Field(default=30, ge=1)
    languages: list[str] = ["en", "zh"]
    default_language: str = "en"
    # Reverse proxies in front of the UI that append X-Forwarded-For (and -Proto): that many hops
    # are believed. 0 ignores the headers, which anyone can forge.
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    # A session with no request for this long ends. An hour lets an agent sit through a long call
    # without clicking, yet a desk left signed in over lunch is closed before someone else uses it.
    session_idle_minutes: int = Field(default=60, ge=1)
    # Every session ends this long after sign-in, however busy: one shift plus overtime, so a cookie
    # copied today is useless tomorrow.
    session_lifetime_hours: int = Field(default=12, ge=1)
    # Failed sign-ins counted over this window, in the database (shared by every web process).
    sign_in_window_minutes: int = Field(default=15, ge=1)
    # Failures for one username from one address before it must wait.
    sign_in_failures_per_account: int = Field(default=10, ge=1)
    # Failures from one address, whatever the usernames (password spraying). A whole shift behind
    # one NAT mistyping at 8 o'clock stays well below it.
    sign_in_failures_per_address: int = Field(default=50, ge=1)

    def stream_limit(self) -> int:
        """How many live streams may be open at once."""
        return self.max_streams_total or max(1, self.threads - STREAM_RESERVED_THREADS)


class AMISettings(BaseModel):
    """How the AMI bridge keeps its links to the PBXs and closes calls."""

    connect_timeout: float = 10.0
    # Seconds to wait for any action's reply (Login, Originate, status lists).
    action_timeout: float = 10.0
    # A Ping every keepalive_interval s; no reply within keepalive_timeout s
    # closes the link (half-open links are noticed within their sum).
    keepalive_interval: float = 10.0
    keepalive_timeout: float = 10.0
    # Reconnect after base, 2*base, 4*base ... seconds (with jitter), at most cap.
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    # At start, calls still "active" in the database older than this many hours
    # (on any PBX) are closed as interrupted.
    stale_call_hours: float = 12.0
    # How long to wait after a call for MixMonitor to close its files.
    recording_wait: float = 10.0
    # Calls written per database transaction at most.
    writer_batch: int = 200


class RecordingSettings(BaseModel):
    # Empty means: the lab PBX's /var/spool/asterisk/monitor when the lab runs.
    dir: Path | None = None


class SoftphoneSettings(BaseModel):
    """The browser softphone: one WebRTC endpoint per extension on each Asterisk."""

    enabled: bool = True
    # Extensions with a browser endpoint (webrtc<extension>): agents 1001-1010, supervisors 1901-1902.
    extensions: list[str] = Field(default_factory=lambda: [str(n) for n in (*range(1001, 1011), 1901, 1902)])
    # SIP passwords are HMAC(secret, endpoint): the desk hands each signed-in agent only its own.
    # Empty: the lab's generated secret (softphone_secret.conf beside the AMI secret).
    secret: SecretStr = SecretStr("")
    # Where browsers reach Asterisk's SIP-over-WebSocket; wss:// (a TLS proxy) away from localhost.
    ws_url: str = "ws://127.0.0.1:8088/ws"
    # SIP domain in the agent's URI (sip:webrtc1001@<domain>).
    domain: str = "127.0.0.1"
    # STUN/TURN servers handed to the browser; none are needed on a LAN or loopback.
    ice_servers: list[str] = Field(default_factory=list)
    # The DTLS certificate inside Asterisk (made by `pbx up` in the lab).
    dtls_cert_file: str = "/etc/asterisk/keys/webrtc.crt"
    dtls_private_key: str = "/etc/asterisk/keys/webrtc.key"

    @field_validator("extensions")
    @classmethod
    def _digits(cls, v: list[str]) -> list[str]:
        if any(not (x.isdigit() and 2 <= len(x) <= 8) for x in v):
            raise ValueError("softphone extensions are 2-8 digits")
        return v


class PauseCode(BaseModel):
    """One reason an agent may pause for, with its labels; ``takes_tickets``: the dispatcher still assigns."""

    en: str
    zh: str
    takes_tickets: bool = False


def _default_pause_codes() -> dict[str, PauseCode]:
    return {"lunch": PauseCode(en="Lunch", zh="午餐"),
            "break": PauseCode(en="Break", zh="休息"),
            "training": PauseCode(en="Training", zh="培训"),
            "meeting": PauseCode(en="Meeting", zh="会议"),
            "back_office": PauseCode(en="Back office", zh="后台工作", takes_tickets=True)}


PAUSE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


class PresenceSettings(BaseModel):
    """Agent states from the desk: pause reasons and the wrap-up after each queue call."""

    # Reason codes an agent may pause with (code -> English and Chinese label, still takes tickets?).
    pause_codes: dict[str, PauseCode] = Field(default_factory=_default_pause_codes)
    # Seconds an agent stays out of the queues after a call, unless they submit the form (0: no wrap-up).
    wrapup_seconds: int = Field(default=30, ge=0, le=3600)
    # The Asterisk the desk signs agents in to ("": the first configured PBX).
    pbx: str = ""

    @field_validator("pause_codes")
    @classmethod
    def _codes(cls, v: dict[str, PauseCode]) -> dict[str, PauseCode]:
        bad = [code for code in v if not PAUSE_CODE.match(code)]
        if bad:
            raise ValueError(f"pause codes are 1-20 lowercase letters, digits or _, not {bad}")
        return v


class PhoneSettings(BaseModel):
    # Region for numbers dialled without a country code (ISO 3166 code).
    default_region: str = "US"


# phonenumbers' number types a call centre has no business calling back (toll fraud's favourites).
RISKY_NUMBER_TYPES = ["PREMIUM_RATE", "SHARED_COST", "UAN", "VOIP", "PERSONAL_NUMBER", "PAGER", "VOICEMAIL"]
# Satellite and international-network ranges (+881 Iridium/Globalstar, +882/+883 international networks,
# +870 Inmarsat), and international premium rate and shared cost (+979, +808).
RISKY_PREFIXES = ["+881", "+882", "+883", "+870", "+979", "+808"]


class DiallingSettings(BaseModel):
    """Which numbers we ever call out to: every callback, survey and click-to-call passes this."""

    # ISO 3166 regions we call (empty: only [phone] default_region).
    countries: list[str] = Field(default_factory=list)
    # E.164 prefixes always allowed (a test range, a partner's numbers); deny_prefixes still win.
    allow_prefixes: list[str] = Field(default_factory=list)
    deny_prefixes: list[str] = Field(default_factory=lambda: list(RISKY_PREFIXES))
    deny_types: list[str] = Field(default_factory=lambda: list(RISKY_NUMBER_TYPES))
    # Callbacks booked for one number in one day of the centre (0: no limit).
    max_callbacks_per_number_per_day: int = Field(default=3, ge=0)

    @field_validator("allow_prefixes", "deny_prefixes")
    @classmethod
    def _prefixes(cls, v: list[str]) -> list[str]:
        for prefix in v:
            if not re.fullmatch(r"\+[0-9]{1,14}", prefix):
                raise ValueError(f"{prefix!r}: an E.164 prefix is + and digits")
        return v

    @field_validator("deny_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        known = {"FIXED_LINE", "MOBILE", "FIXED_LINE_OR_MOBILE", "TOLL_FREE", "UNKNOWN", *RISKY_NUMBER_TYPES}
        unknown = set(v) - known
        if unknown:
            raise ValueError(f"unknown number types {sorted(unknown)}; known: {sorted(known)}")
        return v


class TranscribeSettings(BaseModel):
    """Offline transcription with Vosk: which model for which call, and the workers."""

    # Where model folders are looked for by name (empty: <instance_dir>/models).
    models_dir: Path | None = None
    # Language -> model folder; a language without an entry is looked up in models_dir.
    models: dict[str, str] = Field(default_factory=dict)
    # Per-DID and per-queue model folders, used before the caller's language.
    did_models: dict[str, str] = Field(default_factory=dict)
    queue_models: dict[str, str] = Field(default_factory=dict)
    # Used when the call has no language.
    default_language: str = "en"
    # Worker processes per transcriber service (0: one per core); each loads its model(s) once.
    workers: int = Field(default=0, ge=0, le=64)
    # Decode only where each party speaks (webrtcvad), not their whole file: in a two-party call each side is
    # silent while the other talks.  vad_aggressiveness 0 keeps the most audio, 3 the least; vad_padding
    # seconds are kept either side of each stretch of speech so that words at its edges are whole.
    speech_only: bool = True
    vad_aggressiveness: int = Field(default=3, ge=0, le=3)
    vad_padding: float = Field(default=0.3, ge=0.0, le=2.0)
    # The wallboard warns when the oldest call waiting for its transcript has waited this long.
    behind_alert_minutes: float = Field(default=10.0, gt=0)
    # Seconds between queue polls (the fallback when a recording_ready event was missed).
    poll_interval: float = 5.0
    # Transient failures (file not there or not complete yet) are retried this often...
    max_attempts: int = Field(default=4, ge=1)
    # ...after this many seconds, doubled each time.
    retry_delay: float = 30.0
    # A job still "running" after this long is taken to be lost (worker died) and requeued.
    job_timeout: float = 3600.0
    # Recordings larger or longer than this are refused with a clear error.
    max_file_mb: float = 500.0
    max_hours: float = 6.0
    # Order of a stereo recording's channels (MixMonitor's D option: read, then write).
    stereo_channels: list[str] = Field(default_factory=lambda: ["caller", "agent"])
    # Redact Luhn-valid card numbers (13-19 digits, spoken or not).
    redact_cards: bool = True
    # Name -> regular expression, matched on the transcript with number words as digits.
    redact_patterns: dict[str, str] = Field(default_factory=dict)
    # Seconds of audio silenced around each redacted span in the QA copy.
    redact_padding: float = 0.25
    # Where the redacted QA copies of recordings go (empty: <instance_dir>/qa-audio).
    qa_audio_dir: Path | None = None

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


class AssignmentRules(BaseModel):
    """How the dispatcher picks an agent for a ticket (each rule can be tuned)."""

    # A ticket's language must be one of the agent's languages.
    require_language: bool = True
    # Skills (name -> minimum level) a ticket of a category needs, on top of
    # the ticket's own needed skill and its queue's skill.
    category_skills: dict[str, dict[str, int]] = {}
    # The same per channel the ticket came in on (Ticket.source: "wechat" = {"wechat" = 1}),
    # so WeChat tickets go to agents who work WeChat.
    channel_skills: dict[str, dict[str, int]] = {}
    # Open tickets count toward an agent's load with these weights.
    priority_weights: dict[str, float] = {"low": 0.5, "normal": 1.0, "high": 2.0, "urgent": 3.0}
    # Extra load for an agent on a call right now (from the AMI bridge).
    on_call_load: float = 2.0
    # Each skill level above the needed one is worth this much load.
    skill_level_bonus: float = 0.25
    # VIP tiers and priorities that go to senior agents first.
    senior_tiers: list[str] = ["gold", "platinum"]
    senior_priorities: list[str] = ["urgent"]
    # Seniority (1..5) that counts as senior.
    senior_min_seniority: int = 4
    # After this many urgent tickets in a row an agent gets no urgent ones ...
    urgent_streak_limit: int = 3
    # ... for this many minutes after the last one.
    urgent_pause_minutes: int = 30
    # Team that gets tickets nobody matches; then the supervisor (empty: none).
    fallback_team: str = ""
    # Reassign a ticket nobody accepted or touched after this many minutes (0: never).
    accept_timeout_minutes: int = 15


class SLASettings(BaseModel):
    """Promises per priority (and category), counted in business time."""

    # Minutes to first response and to resolution, per priority.
    first_response_minutes: dict[str, int] = {"low": 480, "normal": 240, "high": 60, "urgent": 15}
    resolution_minutes: dict[str, int] = {"low": 4320, "normal": 1440, "high": 480, "urgent": 240}
    # "category:priority" (or "category:*") -> [first response, resolution] minutes.
    overrides: dict[str, list[int]] = {}
    # Opening hours per weekday in settings.timezone; "" = closed.
    business_hours: dict[str, str] = {
        "mon": "09:00-18:00", "tue": "09:00-18:00", "wed": "09:00-18:00",
        "thu": "09:00-18:00", "fri": "09:00-18:00", "sat": "", "sun": "",
    }
    holidays: list[str] = []
    # Priorities whose clock runs around the clock, not in business hours.
    around_the_clock: list[str] = ["urgent"]
    # Warn when this share of the allowed time has passed.
    warn_at_fraction: float = 0.8
    # Escalation steps at a breach, in order: notify, raise_priority, reassign, supervisor.
    escalation: list[str] = ["notify", "raise_priority", "reassign", "supervisor"]
    # Minutes between one escalation step and the next while still breached.
    escalation_interval_minutes: int = 30


class CallbackSettings(BaseModel):
    # "agent_first": ring a reserved agent, then the customer;
    # "customer_queue": ring the customer, then put them first in the queue.
    mode: str = "agent_first"
    queue: str = "support"
    queue_priority: int = 10
    max_attempts: int = 3
    # Seconds to wait before each retry (the last value repeats).
    retry_delays: list[int] = [300, 900, 1800]
    agent_ring_seconds: int = 30
    customer_ring_seconds: int = 45
    # Local time window in which customers may be called.
    calling_hours: str = "09:00-20:00"
    # Promise: call back within this many minutes of the due time.
    sla_minutes: int = 60
    # Offer a callback automatically for calls abandoned in the queue.
    auto_for_abandoned: bool = True
    abandoned_delay_minutes: int = 5
    # No free agent: look again after this many seconds (not an attempt).
    no_agent_retry_seconds: int = 60
    # A callback left DIALING this long (restart, lost AMI link) is closed as failed.
    dialing_timeout_seconds: int = 300


class SurveySettings(BaseModel):
    # Call the customer after the ticket is resolved.
    outbound: bool = True
    delay_minutes: int = 60
    # No survey calls in this local window (wraps past midnight).
    quiet_hours: str = "20:00-09:00"
    ring_seconds: int = 30
    # A survey not placed within this many hours of resolution is dropped.
    expire_hours: int = 72


class SchedulerSettings(BaseModel):
    # Re-read the database for work without a job this often (seconds).
    reconcile_seconds: float = 15.0
    # A standby tries to become the active dispatcher this often (seconds).
    leader_poll_seconds: float = 1.0
    # Threads that run due jobs (a callback holds one while it rings).
    workers: int = 8


class DispatchSettings(BaseModel):
    """The dispatcher: assignment, SLA timers, callbacks and surveys."""

    # "ami": place calls through the PBX named below ("" = the first PBX).
    dialer: str = "ami"
    pbx: str = ""
    # PJSIP endpoint that reaches customers: PJSIP/<E.164 number>@<endpoint>.
    outbound_endpoint: str = "customer"
    assignment: AssignmentRules = Field(default_factory=AssignmentRules)
    sla: SLASettings = Field(default_factory=SLASettings)
    callbacks: CallbackSettings = Field(default_factory=CallbackSettings)
    surveys: SurveySettings = Field(default_factory=SurveySettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)


class RetentionPolicy(BaseModel):
    """How many days to keep each kind of data (0 = keep for ever)."""

    recordings_days: int = Field(default=0, ge=0)
    transcripts_days: int = Field(default=0, ge=0)
    calls_days: int = Field(default=0, ge=0)
    # Messages (e-mail, web, WeChat, SMS) and their files, once their ticket is resolved or closed.
    messages_days: int = Field(default=0, ge=0)


class BackgroundSettings(BaseModel):
    """Long work people ask for (re-applying keyword rules, big exports): the worker service and its bounds."""

    poll_seconds: float = Field(default=1.0, gt=0)
    # A running job whose progress stops this long is taken as lost and queued again.
    heartbeat_timeout_seconds: float = Field(default=300.0, gt=0)
    # Rows (calls, tickets) per short transaction: the AMI writer and the IVR get the database between them.
    batch_size: int = Field(default=200, ge=1, le=10000)
    # An export of more rows than this is made in the background, with progress.
    inline_export_rows: int = Field(default=2000, ge=0)
    # Where finished exports are kept (empty: <instance_dir>/exports).
    exports_dir: str = ""


class ConversationSettings(BaseModel):
    """A ticket's messages on every channel: where their attachments are kept, and how big one may be."""

    # Where attachments are kept, each under its id (empty: <instance_dir>/attachments).
    attachments_dir: str = ""
    # A larger file is not kept: the message is, with a note of the file that was refused.
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # How replies name the centre: {{ centre.name }} in reply templates.
    centre_name: str = Field(default="Customer Service", max_length=200)


class RetentionSettings(BaseModel):
    """Data governance: a default policy and per-queue overrides (by queue name)."""

    default: RetentionPolicy = Field(default_factory=RetentionPolicy)
    queues: dict[str, RetentionPolicy] = Field(default_factory=dict)
    # Local time (HH:MM) the daily purge runs.
    purge_at: str = "03:30"


class SummarySettings(BaseModel):
    """The daily summary e-mailed to supervisors (sent by the active dispatcher)."""

    enabled: bool = False
    # Local time (HH:MM, in ``timezone``) the previous day's summary is sent.
    send_at: str = "07:00"
    # Empty: the centre's timezone (settings.timezone).
    timezone: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout: float = 30.0
    sender: str = "callcenter@localhost"
    # Empty: every active supervisor with an e-mail address, each in their language.
    recipients: list[str] = Field(default_factory=list)
    # Language of the summary sent to the addresses above (en or zh).
    language: str = "en"

    @field_validator("send_at")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        return clock_time(v, "send_at")


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="CALLCENTER_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    instance_dir: Path = DEFAULT_INSTANCE
    log_level: str = "INFO"
    timezone: str = "UTC"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    lab: LabSettings = Field(default_factory=LabSettings)
    # Extra Asterisk servers; when the lab is enabled it is added as "lab".
    pbx: list[PBXSettings] = Field(default_factory=list)
    agi: AGISettings = Field(default_factory=AGISettings)
    ivr: IVRSettings = Field(default_factory=IVRSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)
    ami: AMISettings = Field(default_factory=AMISettings)
    phone: PhoneSettings = Field(default_factory=PhoneSettings)
    softphone: SoftphoneSettings = Field(default_factory=SoftphoneSettings)
    presence: PresenceSettings = Field(default_factory=PresenceSettings)
    dialling: DiallingSettings = Field(default_factory=DiallingSettings)
    transcribe: TranscribeSettings = Field(default_factory=TranscribeSettings)
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    background: BackgroundSettings = Field(default_factory=BackgroundSettings)
    conversations: ConversationSettings = Field(default_factory=ConversationSettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    problems: ProblemSettings = Field(default_factory=ProblemSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    crm: CrmSettings = Field(default_factory=CrmSettings)
    summary: SummarySettings = Field(default_factory=SummarySettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get("CALLCENTER_CONFIG", DEFAULT_CONFIG))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # -- derived values -------------------------------------------------
    @property
    def lab_secret_file(self) -> Path:
        """The lab's AMI secret, written by ``pbx up`` as an Asterisk include."""
        return self.lab.dir / "etc" / "asterisk" / "manager_secret.conf"

    @property
    def lab_softphone_secret_file(self) -> Path:
        """The lab's softphone secret (``pbx up`` makes it; SIP passwords derive from it)."""
        return self.lab.dir / "etc" / "asterisk" / "softphone_secret.conf"

    def softphone_secret(self) -> str:
        """[softphone] secret, or the lab's generated one while the lab is enabled."""
        given = self.softphone.secret.get_secret_value()
        if given or not self.lab.enabled:
            return given
        return read_lab_secret(self.lab_softphone_secret_file)

    def recordings_dir(self) -> Path:
        if self.recordings.dir is not None:
            return self.recordings.dir
        return self.lab.dir / "var" / "spool" / "asterisk" / "monitor"

    def qa_audio_dir(self) -> Path:
        """Where the transcriber writes the redacted QA copies the QA workspace plays."""
        return Path(self.transcribe.qa_audio_dir or self.instance_dir / "qa-audio").expanduser()

    def exports_dir(self) -> Path:
        """Where background exports write their files (served by job id only)."""
        return Path(self.background.exports_dir or self.instance_dir / "exports").expanduser()

    def attachments_dir(self) -> Path:
        """Where messages' attachments are kept (served by id only)."""
        return Path(self.conversations.attachments_dir or self.instance_dir / "attachments").expanduser()

    def pbxes(self) -> list[PBXSettings]:
        """Every Asterisk server to follow, the lab first when enabled."""
        found = list(self.pbx)
        if self.lab.enabled and not any(p.name == "lab" for p in found):
            secret = read_lab_secret(self.lab_secret_file)
            found.insert(0, PBXSettings(name="lab", secret=SecretStr(secret)))
            found += [PBXSettings(name=name, port=5038 + self.lab.port_offset(name), secret=SecretStr(secret))
                      for name in self.lab.instances if not any(p.name == name for p in found)]
        return found

    @field_validator("instance_dir", mode="after")
    @classmethod
    def _expand_instance(cls, v: Path) -> Path:
        return v.expanduser()

    def redacted(self) -> dict[str, Any]:
        """A dump safe to print or log: secrets show as '**********', URLs without their passwords."""
        dumped: dict[str, Any] = _hide_urls(self.model_dump(mode="json"))
        return dumped

    def secret_values(self) -> list[str]:
        """Every secret this installation holds, so log lines and errors can hide them by value: each
        ``SecretStr`` anywhere in the settings (a section added later is covered too), and the database's password."""
        found = [v.get_secret_value() for v in _secret_strs(self)]
        password = urlsplit(self.database.url).password if "://" in self.database.url else None
        return [v for v in [*found, password or ""] if v]


def _secret_strs(value: Any) -> Iterable[SecretStr]:
    if isinstance(value, SecretStr):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_strs(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_strs(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_strs(item)


def _hide_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _hide_urls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide_urls(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return hide_password(value)
    return value


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


def read_lab_secret(path: Path) -> str:
    """Parse ``secret = TOKEN`` from the lab's manager include ('' if absent)."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "secret":
                return value.strip()
    except OSError:
        pass
    return ""
