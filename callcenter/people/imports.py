"""Agents from a CSV file: a dry run that says what each line would do, then that plan applied in one go.

``plan`` only reads: each line is ``create``, ``update``, ``unchanged`` or
``error`` (with every reason, as refusals the reader's language can
word).  ``apply`` plans again inside the caller's transaction and refuses
the whole file while any line has an error, or when the plan is not the
one the admin saw (``digest``: someone changed a user meanwhile); then
every line goes through the same services as a single change would, so
each is audited, and the new users' one-time passwords are returned once.

An empty cell leaves that value as it is (a partial file never wipes
data); a team, skill or queue the file names must exist already (a typo
would otherwise create one).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import accounts, audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Role, Team, User
from . import csvfile, teams, users
from .profile_values import (
    ProfileChange,
    check,
    parse_capacity,
    parse_languages,
    parse_queues,
    parse_seniority,
    parse_skills,
    snapshot,
)
from .profiles import Profiles

ACTIONS = ("create", "update", "unchanged", "error")
# Role names as Chinese offices write them, beside the codes.
ROLE_NAMES = {"坐席": "agent", "主管": "supervisor", "质检": "qa", "管理员": "admin"}


class ImportRefused(Refusal):
    """The file is not imported; ``plan`` says why line by line."""

    def __init__(self, template: str, plan: Plan, code: str) -> None:
        super().__init__(template, field="file", code=code)
        self.plan = plan


@dataclass
class Line:
    number: int
    username: str
    action: str = "unchanged"
    errors: list[Refusal] = field(default_factory=list)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # column -> (old, new)
    account: dict[str, Any] = field(default_factory=dict)  # what the file sets: display_name, email, role, team
    profile: ProfileChange = field(default_factory=ProfileChange)
    user_id: int | None = None
    team_id: int | None = None


@dataclass
class Plan:
    encoding: str
    text: str
    lines: list[Line]

    @property
    def ok(self) -> bool:
        return all(line.action != "error" for line in self.lines)

    def counts(self) -> dict[str, int]:
        return {a: sum(1 for line in self.lines if line.action == a) for a in ACTIONS}

    @property
    def digest(self) -> str:
        """What the admin saw: the file and every line's action and changes."""
        seen = [(ln.number, ln.username, ln.action, sorted((k, repr(v)) for k, v in ln.changes.items()))
                for ln in self.lines]
        return hashlib.sha256(repr((self.text, seen)).encode()).hexdigest()


def preview(session: Session, data: bytes, encoding: str = "auto") -> Plan:
    """Read an uploaded file (CsvError if it cannot be) and plan it; nothing is stored."""
    text, used = csvfile.decode(data, encoding)
    return plan(session, text, used)


def plan(session: Session, text: str, encoding: str = "utf-8") -> Plan:
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a form sends CRLF whatever the file had
    sheet = csvfile.read(text)
    seen: dict[tuple[str, str], int] = {}
    return Plan(encoding, text, [_line(session, number, cells, seen) for number, cells in sheet.rows])


def apply(session: Session, text: str, actor: Actor, profiles: Profiles,
          digest: str | None = None) -> tuple[Plan, dict[str, str]]:
    """Carry out the file's plan in the caller's transaction; the new users' one-time passwords by username."""
    planned = plan(session, text)
    if not planned.ok:
        raise ImportRefused(N_("Some lines have errors: nothing was imported."), planned, "line_errors")
    if digest is not None and digest != planned.digest:
        raise ImportRefused(N_("Users changed since the preview: check the new preview and apply again."),
                            planned, "stale_preview")
    passwords = {}
    for line in planned.lines:
        if line.action == "create":
            passwords[line.username] = _create(session, line, actor, profiles)
        elif line.action == "update":
            _update(session, line, actor, profiles)
    audit.record(session, "agents_imported", actor, object_type="import", object_id=planned.digest[:16],
                 counts=planned.counts())
    return planned, passwords


