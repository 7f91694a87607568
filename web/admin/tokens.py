"""API tokens in the admin pages: a user's tokens, minting one (shown once), revoking one."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles, tokens
from callcenter.access import scopes as scope_rules
from callcenter.models import User

from ..auth.access import actor, roles_required
from ..db import get_db

bp = Blueprint("tokens", __name__, url_prefix="/admin")
DEFAULT_DAYS = 90
EXPIRY_CHOICES = (7, 30, 90, 365, 0)  # days; 0 = never


def _owner(user_id: int) -> User:
    owner = get_db().get(User, user_id)
    if owner is None:
        abort(404)
    return owner


def _page(owner: User, status: int = 200) -> ResponseReturnValue:
    return render_template("admin/tokens.html", owner=owner, rows=tokens.listed(get_db(), owner.id),
                           state=tokens.state, scopes=scope_rules.ALL, default_scopes=scope_rules.DEFAULT,
                           describe=scope_rules.describe, expiry_choices=EXPIRY_CHOICES,
                           default_days=DEFAULT_DAYS), status


@bp.route("/users/<int:user_id>/tokens")
@roles_required(roles.ADMINS)
def listing(user_id: int) -> ResponseReturnValue:
    return _page(_owner(user_id))


@bp.route("/users/<int:user_id>/token", methods=["POST"])
@roles_required(roles.ADMINS)
def issue(user_id: int) -> ResponseReturnValue:
    db = get_db()
    owner = _owner(user_id)
    try:
        row, secret = tokens.mint(db, owner, actor(), name=request.form.get("name", ""),
                                  scopes=request.form.getlist("scopes") or scope_rules.DEFAULT,
                                  expires_at=tokens.expiry(request.form.get("expires_days", DEFAULT_DAYS, type=int)))
    except tokens.TokenRefused:
        db.commit()  # the refusal's audit row
        flash(_("You may not mint an API token for this user."), "error")
        return _page(owner, 403)
    except tokens.TokenError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _page(owner, 400)
    db.commit()
    resp = render_template("admin/token.html", user=owner, token=secret, row=row,
                           scopes=scope_rules.describe(row.scopes))
    # The secret is on this page: no browser or proxy may keep a copy.
    return resp, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(roles.ADMINS)
def revoke(token_id: int) -> ResponseReturnValue:
    db = get_db()
    try:
        row = tokens.revoke(db, token_id, actor())
    except tokens.TokenRefused:
        db.commit()
        abort(403)
    except tokens.TokenError:
        abort(404)
    db.commit()
    flash(_("API token %(p)s… revoked.", p=row.prefix), "success")
    return redirect(url_for("tokens.listing", user_id=row.user_id), 303)
