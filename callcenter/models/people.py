"""Who works here: users and their roles, teams, queues, skills, wrap-up codes, agent profiles, API tokens."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, created_at, intpk, str20, str40, str80, str200, str_enum, updated_at


class Role(str, enum.Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    QA = "qa"
    ADMIN = "admin"


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[intpk]
    name: Mapped[str80] = mapped_column(unique=True)
    supervisor_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[created_at]


class User(Base):
    """A person who signs in. Agents also have an AgentProfile."""

    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str80] = mapped_column(unique=True)
    display_name: Mapped[str200] = mapped_column(default="")
    email: Mapped[Optional[str200]]
    role: Mapped[Role] = mapped_column(str_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(256))
    # A first or reset password must be changed at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    language: Mapped[Optional[str20]]
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[Optional[dt.datetime]]
    # Stamped into each web session at sign-in; bumping it ends every session of this user.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    team: Mapped[Optional[Team]] = relationship(foreign_keys=[team_id])
    agent: Mapped[Optional[AgentProfile]] = relationship(back_populates="user")
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", foreign_keys="ApiToken.user_id", cascade="all, delete-orphan", passive_deletes=True)

    # The Flask-Login protocol (is_active is the column above).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(Base):
    """One API token of a user: what it may do (scopes), until when, and whether it was revoked.

    Only the SHA-256 of the secret is kept (the secret is 32 random bytes, so a
    slow hash adds nothing); ``prefix`` lets people tell their tokens apart.
    """

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str80] = mapped_column(default="")
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    prefix: Mapped[str20] = mapped_column(default="")
    # e.g. ["tickets:read", "tickets:write"]; see callcenter.access.scopes.
    scopes: Mapped[list[str]] = mapped_column(default=list)
    expires_at: Mapped[Optional[dt.datetime]]
    revoked_at: Mapped[Optional[dt.datetime]]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(back_populates="api_tokens", foreign_keys=[user_id])


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[intpk]
    name: Mapped[str80] = mapped_column(unique=True)
    description: Mapped[str200] = mapped_column(default="")
    # What Chinese-speaking staff read (the name is the code forms and the IVR refer to).
    name_zh: Mapped[str80] = mapped_column(default="", server_default=text("''"))
    # Retired skills are offered to nobody new; agents and tickets that have one keep it.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())


class Queue(Base):
    """An Asterisk queue, named exactly as in queues.conf (or defined here: ``managed``)."""

    __tablename__ = "queues"

    id: Mapped[intpk]
    name: Mapped[str80] = mapped_column(unique=True)
    display_name: Mapped[str200] = mapped_column(default="")
    display_name_zh: Mapped[str200] = mapped_column(default="", server_default=text("''"))
    language: Mapped[Optional[str20]]
    skill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("skills.id", ondelete="SET NULL"))
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    # Service level: share of calls answered within this many seconds ...
    service_level_seconds: Mapped[int] = mapped_column(default=20)
    # ... and the share (percent) of calls the centre promises to answer that fast.
    service_level_target: Mapped[int] = mapped_column(default=80, server_default="80")
    # Opening hours per weekday ("mon": "09:00-18:00", "" = closed); empty: the centre's ([dispatch.sla]).
    business_hours: Mapped[dict[str, str]] = mapped_column(default=dict)
    # The intake form its calls pop with (a form slug); empty: the form of the call's category.
    default_form: Mapped[Optional[str80]]
    # MixMonitor records its calls; off: no recording (the dialplan asks the IVR).
    recording: Mapped[bool] = mapped_column(default=True, server_default=true())
    # A direct number: calls to this DID go straight to this queue, past the menu.
    did: Mapped[Optional[str40]] = mapped_column(unique=True)
    # Defined in this system (written into Asterisk's generated queue config), not by hand in queues.conf.
    managed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Retired queues keep their history; no call is routed to them.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Supervisors may listen to, coach and barge into this queue's calls; off for privacy.
    monitoring_allowed: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[created_at]


class AgentProfile(Base):
    """What the dispatcher and screen pop need to know about an agent."""

    __tablename__ = "agent_profiles"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # The Asterisk interface whose ringing pops this agent's screen.
    sip_interface: Mapped[Optional[str80]] = mapped_column(unique=True)
    extension: Mapped[Optional[str20]]
    languages: Mapped[list[str]] = mapped_column(default=list)
    # Open tickets this agent can carry before the dispatcher looks elsewhere.
    capacity: Mapped[int] = mapped_column(default=20)
    # 1 = junior ... 5 = senior; VIP and urgent work goes to senior agents first.
    seniority: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    user: Mapped[User] = relationship(back_populates="agent")
    skills: Mapped[list[AgentSkill]] = relationship(cascade="all, delete-orphan")
    queues: Mapped[list[AgentQueue]] = relationship(cascade="all, delete-orphan")


class AgentSkill(Base):
    __tablename__ = "agent_skills"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agent_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, default=1)

    skill: Mapped[Skill] = relationship()


class AgentQueue(Base):
    __tablename__ = "agent_queues"
    __table_args__ = (UniqueConstraint("agent_id", "queue_id"),)

    id: Mapped[intpk]
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent_profiles.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    penalty: Mapped[int] = mapped_column(default=0)

    queue: Mapped[Queue] = relationship()


class WrapupKind(str, enum.Enum):
    TICKET = "ticket"        # how a call that made (or updated) a ticket ended
    NO_TICKET = "no_ticket"  # why a call needed no ticket (wrong number, silent call ...)
    BOTH = "both"


class WrapupCode(Base):
    """One outcome an agent can give a call, from the centre's own list (admin › wrap-up codes)."""

    __tablename__ = "wrapup_codes"

    id: Mapped[intpk]
    code: Mapped[str40] = mapped_column(unique=True)
    label: Mapped[str80]
    label_zh: Mapped[str80] = mapped_column(default="")
    kind: Mapped[WrapupKind] = mapped_column(str_enum(WrapupKind), default=WrapupKind.TICKET)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