# -- one line -------------------------------------------------------------------------------
def _line(session: Session, number: int, cells: dict[str, str], seen: dict[tuple[str, str], int]) -> Line:
    line = Line(number, cells.get("username", "")[:80])
    try:
        line.username = accounts.validate_username(line.username)
    except Refusal as exc:
        line.errors.append(exc)
        line.action = "error"
        return line
    _once(seen, line, "username", line.username.lower())
    user = session.scalar(select(User).where(User.username == line.username))
    line.user_id = user.id if user else None
    _account(session, cells, user, line)
    line.profile = _profile_change(cells, line.errors)
    checked = check(session, line.user_id, line.profile)
    line.errors.extend(checked.errors.values())
    for column in ("sip_interface", "extension"):
        if checked.values.get(column):
            _once(seen, line, column, str(checked.values[column]))
    if line.errors:
        line.action = "error"
        return line
    before = {**_account_now(session, user), **snapshot(user.agent if user else None)}
    after = {**before, **line.account, **checked.after(snapshot(user.agent if user else None))}
    line.changes = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
    line.action = "create" if user is None else "update" if line.changes else "unchanged"
    return line


def _once(seen: dict[tuple[str, str], int], line: Line, column: str, value: str) -> None:
    """A username, desk phone or extension appears on one line of the file only."""
    first = seen.setdefault((column, value), line.number)
    if first != line.number:
        line.errors.append(Refusal(N_("%(value)s is already on line %(line)s."), field=column, code="duplicate",
                                   value=value, line=first))


def _account(session: Session, cells: dict[str, str], user: User | None, line: Line) -> None:
    """The account values the file sets (display name, e-mail, role, team), each checked."""
    readers: dict[str, Callable[[str], Any]] = {
        "display_name": users.validate_display_name, "email": users.validate_email,
        "role": lambda v: _role(session, v, user), "team": lambda v: _team(session, v, line)}
    if user is None and not cells.get("role"):
        line.account["role"] = Role.AGENT.value
    for column, read in readers.items():
        if cells.get(column):
            try:
                line.account[column] = read(cells[column])
            except Refusal as exc:
                line.errors.append(exc)


def _role(session: Session, value: str, user: User | None) -> str:
    try:
        role = Role(ROLE_NAMES.get(value.strip(), value.strip().lower()))
    except ValueError:
        raise Refusal(N_("A role is one of agent, supervisor, qa, admin."), field="role", code="bad_role") from None
    if user is not None and user.role is Role.ADMIN and role is not Role.ADMIN \
            and not accounts.keeps_an_admin(session, user):
        raise Refusal(accounts.LAST_ADMIN, field="role", code="last_admin")
    return role.value


def _team(session: Session, value: str, line: Line) -> str:
    team = teams.by_name(session, value)
    line.team_id = team.id
    return team.name


def _profile_change(cells: dict[str, str], errors: list[Refusal]) -> ProfileChange:
    readers: dict[str, Callable[[str], Any]] = {
        "skills": parse_skills, "languages": parse_languages, "capacity": parse_capacity,
        "seniority": parse_seniority, "queues": parse_queues, "sip_interface": str, "extension": str}
    values: dict[str, Any] = {}
    for column, read in readers.items():
        if cells.get(column):
            try:
                values[column] = read(cells[column])
            except Refusal as exc:
                errors.append(exc)
    return ProfileChange(**values)


def _account_now(session: Session, user: User | None) -> dict[str, Any]:
    if user is None:
        return {"display_name": None, "email": None, "role": None, "team": None}
    team = session.get(Team, user.team_id) if user.team_id else None
    return {"display_name": user.display_name, "email": user.email, "role": user.role.value,
            "team": team.name if team else None}


# -- applying -----------------------------------------------------------------------------------
def _create(session: Session, line: Line, actor: Actor, profiles: Profiles) -> str:
    account = line.account
    user, password = users.add_user(session, line.username, account["role"], actor,
                                    display_name=account.get("display_name", ""), email=account.get("email"),
                                    team_id=line.team_id)
    profiles.update(session, user.id, line.profile, actor)
    return password


def _update(session: Session, line: Line, actor: Actor, profiles: Profiles) -> None:
    assert line.user_id is not None
    account = line.account
    users.edit_user(session, line.user_id, actor, display_name=account.get("display_name"),
                    email=account.get("email"))
    if "role" in account:
        accounts.change_role(session, line.user_id, account["role"], actor)
    if line.team_id is not None:
        teams.set_team(session, line.user_id, line.team_id, actor)
    profiles.update(session, line.user_id, line.profile, actor)
