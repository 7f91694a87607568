"""Skills the dispatcher matches tickets on (``billing``, ``vip``): created, described, retired, restored.

A skill's code never changes once made: forms, queues, the IVR's
``CC_SKILL`` and past tickets refer to it.  Retiring one offers it to
nobody new; agents who have it keep it, so nothing is lost (restore it to
offer it again).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Skill
from .changes import apply
from .texts import CODE, line


class SkillError(Refusal):
    """A skill change refused, and why."""


def listing(session: Session, active_only: bool = False) -> list[Skill]:
    query = select(Skill).order_by(Skill.name)
    if active_only:
        query = query.where(Skill.is_active)
    return list(session.scalars(query))


def get_skill(session: Session, skill_id: int) -> Skill:
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise SkillError(N_("There is no skill %(id)s."), field="skill", code="not_found", id=skill_id)
    return skill


def by_name(session: Session, name: str) -> Skill:
    skill = session.scalar(select(Skill).where(Skill.name == name.strip().lower()))
    if skill is None:
        raise SkillError(N_("There is no skill %(name)s."), field="skill", code="not_found", name=name.strip()[:40])
    return skill


def _texts(name_zh: str | None, description: str | None) -> dict[str, str]:
    values = {}
    if name_zh is not None:
        zh = line(name_zh, 80)
        if zh is None:
            raise SkillError(N_("A Chinese name is at most 80 characters on one line."), field="name_zh",
                             code="bad_text")
        values["name_zh"] = zh
    if description is not None:
        text = line(description, 200)
        if text is None:
            raise SkillError(N_("A description is at most 200 characters on one line."), field="description",
                             code="bad_text")
        values["description"] = text
    return values


def create_skill(session: Session, name: str, actor: Actor, *, name_zh: str = "", description: str = "") -> Skill:
    code = (name or "").strip().lower()
    if not CODE.match(code):
        raise SkillError(N_("A code is a lower-case letter, then letters, digits or _ (at most 40), such as billing."),
                         field="name", code="bad_code")
    if session.scalar(select(Skill.id).where(Skill.name == code)) is not None:
        raise SkillError(N_("There is already a skill named %(name)s."), field="name", code="taken", name=code)
    skill = Skill(name=code, **_texts(name_zh, description))
    session.add(skill)
    session.flush()
    audit.record(session, "skill_created", actor, object_type="skill", object_id=skill.id, name=code)
    return skill


def edit_skill(session: Session, skill_id: int, actor: Actor, *, name_zh: str | None = None,
               description: str | None = None) -> Skill:
    """Change the Chinese name or the description (None: leave it); old and new audited."""
    skill = get_skill(session, skill_id)
    changes = apply(skill, _texts(name_zh, description))
    if changes:
        audit.record(session, "skill_edited", actor, object_type="skill", object_id=skill.id, name=skill.name,
                     changes=changes)
    return skill


def set_active(session: Session, skill_id: int, active: bool, actor: Actor) -> Skill:
    """Retire (False) or restore (True) a skill."""
    skill = get_skill(session, skill_id)
    if skill.is_active is not active:
        skill.is_active = active
        audit.record(session, "skill_restored" if active else "skill_retired", actor, object_type="skill",
                     object_id=skill.id, name=skill.name)
    return skill
