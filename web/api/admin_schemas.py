"""API shapes of the centre's people: users, teams, agent profiles, skills and wrap-up codes (admins only).

The ranges here are the services' own (``callcenter.people``), so the
OpenAPI document tells a client what the server takes; the services still
check everything (a skill must exist, a phone must be nobody else's).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from callcenter.i18n import N_
from callcenter.models import AgentProfile, Skill, Team, User, WrapupCode
from callcenter.people.profile_values import CAPACITY, LEVELS, PENALTIES, parse_queues, snapshot

from .schemas import STRICT, Id, Text

RoleName = Literal["agent", "supervisor", "qa", "admin"]
Language = Literal["en", "zh"]
CodeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Username = Annotated[str, StringConstraints(min_length=2, max_length=80, pattern=r"^[\w.@-]+$")]
Level = Annotated[int, Field(ge=LEVELS[0], le=LEVELS[1])]
Penalty = Annotated[int, Field(ge=PENALTIES[0], le=PENALTIES[1])]
Phone = Annotated[Text, Field(max_length=80)]
Extension = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,8}$")]


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    language: str | None
    team_id: int | None
    is_active: bool
    must_change_password: bool
    last_login_at: dt.datetime | None
    sip_interface: str | None
    extension: str | None

    @classmethod
    def of(cls, u: User) -> UserOut:
        agent = u.agent
        return cls(id=u.id, username=u.username, display_name=u.display_name, email=u.email, role=u.role.value,
                   language=u.language, team_id=u.team_id, is_active=u.is_active,
                   must_change_password=u.must_change_password, last_login_at=u.last_login_at,
                   sip_interface=agent.sip_interface if agent else None, extension=agent.extension if agent else None)


class UserCreatedOut(UserOut):
    one_time_password: str = Field(description=N_("Shown once: the user chooses their own at first sign-in"))


class UserIn(BaseModel):
    model_config = STRICT
    username: Username
    role: RoleName = "agent"
    display_name: Text = Field(default="", max_length=200)
    email: Text | None = Field(default=None, max_length=200)
    language: Language | None = None
    team_id: Id | None = None
    sip_interface: Phone | None = None
    extension: Extension | None = None


class UserPatch(BaseModel):
    """Only the fields sent change; ``team_id: null`` takes the user out of their team."""

    model_config = STRICT
    display_name: Text | None = Field(default=None, max_length=200)
    email: Text | None = Field(default=None, max_length=200, description=N_("An empty text removes it"))
    language: Language | Literal[""] | None = Field(
        default=None, description=N_("An empty text: the language of their browser"))
    role: RoleName | None = None
    active: bool | None = None
    team_id: Id | None = None


class TeamOut(BaseModel):
    id: int
    name: str
    supervisor_id: int | None
    members: list[int]
    created_at: dt.datetime

    @classmethod
    def of(cls, t: Team, members: list[User]) -> TeamOut:
        return cls(id=t.id, name=t.name, supervisor_id=t.supervisor_id, members=[m.id for m in members],
                   created_at=t.created_at)


class TeamIn(BaseModel):
    model_config = STRICT
    name: Text = Field(min_length=1, max_length=80)
    supervisor_id: Id | None = None
    members: list[Id] = Field(default_factory=list, max_length=1000)


class TeamPatch(BaseModel):
    """Only the fields sent change; ``members`` is the whole list (the others leave the team)."""

    model_config = STRICT
    name: Text | None = Field(default=None, min_length=1, max_length=80)
    supervisor_id: Id | None = None
    members: list[Id] | None = Field(default=None, max_length=1000)


class ProfileOut(BaseModel):
    user_id: int
    sip_interface: str | None
    extension: str | None
    skills: dict[str, int] = Field(description=N_("Skill code -> level (1-5)"))
    languages: list[str]
    capacity: int
    seniority: int
    queues: dict[str, int] = Field(description=N_("Queue name -> penalty (0-99)"))

    @classmethod
    def of(cls, user_id: int, profile: AgentProfile | None) -> ProfileOut:
        now = snapshot(profile)
        return cls(user_id=user_id, sip_interface=now["sip_interface"], extension=now["extension"],
                   skills={s.skill.name: s.level for s in profile.skills} if profile else {},
                   languages=list(profile.languages or []) if profile else [], capacity=now["capacity"],
                   seniority=now["seniority"], queues=parse_queues(now["queues"]))


class ProfileIn(BaseModel):
    """The whole profile (PUT): what is left out is emptied or set to its default."""

    model_config = STRICT
    sip_interface: Phone | None = None
    extension: Extension | None = None
    skills: dict[CodeName, Level] = Field(default_factory=dict, max_length=100)
    languages: list[Language] = Field(default_factory=list, max_length=2)
    capacity: int = Field(default=20, ge=CAPACITY[0], le=CAPACITY[1])
    seniority: Level = 1
    queues: dict[CodeName, Penalty] = Field(default_factory=dict, max_length=100)


class SkillOut(BaseModel):
    id: int
    name: str
    name_zh: str
    description: str
    is_active: bool

    @classmethod
    def of(cls, s: Skill) -> SkillOut:
        return cls(id=s.id, name=s.name, name_zh=s.name_zh, description=s.description, is_active=s.is_active)


class SkillIn(BaseModel):
    model_config = STRICT
    name: CodeName
    name_zh: Text = Field(default="", max_length=80)
    description: Text = Field(default="", max_length=200)


class SkillPatch(BaseModel):
    model_config = STRICT
    name_zh: Text | None = Field(default=None, max_length=80)
    description: Text | None = Field(default=None, max_length=200)
    active: bool | None = None


class WrapupOut(BaseModel):
    id: int
    code: str
    label: str
    label_zh: str
    kind: str
    position: int
    is_active: bool

    @classmethod
    def of(cls, w: WrapupCode) -> WrapupOut:
        return cls(id=w.id, code=w.code, label=w.label, label_zh=w.label_zh, kind=w.kind.value, position=w.position,
                   is_active=w.is_active)


Kind = Literal["ticket", "no_ticket", "both"]


class WrapupIn(BaseModel):
    model_config = STRICT
    code: CodeName
    label: Text = Field(min_length=1, max_length=80)
    label_zh: Text = Field(default="", max_length=80)
    kind: Kind = "ticket"


class WrapupPatch(BaseModel):
    model_config = STRICT
    label: Text | None = Field(default=None, min_length=1, max_length=80)
    label_zh: Text | None = Field(default=None, max_length=80)
    kind: Kind | None = None
    active: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10000, description=N_("0 = first"))

