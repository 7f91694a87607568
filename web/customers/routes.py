"""The customer page (desk roles) and the merge flow (supervisors and admins): find, preview, confirm.

The page lists identifiers as the customer has them (phones, e-mail addresses, WeChat
OpenIDs, with their verified and bounced marks), their tags (added and removed here by the
desk, through ``customers.tags``) and segments, and the history the viewer may see.  A
merge is previewed with the real counts of what will move, then confirmed by a form post
(CSRF); ``customers.merge`` does the work, the audit row and the event.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter import days
from callcenter.access import roles
from callcenter.customers import lookup, tags
from callcenter.customers.history import customer_history
from callcenter.customers.merge import CHOOSABLE, CustomerMerge, MergeError, Moved, merged_into
from callcenter.customers.segments import Segments
from callcenter.customers.tags import CustomerTags, TagError
from callcenter.i18n import N_
from callcenter.inputs.parsers import Args
from callcenter.models import Customer, utcnow

from ..auth.access import actor, roles_required, user
from ..db import get_db
from ..messages import refusal
from ..query_args import note_ignored, page_args

bp = Blueprint("customers", __name__, url_prefix="/customers")
# Fields a person may take from the other customer on the preview, in the order shown.
SHOWN_FIELDS = ("name", "company", "email", "vip_tier", "notes")


def _merge() -> CustomerMerge:
    service: CustomerMerge = current_app.extensions["container"].customer_merge
    return service


def _tags() -> CustomerTags:
    service: CustomerTags = current_app.extensions["container"].customer_tags
    return service


def _segments() -> Segments:
    service: Segments = current_app.extensions["container"].segments
    return service


@dataclass(frozen=True)
class Chip:
    """A tag as the page shows it: who set it, the last day it counts, whether that day is past."""

    tag: str
    source: str
    until: dt.date | None
    expired: bool


def _chips(customer_id: int) -> list[Chip]:
    zone, now = current_app.extensions["container"].settings.timezone, utcnow()
    # A tag "until 31 December" expires at the start of 1 January (the form's day is the last one it counts).
    return [Chip(r.tag, r.source.value,
                 days.local_date(r.expires_at - dt.timedelta(microseconds=1), zone) if r.expires_at else None,
                 r.expires_at is not None and r.expires_at <= now)
            for r in tags.rows(get_db(), customer_id)]


def _customer(customer_id: int) -> Customer:
    """The customer, or a 404 (an erased one too); a merged one's old address leads to the kept one."""
    db = get_db()
    customer = db.get(Customer, customer_id)
    if customer is None or customer.erased_at is not None:
        abort(404)
    return customer


@bp.route("/<int:customer_id>")
@roles_required(roles.DESK)
def show(customer_id: int) -> ResponseReturnValue:
    db = get_db()
    if db.get(Customer, customer_id) is None:
        kept = merged_into(db, customer_id)
        if kept is not None:
            return redirect(url_for("customers.show", customer_id=kept), 301)
    customer = _customer(customer_id)
    history = customer_history(db, customer.id, user())
    segments = _segments().of_customer(db, customer.id).segments
    return render_template("customers/show.html", customer=customer, history=history,
                           can_merge=user().role in roles.MANAGERS, chips=_chips(customer.id), segments=segments)


@bp.route("/<int:customer_id>/tags", methods=["POST"])
@roles_required(roles.DESK)
def add_tag(customer_id: int) -> ResponseReturnValue:
    customer = _customer(customer_id)
    tag = request.form.get("tag", "")[:100]
    day_text = request.form.get("expires_on", "").strip()
    day = days.parse(day_text)
    db = get_db()
    try:
        if day_text and day is None:
            raise TagError(N_("The expiry is a day such as 2026-12-31."), field="expires_on", code="bad_day")
        zone = current_app.extensions["container"].settings.timezone
        expires_at = days.midnight(day + dt.timedelta(days=1), zone) if day is not None else None
        changed = _tags().add(db, customer, tag, actor(), expires_at=expires_at)
    except TagError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("customers.show", customer_id=customer.id, _anchor="tags"), 303)
    db.commit()
    if changed:
        flash(_("Tag %(tag)s set.", tag=tag.strip()), "success")
    return redirect(url_for("customers.show", customer_id=customer.id, _anchor="tags"), 303)


