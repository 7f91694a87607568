"""Teams in the admin pages: the list with a form to make one, and a team's page (name, lead, members)."""
from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.access import roles
from callcenter.i18n import Refusal
from callcenter.models import Queue, Team, User
from callcenter.people import teams

from ..auth.access import actor, roles_required
from ..db import get_db
from .pages import refused, row_or_404, with_status
from .routes import bp


def _number(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _list(typed: dict[str, str], errors: dict[str, str]) -> ResponseReturnValue:
    db = get_db()
    rows = db.scalars(select(Team).order_by(Team.name)).all()
    sizes = dict(db.execute(select(User.team_id, func.count()).where(User.team_id.is_not(None))
                            .group_by(User.team_id)).tuples().all())
    leads = {u.id: u for u in db.scalars(select(User).where(User.id.in_({t.supervisor_id for t in rows})))}
    return with_status(render_template("admin/teams.html", teams=rows, sizes=sizes, leads=leads,
                                       managers=_managers(), typed=typed, errors=errors), bool(errors))


def _managers() -> list[User]:
    return list(get_db().scalars(select(User).where(User.role.in_(roles.MANAGERS), User.is_active)
                                 .order_by(User.username)))


@bp.route("/teams")
@roles_required(roles.ADMINS)
def teams_page() -> ResponseReturnValue:
    return _list({}, {})


@bp.route("/teams", methods=["POST"])
@roles_required(roles.ADMINS)
def add_team() -> ResponseReturnValue:
    db = get_db()
    typed = {"name": request.form.get("name", "")[:200], "lead": request.form.get("lead", "")[:12]}
    try:
        team = teams.create_team(db, typed["name"], actor(), _number("lead"))
    except Refusal as exc:
        return _list(typed, refused(db, exc))
    db.commit()
    flash(_("Team %(t)s made. Add its members here.", t=team.name), "success")
    return redirect(url_for("admin.team_page", team_id=team.id), 303)


def _page(team: Team, errors: dict[str, str] | None = None) -> ResponseReturnValue:
    db = get_db()
    members = teams.members(db, team.id)
    others = db.scalars(select(User).where(User.is_active, (User.team_id != team.id) | User.team_id.is_(None))
                        .order_by(User.username)).all()
    queues = db.scalars(select(Queue).where(Queue.team_id == team.id).order_by(Queue.name)).all()
    return with_status(render_template("admin/team.html", team=team, members=members, others=others, queues=queues,
                                       managers=_managers(), errors=errors or {}), bool(errors))


@bp.route("/teams/<int:team_id>")
@roles_required(roles.ADMINS)
def team_page(team_id: int) -> ResponseReturnValue:
    return _page(row_or_404(Team, team_id))


def _change(team_id: int, work: Callable[[Session, Team], str], to_list: bool = False) -> ResponseReturnValue:
    """One form of the team's page: ``work`` changes and says what; refused, the page again with why."""
    db = get_db()
    team = row_or_404(Team, team_id)
    try:
        said = work(db, team)
    except Refusal as exc:
        return _page(team, refused(db, exc))
    db.commit()
    flash(said, "success")
    return redirect(url_for("admin.teams_page") if to_list else url_for("admin.team_page", team_id=team_id), 303)


@bp.route("/teams/<int:team_id>", methods=["POST"])
@roles_required(roles.ADMINS)
def change_team_details(team_id: int) -> ResponseReturnValue:
    """Name and lead, from one form."""
    def work(db: Session, team: Team) -> str:
        teams.rename_team(db, team.id, request.form.get("name", "")[:200], actor())
        teams.set_lead(db, team.id, _number("lead"), actor())
        return str(_("Team %(t)s saved.", t=team.name))
    return _change(team_id, work)


@bp.route("/teams/<int:team_id>/members", methods=["POST"])
@roles_required(roles.ADMINS)
def add_member(team_id: int) -> ResponseReturnValue:
    user_id = _number("user")
    if user_id is None:
        return _page(row_or_404(Team, team_id), {"user": _("Choose someone to add.")})

    def work(db: Session, team: Team) -> str:
        user = teams.set_team(db, user_id, team.id, actor())
        return str(_("%(u)s is now in %(t)s.", u=user.username, t=team.name))
    return _change(team_id, work)


@bp.route("/teams/<int:team_id>/members/<int:user_id>/remove", methods=["POST"])
@roles_required(roles.ADMINS)
def remove_member(team_id: int, user_id: int) -> ResponseReturnValue:
    def work(db: Session, team: Team) -> str:
        user = teams.remove_member(db, team.id, user_id, actor())
        return str(_("%(u)s left %(t)s.", u=user.username, t=team.name))
    return _change(team_id, work)


@bp.route("/teams/<int:team_id>/delete", methods=["POST"])
@roles_required(roles.ADMINS)
def delete_team(team_id: int) -> ResponseReturnValue:
    def work(db: Session, team: Team) -> str:
        name = team.name
        teams.delete_team(db, team.id, actor())
        return str(_("Team %(t)s deleted.", t=name))
    return _change(team_id, work, to_list=True)
