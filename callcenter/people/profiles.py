"""Agent profiles: phones, skills with levels, languages, capacity, seniority and queues with penalties.

One audit row per change with each field's old and new value; then
``AgentProfileChanged`` when the transaction commits: the dispatcher reads
the new profile, and the presence keeper in the AMI bridge puts a
signed-in agent's queue membership right in Asterisk.  The agent's
presence row (the queues they are signed in to) is updated here, in the
same transaction, so the database says what Asterisk must follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..models import AgentProfile, AgentQueue, AgentSkill, User
from ..presence import following
from ..presence.service import PresenceService
from .notifier import PeopleNotifier
from .profile_values import Checked, ProfileChange, ProfileError, check, parse_languages, parse_queues, snapshot
from .users import get_user


@dataclass
class Profiles:
    notifier: PeopleNotifier
    presence: PresenceService | None = None

    def update(self, session: Session, user_id: int, change: ProfileChange, actor: Actor) -> dict[str, Any]:
        """Make ``change`` (ProfileError naming every wrong field); returns field -> {old, new} of what changed."""
        user = get_user(session, user_id)
        checked = check(session, user.id, change)
        if checked.errors:
            raise ProfileError(checked.errors)
        before = snapshot(user.agent)
        after = checked.after(before)
        changes = {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}
        if not changes:
            return {}
        _apply(_profile(user), checked)
        session.flush()
        audit.record(session, "agent_profile_changed", actor, object_type="user", object_id=user.id, changes=changes)
        if self.presence is not None and changes.keys() & {"queues", "sip_interface", "extension"}:
            following.follow(self.presence, session, user.id, parse_queues(before["queues"]),
                             parse_queues(after["queues"]), actor)
        self.notifier.profile_changed(session, user.id, sorted(parse_queues(after["queues"])), actor)
        return changes


def _profile(user: User) -> AgentProfile:
    if user.agent is None:
        user.agent = AgentProfile()
    return user.agent


def _apply(profile: AgentProfile, checked: Checked) -> None:
    values = checked.values
    for name in ("sip_interface", "extension", "capacity", "seniority"):
        if name in values:
            setattr(profile, name, values[name])
    if "languages" in values:
        profile.languages = parse_languages(values["languages"])
    if "skills" in values:
        _replace(profile.skills, checked.skills, lambda row: row.skill_id, "level",
                 lambda ident, level: AgentSkill(skill_id=ident, level=level))
    if "queues" in values:
        _replace(profile.queues, checked.queues, lambda row: row.queue_id, "penalty",
                 lambda ident, penalty: AgentQueue(queue_id=ident, penalty=penalty))


def _replace(rows: list[Any], wanted: dict[int, int], key: Any, attr: str, make: Any) -> None:
    """Update in place (a row deleted and added again with the same key would collide), drop, add."""
    for row in list(rows):
        if key(row) in wanted:
            setattr(row, attr, wanted[key(row)])
        else:
            rows.remove(row)
    have = {key(row) for row in rows}
    rows.extend(make(ident, value) for ident, value in wanted.items() if ident not in have)
