"""Form definitions: TOML files under forms/definitions, versioned in the database.

A file whose content changed becomes a new version; tickets keep the
version they were filed with.  Admins can also save a new version from the
UI (``editing``), which wins over the file until the file changes.  Each
version keeps the text it was written as, comments and all.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Call, FormDefinition, Queue
from .checks import Problem, check
from .schema import NAME, FormSpec

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
# New versions loaded from the shipped files are by this actor.
FILES = Actor.system("form-files")


class FormDefinitionError(Refusal):
    """A definition that does not hold; ``problems`` says what is wrong on which line."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(N_("Line %(line)s: %(problem)s"), field="definition", code="invalid_form",
                         line=first.line, problem=str(first.refusal))
        self.problems = problems


def parse(text: str, *, slug: str | None = None, editor: bool = False) -> FormSpec:
    """TOML text -> a validated FormSpec, or FormDefinitionError with every problem (``checks.check``)."""
    checked = check(text, slug=slug, editor=editor)
    if checked.spec is None:
        raise FormDefinitionError(checked.problems)
    return checked.spec


def _digest(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()


def latest(session: Session, slug: str) -> FormDefinition | None:
    if not NAME.match(slug):  # slugs come from URLs and request bodies: no query for what cannot be one
        return None
    return session.scalar(select(FormDefinition).where(FormDefinition.slug == slug)
                          .order_by(FormDefinition.version.desc()).limit(1))


def save_version(session: Session, spec: FormSpec, actor: Actor, *, source: str = "ui", text: str | None = None,
                 action: str = "form_changed") -> FormDefinition:
    """Store ``spec`` (written as ``text``) as the next version of its slug, audited, unless nothing changed.

    The new version is active unless an admin deactivated the form: that choice outlives edits.
    """
    schema = spec.model_dump(mode="json")
    current = latest(session, spec.slug)
    if current is not None and _digest(current.schema) == _digest(schema):
        if current.source is None:  # stored before texts were kept: the same form, now with its text
            current.source = text
        if current.source == text:
            return current
    version = (session.scalar(select(func.max(FormDefinition.version))
                              .where(FormDefinition.slug == spec.slug)) or 0) + 1
    active = True if current is None else current.is_active
    if current is not None:
        current.is_active = False
    row = FormDefinition(slug=spec.slug, version=version, title=spec.title, category=spec.category,
                         schema=schema, source=text, is_active=active, created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, action, actor, object_type="form", object_id=spec.slug, version=version, source=source)
    return row


def sync_files(session: Session, directory: Path = DEFINITIONS) -> list[FormDefinition]:
    """Load every *.toml form file; a changed file becomes a new version."""
    rows = []
    for path in sorted(directory.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        try:
            spec = parse(text)
        except FormDefinitionError as exc:
            raise ValueError(f"{path.name}: {exc}") from exc
        rows.append(save_version(session, spec, FILES, source=path.name, text=text))
    return rows


def to_toml(definition: FormDefinition) -> str:
    """The definition as editable TOML: the text it was written as, or one made from its schema
    (defaults left out; TOML has no null; wrap-up codes are no longer a form's)."""
    if definition.source is not None:
        return definition.source
    import tomli_w

    data = spec_of(definition).model_dump(mode="json", exclude_defaults=True)
    data.pop("wrapup_codes", None)
    return tomli_w.dumps(data)


def spec_of(definition: FormDefinition) -> FormSpec:
    return FormSpec.model_validate(definition.schema)


def every_form(session: Session) -> list[FormDefinition]:
    """The latest version of every form, active or not."""
    newest = (select(FormDefinition.slug, func.max(FormDefinition.version).label("version"))
              .group_by(FormDefinition.slug).subquery())
    return list(session.scalars(select(FormDefinition).join(
        newest, (FormDefinition.slug == newest.c.slug) & (FormDefinition.version == newest.c.version))
        .order_by(FormDefinition.slug)))


def active_forms(session: Session) -> list[FormDefinition]:
    return list(session.scalars(select(FormDefinition).where(FormDefinition.is_active)
                                .order_by(FormDefinition.slug)))


def form_for_category(session: Session, category: str | None) -> FormDefinition | None:
    """The active form of a call's category, falling back to 'general'."""
    forms = {f.category: f for f in active_forms(session)}
    return forms.get(category or "") or forms.get("general") or next(iter(forms.values()), None)


def form_for_call(session: Session, call: Call, hint: str | None = None) -> FormDefinition | None:
    """The form a call pops: its queue's default form (admin › queues) when it has an active one, else
    its category's.  ``hint`` is what the ringing desk knew before the call's row did (category or queue)."""
    queue_name = call.queue_name or hint
    queue = (session.get(Queue, call.queue_id) if call.queue_id else
             session.scalar(select(Queue).where(Queue.name == queue_name)) if queue_name else None)
    if queue is not None and queue.default_form:
        found = latest(session, queue.default_form)
        if found is not None and found.is_active:
            return found
    return form_for_category(session, (call.ivr or {}).get("category") or call.queue_name or hint)
