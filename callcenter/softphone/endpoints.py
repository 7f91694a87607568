"""pjsip_webrtc.conf for an Asterisk we do not run (the lab gets its copy from ``pbx up``).

Each endpoint's caller-ID name is the agent's display name when an agent has
that extension, so the far end of a click-to-call or transfer sees who it is.
"""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..models import AgentProfile, User
from ..pbx import webrtc
from .credentials import NoSoftphone

# Not in a caller-ID name: quotes, angle brackets, backslashes, ';' (a config comment), control characters.
UNSAFE = re.compile(r'[<>"\\;\x00-\x1f\x7f]')


def label(name: str) -> str:
    return UNSAFE.sub("", name).strip()[:40]


def callerid_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(AgentProfile.extension, User.display_name, User.username)
                           .join(User, User.id == AgentProfile.user_id)
                           .where(AgentProfile.extension.is_not(None)))
    return {ext: label(name or username) for ext, name, username in rows if ext}


def write_conf(settings: Settings, session: Session, path: Path) -> int:
    """Write the endpoints (mode 0600: it holds passwords); returns how many."""
    if not settings.softphone.enabled:
        raise NoSoftphone("disabled", "the browser softphone is turned off ([softphone] enabled = false)")
    secret = settings.softphone_secret()
    if not secret:
        raise NoSoftphone("not_configured", "set [softphone] secret first: every password derives from it")
    text = webrtc.render(settings.softphone, secret, callerid_names(session))
    path.parent.mkdir(parents=True, exist_ok=True)
    webrtc.write_private(path, text)
    path.chmod(0o600)  # an existing file keeps its old mode through os.open
    return len(settings.softphone.extensions)
