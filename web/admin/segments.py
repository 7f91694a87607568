"""Segments in the admin pages (supervisors and admins): the list with what each gives its members and
how many customers are in it now, a form to make one, a segment's page to change or delete it.

``customers.segments`` checks, saves and audits; these views read the form and show its refusals
beside their fields.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles
from callcenter.customers.segments import Rule, Segments
from callcenter.customers.tags import live
from callcenter.models import Customer, CustomerTag, Segment, VipTier, utcnow

from ..auth.access import actor, roles_required
from ..db import get_db
from .pages import row_or_404, saved, with_status
from .routes import bp

COUNTED = 20_000  # customers beyond which the list does not count members (one pass in Python per page)
LANGUAGES = ("en", "zh")


def _service() -> Segments:
    found: Segments = current_app.extensions["container"].segments
    return found


def _form() -> dict[str, Any]:
    form = request.form
    return {"name": form.get("name", "")[:200], "name_zh": form.get("name_zh", "")[:200],
            "tags_all": form.get("tags_all", "")[:2000], "tags_any": form.get("tags_any", "")[:2000],
            "vip_tiers": form.getlist("vip_tiers")[:10], "languages": form.getlist("languages")[:10],
            "queue_priority": form.get("queue_priority", "")[:12], "senior": form.get("senior") == "1",
            "first_response_minutes": form.get("first_response_minutes", "")[:12],
            "resolution_minutes": form.get("resolution_minutes", "")[:12], "note": form.get("note", "")[:1000]}


def _typed(segment: Segment) -> dict[str, Any]:
    """A saved segment as its form shows it."""
    return {"name": segment.name, "name_zh": segment.name_zh, "tags_all": ", ".join(segment.tags_all or ()),
            "tags_any": ", ".join(segment.tags_any or ()), "vip_tiers": list(segment.vip_tiers or ()),
            "languages": list(segment.languages or ()), "queue_priority": segment.queue_priority,
            "senior": segment.senior, "first_response_minutes": segment.first_response_minutes or "",
            "resolution_minutes": segment.resolution_minutes or "", "note": segment.note}


def _members(rules: list[Rule]) -> dict[int, int] | None:
    """How many customers each segment holds now; None where counting would be too dear."""
    db = get_db()
    people = db.execute(select(Customer.id, Customer.vip_tier, Customer.language)
                        .where(Customer.erased_at.is_(None)).limit(COUNTED + 1)).all()
    if len(people) > COUNTED:
        return None
    tags: dict[int, set[str]] = {}
    for customer_id, tag in db.execute(select(CustomerTag.customer_id, CustomerTag.tag).where(live(utcnow()))):
        tags.setdefault(customer_id, set()).add(tag)
    counts = dict.fromkeys((r.id for r in rules), 0)
    for p in people:
        vip = p.vip_tier.value if isinstance(p.vip_tier, VipTier) else str(p.vip_tier)
        for rule in rules:
            if rule.holds(tags.get(p.id, set()), vip, p.language or ""):
                counts[rule.id] += 1
    return counts


def _listing(errors: dict[str, str]) -> ResponseReturnValue:
    rows = get_db().scalars(select(Segment).order_by(Segment.name)).all()
    members = _members([Rule.of(r) for r in rows]) if rows else {}
    return with_status(render_template("admin/segments.html", segments=rows, members=members,
                                       typed=_form() if errors else {}, errors=errors, tiers=list(VipTier),
                                       languages=LANGUAGES), bool(errors))


def _page(segment: Segment, errors: dict[str, str]) -> ResponseReturnValue:
    return with_status(render_template("admin/segment.html", segment=segment,
                                       typed=_form() if errors else _typed(segment), errors=errors,
                                       tiers=list(VipTier), languages=LANGUAGES), bool(errors))


@bp.route("/segments")
@roles_required(roles.MANAGERS)
def segments_page() -> ResponseReturnValue:
    return _listing({})


@bp.route("/segments", methods=["POST"])
@roles_required(roles.MANAGERS)
def add_segment() -> ResponseReturnValue:
    values = _form()
    return saved(lambda: _service().save(get_db(), actor(), values), _listing,
                 _("Segment %(s)s saved.", s=values["name"].strip()[:80]), lambda: url_for("admin.segments_page"))


@bp.route("/segments/<int:segment_id>")
@roles_required(roles.MANAGERS)
def segment_page(segment_id: int) -> ResponseReturnValue:
    return _page(row_or_404(Segment, segment_id), {})


@bp.route("/segments/<int:segment_id>", methods=["POST"])
@roles_required(roles.MANAGERS)
def edit_segment(segment_id: int) -> ResponseReturnValue:
    segment = row_or_404(Segment, segment_id)
    values = _form()
    return saved(lambda: _service().save(get_db(), actor(), values, segment), lambda errors: _page(segment, errors),
                 _("Segment %(s)s saved.", s=values["name"].strip()[:80]),
                 lambda: url_for("admin.segment_page", segment_id=segment.id))


@bp.route("/segments/<int:segment_id>/delete", methods=["POST"])
@roles_required(roles.MANAGERS)
def delete_segment(segment_id: int) -> ResponseReturnValue:
    segment = row_or_404(Segment, segment_id)
    name = segment.name
    return saved(lambda: _service().delete(get_db(), actor(), segment), lambda errors: _page(segment, errors),
                 _("Segment %(s)s deleted.", s=name), lambda: url_for("admin.segments_page"))
