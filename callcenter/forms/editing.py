"""What an admin does to forms from the editor: save a new version, create a form, take one out of use.

Every change is audited.  A saved version must pass the schema and the
editor's own rules (``checks``); tickets keep the version they were filed with.
"""
from __future__ import annotations

from pathlib import Path

import tomli_w
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import FormDefinition
from . import catalog
from .schema import NAME, SLUG_RULE

STARTER = "starter"  # the template a new form starts from unless it copies another form
STARTER_TEXT = Path(__file__).resolve().parent / "starter.toml"


class FormNotFound(Refusal):
    def __init__(self, slug: str) -> None:
        super().__init__(N_("There is no form %(slug)s."), code="not_found", slug=slug)


def save(session: Session, slug: str, text: str, actor: Actor) -> FormDefinition:
    """``text`` as the next version of ``slug``, or FormDefinitionError listing every problem by line."""
    if catalog.latest(session, slug) is None:
        raise FormNotFound(slug)
    text = text.replace("\r\n", "\n")  # browsers post a textarea's lines with CRLF
    spec = catalog.parse(text, slug=slug, editor=True)
    return catalog.save_version(session, spec, actor, source="ui", text=text)


def create(session: Session, slug: str, title: str, template: str, actor: Actor) -> FormDefinition:
    """A new form, not yet in use: from the starter text, or a copy of the form ``template``."""
    slug, title = slug.strip(), " ".join(title.split())
    if not NAME.match(slug):
        raise Refusal(SLUG_RULE, field="slug", code="bad_slug")
    if session.scalar(select(func.count()).where(FormDefinition.slug == slug)):
        raise Refusal(N_("A form %(slug)s exists already."), field="slug", code="slug_taken", slug=slug)
    if not 1 <= len(title) <= 200:
        raise Refusal(N_("Give the form a title (at most 200 characters)."), field="title", code="bad_title")
    head = {"slug": slug, "title": title, "title_zh": "", "category": slug}
    if template == STARTER:
        text = tomli_w.dumps(head) + STARTER_TEXT.read_text(encoding="utf-8")
    else:
        model = catalog.latest(session, template)
        if model is None:
            raise Refusal(N_("There is no form %(slug)s to copy."), field="template", code="no_template",
                          slug=template)
        data = catalog.spec_of(model).model_dump(mode="json", exclude_defaults=True)
        data.pop("wrapup_codes", None)
        text = tomli_w.dumps({**data, **head})
    row = catalog.save_version(session, catalog.parse(text, editor=True), actor, source="new", text=text,
                               action="form_created")
    row.is_active = False  # agents see it once the admin says it is ready
    return row


def set_active(session: Session, slug: str, active: bool, actor: Actor) -> FormDefinition:
    """Offer the form at the desk again, or stop offering it (tickets filed with it keep it)."""
    row = catalog.latest(session, slug)
    if row is None:
        raise FormNotFound(slug)
    if row.is_active == active:
        return row
    if not active and len(catalog.active_forms(session)) <= 1:
        raise Refusal(N_("At least one form must stay active: the desk needs a form for every call."),
                      code="last_form")
    row.is_active = active
    audit.record(session, "form_activated" if active else "form_deactivated", actor, object_type="form",
                 object_id=slug, version=row.version)
    return row
