from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from callcenter import accounts, audit
from callcenter.models import User, utcnow

from .. import limiter
from ..db import get_db
from . import bp
from .forms import ChangePasswordForm, LoginForm


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never redirect to another host after sign-in.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.index")


def _login_key() -> str:
    # Per account and address: a whole shift behind one NAT can still sign in.
    return f"{request.remote_addr}|{request.form.get('username', '').strip().lower()[:80]}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_login_key)
@limiter.limit("1000 per minute", methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        user = db.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None or not accounts.check_password(user, form.password.data):
            audit.record(db, "sign_in", actor_name=form.username.data[:80], ip=request.remote_addr,
                         outcome="failed")
            db.commit()
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        user.last_login_at = utcnow()
        audit.record(db, "sign_in", actor=user, ip=request.remote_addr)
        db.commit()
        login_user(user)
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    db = get_db()
    audit.record(db, "sign_out", actor=current_user, ip=request.remote_addr)
    db.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        db = get_db()
        user = db.get(User, current_user.id)
        if not accounts.check_password(user, form.current.data):
            flash(_("Your current password is not right."), "error")
            return render_template("auth/change_password.html", form=form), 400
        accounts.set_password(user, form.new.data)
        audit.record(db, "password_changed", actor=user, object_type="user", object_id=user.id,
                     ip=request.remote_addr)
        db.commit()
        flash(_("Password changed."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


@bp.before_app_request
def _force_password_change():  # type: ignore[no-untyped-def]
    """A one-time password opens only the change-password page."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ("auth.change_password", "auth.logout", "static", "main.set_language")
    ):
        return redirect(url_for("auth.change_password"))
    return None
