"""Each person's start page, built around their own work (the figures come from the domain's read models).

An agent: their open tickets by SLA, callbacks due, calls and pauses today.
A supervisor: their team's agents now and today's figures.  QA: calls to
review.  An admin: the first-run checklist until the centre is set up, then
the whole centre's day.
"""
from __future__ import annotations

from flask import current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from callcenter.models import Role, User
from callcenter.qa.unreviewed import review_desk
from callcenter.reporting import checklist
from callcenter.reporting.my_day import agent_day
from callcenter.reporting.team_now import team_today

from ..db import get_db


def _zone() -> str:
    zone: str = current_app.extensions["container"].settings.timezone
    return zone


def _pause_labels() -> dict[str, str]:
    presence = current_app.extensions["container"].presence
    return {code: presence.reason_label(code, str(get_locale())) for code in presence.settings.pause_codes}


def home(who: User) -> ResponseReturnValue:
    db = get_db()
    if who.role is Role.AGENT:
        return render_template("main/agent.html", day=agent_day(db, who, _zone()), pauses=_pause_labels(),
                               language=str(get_locale()))
    if who.role is Role.QA:
        return render_template("main/qa.html", desk=review_desk(db, who))
    team = team_today(db, who, _zone())
    if who.role is Role.SUPERVISOR:
        return render_template("main/supervisor.html", team=team, pauses=_pause_labels())
    found = checklist.steps(db)
    return render_template("main/admin.html", steps=found, steps_by_key={s.key: s for s in found},
                           ready=checklist.is_set_up(found), team=team,
                           pauses=_pause_labels(), commands=checklist.LAB_COMMANDS, lab_phone=checklist.LAB_PHONE,
                           links={"users": url_for("admin.users"), "import": url_for("admin.import_page"),
                                  "teams": url_for("admin.teams_page"), "review": url_for("review.index")})
