"""Webhook endpoints in the admin pages: add, edit, switch off, rotate the secret, remove; each endpoint's
delivery log with what the receiver answered, and a replay of one delivery or of a time range."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from callcenter.access import roles
from callcenter.days import parse_local
from callcenter.i18n import N_, Refusal
from callcenter.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from callcenter.webhooks.endpoints import Endpoints, WebhookError, events

from ..auth.access import actor, roles_required
from ..db import get_db
from .pages import NO_STORE, refused, row_or_404, saved, with_status
from .routes import bp

LOG = 100  # deliveries listed on an endpoint's page


def _service() -> Endpoints:
    found: Endpoints = current_app.extensions["container"].webhook_endpoints
    return found


def _form() -> dict[str, Any]:
    return {"name": request.form.get("name", "")[:200], "url": request.form.get("url", "")[:2100],
            "wanted": request.form.getlist("events")[:200], "active": request.form.get("active") == "1"}


def _counts() -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    for endpoint_id, status, n in get_db().execute(select(WebhookDelivery.endpoint_id, WebhookDelivery.status,
                                                          func.count()).group_by(WebhookDelivery.endpoint_id,
                                                                                 WebhookDelivery.status)):
        found.setdefault(endpoint_id, {})[status.value] = n
    return found


def _listing(errors: dict[str, str]) -> ResponseReturnValue:
    endpoints = get_db().scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name)).all()
    return with_status(render_template("admin/webhooks.html", endpoints=endpoints, counts=_counts(),
                                       names=events(), typed=_form() if errors else {}, errors=errors),
                       bool(errors))


@bp.route("/webhooks")
@roles_required(roles.ADMINS)
def webhooks_page() -> ResponseReturnValue:
    return _listing({})


@bp.route("/webhooks", methods=["POST"])
@roles_required(roles.ADMINS)
def add_webhook() -> ResponseReturnValue:
    made: list[WebhookEndpoint] = []
    return saved(lambda: made.append(_service().save(get_db(), actor(), **(_form() | {"active": True}))), _listing,
                 _("Endpoint %(s)s added. Give its receiver the secret shown below.", s=_form()["name"][:80]),
                 lambda: url_for("admin.webhook_page", endpoint_id=made[0].id))


def _page(endpoint: WebhookEndpoint, errors: dict[str, str]) -> ResponseReturnValue:
    db = get_db()
    status = request.args.get("status", "")
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status in {s.value for s in DeliveryStatus}:
        query = query.where(WebhookDelivery.status == DeliveryStatus(status))
    deliveries = db.scalars(query.order_by(WebhookDelivery.id.desc()).limit(LOG)).all()
    page = render_template("admin/webhook.html", endpoint=endpoint, deliveries=deliveries, names=events(),
                           counts=_counts().get(endpoint.id, {}), status=status, statuses=list(DeliveryStatus),
                           typed=_form() if errors else {}, errors=errors)
    return page, 400 if errors else 200, NO_STORE  # the secret is on it: no copy kept by a browser or proxy


@bp.route("/webhooks/<int:endpoint_id>")
@roles_required(roles.ADMINS)
def webhook_page(endpoint_id: int) -> ResponseReturnValue:
    return _page(row_or_404(WebhookEndpoint, endpoint_id), {})


def _saved(endpoint: WebhookEndpoint, work: Callable[[], Any], message: str) -> ResponseReturnValue:
    return saved(work, lambda errors: _page(endpoint, errors), message,
                 lambda: url_for("admin.webhook_page", endpoint_id=endpoint.id))


@bp.route("/webhooks/<int:endpoint_id>", methods=["POST"])
@roles_required(roles.ADMINS)
def edit_webhook(endpoint_id: int) -> ResponseReturnValue:
    endpoint = row_or_404(WebhookEndpoint, endpoint_id)
    return _saved(endpoint, lambda: _service().save(get_db(), actor(), endpoint=endpoint, **_form()),
                  _("Endpoint %(s)s saved.", s=endpoint.name))


@bp.route("/webhooks/<int:endpoint_id>/secret", methods=["POST"])
@roles_required(roles.ADMINS)
def rotate_webhook_secret(endpoint_id: int) -> ResponseReturnValue:
    endpoint = row_or_404(WebhookEndpoint, endpoint_id)
    return _saved(endpoint, lambda: _service().rotate(get_db(), actor(), endpoint),
                  _("A new secret for %(s)s: give it to its receiver; the old one no longer signs.", s=endpoint.name))


@bp.route("/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@roles_required(roles.ADMINS)
def remove_webhook(endpoint_id: int) -> ResponseReturnValue:
    endpoint = row_or_404(WebhookEndpoint, endpoint_id)
    name = endpoint.name
    return saved(lambda: _service().remove(get_db(), actor(), endpoint), lambda errors: _page(endpoint, errors),
                 _("Endpoint %(s)s removed.", s=name), lambda: url_for("admin.webhooks_page"))


@bp.route("/webhooks/<int:endpoint_id>/replay", methods=["POST"])
@roles_required(roles.ADMINS)
def replay_webhook(endpoint_id: int) -> ResponseReturnValue:
    """One delivery (``delivery``) or every one made in a range (``since``, ``until``: local times)."""
    endpoint = row_or_404(WebhookEndpoint, endpoint_id)
    one, db = request.form.get("delivery", "").strip(), get_db()
    try:
        if one:
            if not one.isdigit() or len(one) > 18:
                raise WebhookError(N_("No such delivery."), code="not_found")
            count = _service().replay(db, actor(), endpoint, delivery_id=int(one))
        else:
            count = _service().replay(db, actor(), endpoint, since=_when("since"), until=_when("until"))
    except Refusal as exc:
        return _page(endpoint, refused(db, exc))
    db.commit()
    flash(_("Deliveries to send again: %(n)s.", n=count), "success")
    return redirect(url_for("admin.webhook_page", endpoint_id=endpoint.id), 303)


def _when(name: str) -> dt.datetime | None:
    """A ``datetime-local`` field in the centre's time zone, as UTC; None when empty or not a time."""
    return parse_local(request.form.get(name, "")[:40], current_app.extensions["container"].settings.timezone)


@bp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>")
@roles_required(roles.ADMINS)
def webhook_delivery(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    endpoint = row_or_404(WebhookEndpoint, endpoint_id)
    delivery = row_or_404(WebhookDelivery, delivery_id)
    if delivery.endpoint_id != endpoint.id:
        abort(404)
    attempts = get_db().scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
                                .order_by(WebhookAttempt.id)).all()
    return render_template("admin/webhook_delivery.html", endpoint=endpoint, delivery=delivery, attempts=attempts)
