"""An agent profile's values as people type them ("support:3;billing:1", "en;zh", "support;sales:2"), checked.

The admin pages, the API, the command line and the CSV import all turn
their input into one ``ProfileChange``; ``check`` then resolves it against
the database (skills and queues exist, phones are nobody else's) and says
what is wrong with each field, so every entry point refuses the same
values with the same words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.accounts import validate_extension, validate_sip_interface
from ..i18n import N_, Refusal
from ..models import AgentProfile, Queue, Skill
from .users import LANGUAGES

LEVELS = (1, 5)       # skill level and seniority: 1 = beginner ... 5 = expert
PENALTIES = (0, 99)   # Asterisk's member penalty: higher rings later
CAPACITY = (0, 500)   # open tickets the dispatcher may give the agent
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SEPARATORS = re.compile(r"[;,\s]+")


class ProfileError(Refusal):
    """Some values of a profile refused; ``errors`` holds each field's refusal (the message is the first's)."""

    def __init__(self, errors: dict[str, Refusal]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first.template, field=first.field, code=first.code, **first.params)
        self.errors = errors


@dataclass(frozen=True)
class ProfileChange:
    """What to change in a profile; None leaves a value as it is ("" clears a phone, {} or [] empties a list)."""

    sip_interface: str | None = None
    extension: str | None = None
    skills: dict[str, int] | None = None
    languages: list[str] | None = None
    capacity: int | None = None
    seniority: int | None = None
    queues: dict[str, int] | None = None


@dataclass
class Checked:
    """A change resolved against the database: the values to store, and what was wrong (field -> refusal)."""

    values: dict[str, Any] = field(default_factory=dict)
    skills: dict[int, int] = field(default_factory=dict)   # skill id -> level
    queues: dict[int, int] = field(default_factory=dict)   # queue id -> penalty
    errors: dict[str, Refusal] = field(default_factory=dict)

    def after(self, before: dict[str, Any]) -> dict[str, Any]:
        """The profile's ``snapshot`` once the change is made."""
        return {**before, **self.values}


# Each field's words, so that every message is translated whole (the values are filled in after).
_NAME_WRONG = {"skills": N_("%(item)s is not a skill code such as support."),
               "queues": N_("%(item)s is not a queue name such as support.")}
_NUMBER_WRONG = {"skills": N_("The level of %(name)s is a whole number from %(lo)s to %(hi)s."),
                 "queues": N_("The penalty of %(name)s is a whole number from %(lo)s to %(hi)s."),
                 "capacity": N_("Capacity is a whole number from %(lo)s to %(hi)s."),
                 "seniority": N_("Seniority is a whole number from %(lo)s to %(hi)s.")}
_UNKNOWN = {"skills": N_("Unknown skills: %(names)s."), "queues": N_("Unknown queues: %(names)s.")}


def parse_levels(text: str, what: str, default: int, bounds: tuple[int, int]) -> dict[str, int]:
    """"support:3;billing:1" -> {"support": 3, "billing": 1}; a name alone gets ``default``."""
    found: dict[str, int] = {}
    for item in filter(None, _SEPARATORS.split(text.strip())):
        name, _, level = item.partition(":")
        name = name.strip().lower()
        if not _CODE.match(name):
            raise Refusal(_NAME_WRONG[what], field=what, code="bad_name", item=item[:40])
        level = level.strip()
        found[name] = _number(level, what, bounds, name) if level else default
    return found


def _number(text: str, what: str, bounds: tuple[int, int], name: str = "") -> int:
    if not (text.isascii() and text.isdigit() and bounds[0] <= int(text) <= bounds[1]):
        raise Refusal(_NUMBER_WRONG[what], field=what, code="bad_number", name=name, lo=bounds[0], hi=bounds[1])
    return int(text)


def parse_skills(text: str) -> dict[str, int]:
    return parse_levels(text, "skills", LEVELS[0], LEVELS)


def parse_queues(text: str) -> dict[str, int]:
    return parse_levels(text, "queues", PENALTIES[0], PENALTIES)


def parse_languages(text: str) -> list[str]:
    return [w.lower() for w in filter(None, _SEPARATORS.split(text.strip()))]


def parse_capacity(text: str) -> int:
    return _number(text.strip(), "capacity", CAPACITY)


