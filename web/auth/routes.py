"""Sign in, sign out, change password; a one-time password opens only the change-password page."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from callcenter.access import accounts, redirects, sessions

from ..db import get_db
from ..extensions import limiter
from ..messages import refusal
from .access import actor, begin_session, end_session, sign_in_limits, signed_in
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    # Only same-site paths we rebuilt ourselves: never another host, never a broken header.
    return redirects.same_site_path(target) or url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
# A flood guard per process only; the failed-sign-in limits are in the database (accounts.sign_in).
@limiter.limit("1000 per minute", methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        try:
            user = accounts.sign_in(db, str(form.username.data), str(form.password.data), request.remote_addr,
                                    sign_in_limits())
        except accounts.SignInThrottled:
            db.commit()
            flash(_("Too many failed sign-ins from your address. Please wait a few minutes and try again."),
                  "error")
            return render_template("auth/login.html", form=form), 429
        db.commit()
        if user is None:
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        begin_session(user)
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> ResponseReturnValue:
    db = get_db()
    accounts.sign_out(db, actor())
    db.commit()
    end_session()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        db = get_db()
        try:
            user = accounts.change_password(db, current_user.id, str(form.current.data), str(form.new.data),
                                            actor())
        except accounts.AccountError as exc:
            db.rollback()
            flash(refusal(exc), "error")
            return render_template("auth/change_password.html", form=form), 400
        db.commit()
        begin_session(user)  # every other session of this user has ended; this browser goes on
        flash(_("Password changed."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


def _ended_message(reason: str) -> str:
    if reason == sessions.IDLE:
        return str(_("Your session ended after a long time without activity, please sign in again."))
    if reason == sessions.EXPIRED:
        return str(_("Your session has reached its time limit, please sign in again."))
    return str(_("Your session has ended, please sign in again."))


@bp.before_app_request
def _end_refused_session() -> ResponseReturnValue | None:
    """A session the server no longer honours (signed out elsewhere, idle, too old): say so, ask to sign in."""
    _ = current_user.is_authenticated  # loads the user, which checks the session's stamp
    reason = g.pop("session_ended", None)
    if reason is None:
        return None
    end_session()
    if not (request.endpoint == "auth.login" and request.method == "POST"):  # signing in again already
        flash(_ended_message(reason), "error")
    if request.endpoint in ("auth.login", "static", "main.healthz", "main.set_language"):
        return None
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path))
    return redirect(url_for("auth.login"))


@bp.before_app_request
def _force_password_change() -> ResponseReturnValue | None:
    """A one-time password opens only the change-password page."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ("auth.change_password", "auth.logout", "static", "main.set_language")
    ):
        return redirect(url_for("auth.change_password"))
    return None
