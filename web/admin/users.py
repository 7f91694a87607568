"""Users in the admin pages: the list (search, pages), adding one, and the user's page with its account,
access, password and team forms (the agent profile form: ``agents``)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from callcenter.access import roles
from callcenter.i18n import Refusal
from callcenter.models import Role, Team, User
from callcenter.people import teams, users

from ..auth.access import actor, roles_required
from ..db import get_db
from ..query_args import note_ignored, page_args
from . import agents
from .pages import MAX_PAGES, NO_STORE, PAGE, pages, profiles, refused, row_or_404, with_status
from .routes import bp

ADD_FIELDS = ("username", "display_name", "email", "role", "team", "language", "sip_interface", "extension")


def _listing(typed: dict[str, str], errors: dict[str, str]) -> ResponseReturnValue:
    db = get_db()
    read = page_args()
    search = read.text("q", 80)
    page = read.whole("page", 1, MAX_PAGES) or 1
    note_ignored(read)
    query = users.listing(search)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.scalars(query.options(selectinload(User.agent), selectinload(User.team))
                      .offset((page - 1) * PAGE).limit(PAGE)).all()
    return with_status(render_template(
        "admin/users.html", users=rows, total=total, page=page, pages=pages(total), q=search, args=request.args,
        roles=list(Role), teams=_teams(), languages=users.LANGUAGES, typed=typed, errors=errors), bool(errors))


def _teams() -> list[Team]:
    return list(get_db().scalars(select(Team).order_by(Team.name)))


@bp.route("/users", endpoint="users")
@roles_required(roles.ADMINS)
def users_page() -> ResponseReturnValue:
    return _listing({}, {})


@bp.route("/users", methods=["POST"])
@roles_required(roles.ADMINS)
def add_user() -> ResponseReturnValue:
    """Add a user; a refusal shows the form again with what was typed, the password is shown once."""
    db = get_db()
    typed = {name: request.form.get(name, "")[:200] for name in ADD_FIELDS}
    try:
        user, password = users.add_user(
            db, typed["username"], typed["role"], actor(), display_name=typed["display_name"], email=typed["email"],
            language=typed["language"], team_id=_team_id(typed["team"]), sip_interface=typed["sip_interface"],
            extension=typed["extension"])
        db.commit()
    except Refusal as exc:
        return _listing(typed, refused(db, exc))
    return render_template("admin/password.html", user=user, password=password, created=True), 200, NO_STORE


def _team_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _user_page(user: User, profile_form: dict[str, Any] | None = None, errors: dict[str, str] | None = None) \
        -> ResponseReturnValue:
    db = get_db()
    team = db.get(Team, user.team_id) if user.team_id else None
    return with_status(render_template(
        "admin/user.html", user=user, team=team, teams=_teams(), roles=list(Role), languages=users.LANGUAGES,
        profile=profile_form or agents.current(db, user), choices=agents.choices(db, user),
        errors=errors or {}), bool(errors))


@bp.route("/users/<int:user_id>")
@roles_required(roles.ADMINS)
def user_page(user_id: int) -> ResponseReturnValue:
    return _user_page(row_or_404(User, user_id))


def _change(user_id: int, work: Callable[[Session, User], object], message: str) -> ResponseReturnValue:
    """One section's form: the service's work, then back to the user's page (shown again with why if refused)."""
    db = get_db()
    user = row_or_404(User, user_id)
    try:
        work(db, user)
    except Refusal as exc:
        return _user_page(user, errors=refused(db, exc))
    db.commit()
    flash(message % {"u": user.username}, "success")
    return redirect(url_for("admin.user_page", user_id=user.id), 303)


@bp.route("/users/<int:user_id>/account", methods=["POST"])
@roles_required(roles.ADMINS)
def change_account(user_id: int) -> ResponseReturnValue:
    form = request.form
    return _change(user_id, lambda db, user: users.edit_user(
        db, user.id, actor(), display_name=form.get("display_name", "")[:300], email=form.get("email", "")[:300],
        language=form.get("language", "")[:20]), _("%(u)s updated."))


@bp.route("/users/<int:user_id>/access", methods=["POST"])
@roles_required(roles.ADMINS)
def change_access(user_id: int) -> ResponseReturnValue:
    """Role and active flag; either change ends every session of the user (accounts does that)."""
    role, active = request.form.get("role", ""), request.form.get("active", "")
    if role not in {r.value for r in Role} or active not in ("0", "1"):
        why = _("Choose a role and whether the user is active.")
        return _user_page(row_or_404(User, user_id), errors={"role": why})

    def work(db: Session, user: User) -> None:
        users.change_role(db, user.id, role, actor())
        users.set_active(db, user.id, active == "1", actor())
    return _change(user_id, work, _("%(u)s updated. If anything changed, their sessions have ended."))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(roles.ADMINS)
def reset_password(user_id: int) -> ResponseReturnValue:
    """A new one-time password, shown once; the user's sessions end and they choose their own at sign-in."""
    db = get_db()
    user = row_or_404(User, user_id)
    password = users.reset_password(db, user.id, actor())
    db.commit()
    return render_template("admin/password.html", user=user, password=password, created=False), 200, NO_STORE


@bp.route("/users/<int:user_id>/team", methods=["POST"])
@roles_required(roles.ADMINS)
def change_team(user_id: int) -> ResponseReturnValue:
    team = _team_id(request.form.get("team", ""))
    return _change(user_id, lambda db, user: teams.set_team(db, user.id, team, actor()), _("%(u)s updated."))


@bp.route("/users/<int:user_id>/profile", methods=["POST"])
@roles_required(roles.ADMINS)
def change_profile(user_id: int) -> ResponseReturnValue:
    db = get_db()
    user = row_or_404(User, user_id)
    typed = agents.posted(request.form)
    try:
        changed = profiles().update(db, user.id, agents.change(db, user.id, typed), actor())
    except Refusal as exc:
        return _user_page(user, typed, refused(db, exc))
    db.commit()
    flash(_("Profile of %(u)s saved.", u=user.username) if changed else _("Nothing changed."), "success")
    return redirect(url_for("admin.user_page", user_id=user.id) + "#profile", 303)
