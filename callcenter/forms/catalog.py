"""Form definitions: TOML files under forms/definitions, versioned in the database.

A file whose content changed becomes a new version; tickets keep the
version they were filed with.  Admins can also save a new version from the
UI (``save_version``), which wins over the file until the file changes.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..models import FormDefinition
from .schema import NAME, FormSpec

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
# New versions loaded from the shipped files are by this actor.
FILES = Actor.system("form-files")


class FormDefinitionError(ValueError):
    pass


def parse(text: str) -> FormSpec:
    """TOML text -> a validated FormSpec, or FormDefinitionError with the reason."""
    try:
        data = tomllib.loads(text)
        if "wrapup_codes" in data:
            raise FormDefinitionError("wrapup_codes: wrap-up codes are the centre's own list (Admin › Wrap-up codes), "
                                      "not part of a form")
        return FormSpec.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise FormDefinitionError(f"not valid TOML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FormDefinitionError(f"{where}: {first['msg']}") from exc


def _digest(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()


def latest(session: Session, slug: str) -> FormDefinition | None:
    if not NAME.match(slug):  # slugs come from URLs and request bodies: no query for what cannot be one
        return None
    return session.scalar(select(FormDefinition).where(FormDefinition.slug == slug)
                          .order_by(FormDefinition.version.desc()).limit(1))


def save_version(session: Session, spec: FormSpec, actor: Actor, *, source: str = "ui") -> FormDefinition:
    """Store ``spec`` as the next version of its slug (audited), unless it is unchanged."""
    schema = spec.model_dump(mode="json")
    current = latest(session, spec.slug)
    if current is not None and _digest(current.schema) == _digest(schema):
        return current
    version = (session.scalar(select(func.max(FormDefinition.version))
                              .where(FormDefinition.slug == spec.slug)) or 0) + 1
    if current is not None:
        current.is_active = False
    row = FormDefinition(slug=spec.slug, version=version, title=spec.title, category=spec.category,
                         schema=schema, is_active=True, created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, "form_changed", actor, object_type="form", object_id=spec.slug, version=version,
                 source=source)
    return row


def sync_files(session: Session, directory: Path = DEFINITIONS) -> list[FormDefinition]:
    """Load every *.toml form file; a changed file becomes a new version."""
    rows = []
    for path in sorted(directory.glob("*.toml")):
        try:
            spec = parse(path.read_text(encoding="utf-8"))
        except FormDefinitionError as exc:
            raise FormDefinitionError(f"{path.name}: {exc}") from exc
        rows.append(save_version(session, spec, FILES, source=path.name))
    return rows


def to_toml(definition: FormDefinition) -> str:
    """The definition as editable TOML (TOML has no null: unset values are left out)."""
    import tomli_w

    return tomli_w.dumps(spec_of(definition).model_dump(mode="json", exclude_none=True))


def spec_of(definition: FormDefinition) -> FormSpec:
    return FormSpec.model_validate(definition.schema)


def active_forms(session: Session) -> list[FormDefinition]:
    return list(session.scalars(select(FormDefinition).where(FormDefinition.is_active)
                                .order_by(FormDefinition.slug)))


def form_for_category(session: Session, category: str | None) -> FormDefinition | None:
    """The active form of a call's category, falling back to 'general'."""
    forms = {f.category: f for f in active_forms(session)}
    return forms.get(category or "") or forms.get("general") or next(iter(forms.values()), None)