def parse_seniority(text: str) -> int:
    return _number(text.strip(), "seniority", LEVELS)


def format_levels(levels: dict[str, int], default: int) -> str:
    """The other way round; a level equal to ``default`` is left out ("support;sales:2")."""
    return ";".join(name if level == default else f"{name}:{level}" for name, level in sorted(levels.items()))


def snapshot(profile: AgentProfile | None) -> dict[str, Any]:
    """A profile as comparable, readable values (audit rows' old and new, the CSV preview)."""
    if profile is None:
        return {"sip_interface": None, "extension": None, "skills": "", "languages": "", "capacity": 20,
                "seniority": 1, "queues": ""}
    return {"sip_interface": profile.sip_interface, "extension": profile.extension,
            "skills": format_levels({s.skill.name: s.level for s in profile.skills}, LEVELS[0]),
            "languages": ";".join(profile.languages or []), "capacity": profile.capacity,
            "seniority": profile.seniority,
            "queues": format_levels({q.queue.name: q.penalty for q in profile.queues}, PENALTIES[0])}


def check(session: Session, user_id: int | None, change: ProfileChange) -> Checked:
    """Resolve and check every value given; nothing is written."""
    out = Checked()
    _guard(out, "sip_interface", change.sip_interface, lambda v: validate_sip_interface(session, v, user_id))
    _guard(out, "extension", change.extension, lambda v: validate_extension(session, v, user_id))
    _guard(out, "languages", change.languages, lambda v: ";".join(_languages(v)))
    _guard(out, "capacity", change.capacity, lambda v: _bounded(v, "capacity", CAPACITY))
    _guard(out, "seniority", change.seniority, lambda v: _bounded(v, "seniority", LEVELS))
    profile = session.scalar(select(AgentProfile).where(AgentProfile.user_id == user_id)) if user_id else None
    skills = {s.skill.name for s in profile.skills} if profile else set()
    queues = {q.queue.name for q in profile.queues} if profile else set()
    _guard(out, "skills", change.skills, lambda v: _skills(session, skills, v, out))
    _guard(out, "queues", change.queues, lambda v: _queues(session, queues, v, out))
    return out


def _guard(out: Checked, name: str, value: Any, check: Any) -> None:
    if value is None:
        return
    try:
        out.values[name] = check(value)
    except Refusal as exc:
        out.errors[name] = exc


def _bounded(value: int, what: str, bounds: tuple[int, int], name: str = "") -> int:
    if not bounds[0] <= value <= bounds[1]:
        raise Refusal(_NUMBER_WRONG[what], field=what, code="bad_number", name=name, lo=bounds[0], hi=bounds[1])
    return value


def _languages(values: list[str]) -> list[str]:
    wrong = [v for v in values if v not in LANGUAGES]
    if wrong:
        raise Refusal(N_("%(wrong)s is not one of the languages %(choices)s."), field="languages",
                      code="bad_language", wrong=", ".join(wrong)[:40], choices=", ".join(LANGUAGES))
    return list(dict.fromkeys(values))


def _skills(session: Session, held: set[str], wanted: dict[str, int], out: Checked) -> str:
    rows = _usable(session, Skill, wanted, held, "skills")
    for name, level in wanted.items():
        out.skills[rows[name]] = _bounded(level, "skills", LEVELS, name)
    return format_levels(wanted, LEVELS[0])


def _queues(session: Session, held: set[str], wanted: dict[str, int], out: Checked) -> str:
    rows = _usable(session, Queue, wanted, held, "queues")
    for name, penalty in wanted.items():
        out.queues[rows[name]] = _bounded(penalty, "queues", PENALTIES, name)
    return format_levels(wanted, PENALTIES[0])


def _usable(session: Session, model: type[Skill] | type[Queue], names: dict[str, int], held: set[str],
            what: str) -> dict[str, int]:
    """Name -> id of each named skill (or queue); a retired one only if the agent has it already."""
    rows = session.execute(select(model.name, model.id, model.is_active).where(model.name.in_(names))).all()
    usable = {name: ident for name, ident, active in rows if active or name in held}
    unknown = [name for name in names if name not in usable]
    if unknown:
        raise Refusal(_UNKNOWN[what], field=what, code=f"unknown_{what[:-1]}", names=", ".join(unknown)[:80])
    return usable
