"""The agent profile form of the user's page: phones, skills with levels, languages, capacity, seniority, queues.

The form sends every value (a skill's level or none, each queue ticked
with its penalty); ``change`` makes it one ``ProfileChange`` for the same
service the API, the command line and the CSV import use.  A refused form
comes back with what was typed (``posted``) and a message at each wrong field.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from callcenter.i18n import Refusal
from callcenter.models import Queue, Skill, User
from callcenter.people import profile_values as values
from callcenter.people.profile_values import ProfileChange, ProfileError


def current(db: Session, user: User) -> dict[str, Any]:
    """The profile as the form shows it."""
    now = values.snapshot(user.agent)
    return {"sip_interface": now["sip_interface"] or "", "extension": now["extension"] or "",
            "skills": {k: str(v) for k, v in values.parse_skills(now["skills"]).items()},
            "queues": {k: str(v) for k, v in values.parse_queues(now["queues"]).items()},
            "languages": values.parse_languages(now["languages"]), "capacity": str(now["capacity"]),
            "seniority": str(now["seniority"])}


def posted(form: MultiDict[str, str]) -> dict[str, Any]:
    """What the admin typed, in the same shape (shown again when refused)."""
    return {"sip_interface": form.get("sip_interface", "")[:80], "extension": form.get("extension", "")[:20],
            "skills": {k[6:]: v[:3] for k, v in form.items() if k.startswith("skill_") and v},
            "queues": {q[:80]: form.get(f"penalty_{q}", "")[:3] or "0" for q in form.getlist("queues")},
            "languages": form.getlist("languages"), "capacity": form.get("capacity", "")[:6],
            "seniority": form.get("seniority", "")[:3]}


def choices(db: Session, user: User) -> dict[str, list[Any]]:
    """Skills and queues to offer: the active ones, and the retired ones this agent still has."""
    held = current(db, user)
    skills = db.scalars(select(Skill).where(Skill.is_active | Skill.name.in_(held["skills"])).order_by(Skill.name))
    queues = db.scalars(select(Queue).where(Queue.is_active | Queue.name.in_(held["queues"])).order_by(Queue.name))
    return {"skills": list(skills), "queues": list(queues), "levels": list(range(1, 6))}


def change(db: Session, user_id: int, typed: dict[str, Any]) -> ProfileChange:
    """The typed form as a change, each value read by the same parsers as the CSV and the command line;
    ProfileError names every wrong field (the numbers' and the rest's, such as a phone someone else has)."""
    errors: dict[str, Refusal] = {}
    read: dict[str, Any] = {}
    texts = {"skills": ";".join(f"{k}:{v}" for k, v in typed["skills"].items()),
             "queues": ";".join(f"{k}:{v}" for k, v in typed["queues"].items()),
             "capacity": typed["capacity"], "seniority": typed["seniority"]}
    parsers = {"skills": values.parse_skills, "queues": values.parse_queues, "capacity": values.parse_capacity,
               "seniority": values.parse_seniority}
    for name, parse in parsers.items():
        try:
            read[name] = parse(texts[name])
        except Refusal as exc:
            errors[name] = exc
    found = ProfileChange(sip_interface=typed["sip_interface"], extension=typed["extension"],
                          languages=typed["languages"], **read)
    if errors:
        raise ProfileError({**values.check(db, user_id, found).errors, **errors})
    return found
