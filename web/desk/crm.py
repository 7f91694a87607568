"""The pop's CRM panel: the desk asks here once the pop is on screen, and the server asks the CRM.

The browser never talks to the CRM and never sees its address or headers;
it gets the mapped fields in the agent's language, or "unavailable".
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from callcenter.access import roles
from callcenter.crm.asked import asked_for
from callcenter.crm.lookup import CrmLookup

from ..auth.access import roles_required
from ..db import get_db
from .routes import _call_for_desk

bp = Blueprint("desk_crm", __name__, url_prefix="/desk")


@bp.route("/calls/<int:call_id>/crm")
@roles_required(roles.DESK)
def crm(call_id: int) -> ResponseReturnValue:
    """The CRM's answer about the call's caller (waits for the CRM, at most its timeout)."""
    lookup: CrmLookup = current_app.extensions["container"].crm
    call = _call_for_desk(call_id)
    asked = asked_for(get_db(), call)
    get_db().rollback()  # no connection is held while the CRM thinks
    answer = lookup.answer(asked)
    resp = jsonify(answer.as_json(zh=str(get_locale()).startswith("zh")))
    resp.headers["Cache-Control"] = "no-store"
    return resp
