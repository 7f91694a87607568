"""The administration index: one card per part of the centre's set-up, each with what is there now."""
from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from callcenter.access import roles
from callcenter.models import Queue, Skill, Team, User, WebhookEndpoint, WrapupCode

from ..auth.access import roles_required
from ..db import get_db
from .routes import bp


@bp.route("/")
@roles_required(roles.ADMINS)
def index() -> ResponseReturnValue:
    db = get_db()
    counts = {name: db.scalar(select(func.count()).select_from(model).where(*where)) or 0
              for name, model, where in (("users", User, [User.is_active]), ("teams", Team, []),
                                          ("skills", Skill, [Skill.is_active]),
                                          ("codes", WrapupCode, [WrapupCode.is_active]),
                                          ("queues", Queue, [Queue.is_active]),
                                          ("webhooks", WebhookEndpoint, []),
                                          ("failing", WebhookEndpoint, [WebhookEndpoint.failing_since.isnot(None)]))}
    return render_template("admin/index.html", counts=counts)
