"""Sign in, sign out, change password; a one-time password opens only the change-password page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from callcenter.access import accounts, redirects

from ..db import get_db
from ..extensions import limiter
from .access import actor, signed_in
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    # Only same-site paths we rebuilt ourselves: never another host, never a broken header.
    return redirects.same_site_path(target) or url_for("main.index")


def _login_key() -> str:
    # Per account and address: a whole shift behind one NAT can still sign in.
    return f"{request.remote_addr}|{request.form.get('username', '').strip().lower()[:80]}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_login_key)
@limiter.limit("1000 per minute", methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        user = accounts.sign_in(db, str(form.username.data), str(form.password.data), request.remote_addr)
        db.commit()
        if user is None:
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user)
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
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        db = get_db()
        try:
            accounts.change_password(db, current_user.id, str(form.current.data), str(form.new.data), actor())
        except accounts.AccountError as exc:
            db.rollback()
            flash(_("Your current password is not right.") if exc.args[0] == accounts.WRONG_PASSWORD else str(exc),
                  "error")
            return render_template("auth/change_password.html", form=form), 400
        db.commit()
        flash(_("Password changed."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


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