@bp.route("/<int:customer_id>/tags/remove", methods=["POST"])
@roles_required(roles.DESK)
def remove_tag(customer_id: int) -> ResponseReturnValue:
    customer = _customer(customer_id)
    tag = request.form.get("tag", "")[:100].strip()
    db = get_db()
    if _tags().remove(db, customer, tag, actor()):
        db.commit()
        flash(_("Tag %(tag)s removed.", tag=tag), "success")
    else:
        db.rollback()
        flash(_("This customer has no tag %(tag)s.", tag=tag), "error")
    return redirect(url_for("customers.show", customer_id=customer.id, _anchor="tags"), 303)


def _differences(keep: Customer, other: Customer) -> list[tuple[str, object, object]]:
    """Fields where both have a value and they differ: the person may take the other's."""
    rows = []
    for name in SHOWN_FIELDS:
        mine, theirs = getattr(keep, name), getattr(other, name)
        if mine not in (None, "") and theirs not in (None, "") and mine != theirs:
            rows.append((name, mine, theirs))
    return rows


def _merge_page(keep: Customer, other: Customer | None, moved: Moved | None, q: str,
                error: str | None = None, status: int = 200) -> ResponseReturnValue:
    db = get_db()
    found = [f for f in lookup.search(db, q, current_app.extensions["container"].settings.phone.default_region)
             if f.id != keep.id and not f.erased] if q else []
    differences = _differences(keep, other) if other is not None else []
    return render_template("customers/merge.html", customer=keep, other=other, moved=moved, q=q, found=found,
                           differences=differences, error=error), status


@bp.route("/<int:customer_id>/merge")
@roles_required(roles.MANAGERS)
def merge_preview(customer_id: int) -> ResponseReturnValue:
    keep = _customer(customer_id)
    read = page_args()
    q = read.text("q", 200)
    other_id = read.ident("other")
    note_ignored(read)
    if other_id is None:
        return _merge_page(keep, None, None, q)
    db = get_db()
    try:
        moved = _merge().preview(db, actor(), keep.id, other_id)
    except LookupError:
        abort(404)
    except MergeError as exc:
        return _merge_page(keep, None, None, q, refusal(exc), 400)
    return _merge_page(keep, db.get(Customer, other_id), moved, q)


@bp.route("/<int:customer_id>/merge", methods=["POST"])
@roles_required(roles.MANAGERS)
def merge_confirm(customer_id: int) -> ResponseReturnValue:
    keep = _customer(customer_id)
    form = Args(request.form, strict=False)
    other_id = form.ident("other_id")
    if other_id is None:
        return _merge_page(keep, None, None, "", _("Choose the customer to merge into this one."), 400)
    take = tuple(name for name in request.form.getlist("take") if name in CHOOSABLE)
    db = get_db()
    try:
        moved = _merge().merge(db, actor(), keep.id, other_id, take)
    except LookupError:
        db.rollback()
        abort(404)
    except MergeError as exc:
        db.rollback()
        return _merge_page(keep, None, None, "", refusal(exc), 400)
    db.commit()
    flash(_("Customer %(other)s was merged into this one: %(tickets)s tickets, %(calls)s calls, %(messages)s "
            "messages and %(ids)s identifiers moved.", other=other_id, tickets=moved.of("tickets"),
            calls=moved.of("calls"), messages=moved.of("messages"), ids=moved.of("identifiers")), "success")
    return redirect(url_for("customers.show", customer_id=keep.id), 303)
