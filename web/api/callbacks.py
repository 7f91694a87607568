"""API: callbacks, and promising one (the dispatcher schedules it at once)."""
from __future__ import annotations

import datetime as dt

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles, visibility
from callcenter.access.dialling import NumberRefused
from callcenter.dispatch.callbacks import CallbackError
from callcenter.i18n import N_
from callcenter.models import Callback, CallbackSource, CallbackStatus, Customer

from ..db import get_db
from .registry import ApiError, api_actor, api_user, args, body, container, endpoint, page
from .schemas import CallbackIn, CallbackOut
from .spec import Param

STATUSES = {s.value for s in CallbackStatus}


@endpoint("GET", "/callbacks", roles=roles.DESK, scope="callbacks:read",
          summary=N_("List callbacks"), response=CallbackOut, many=True,
          params=(Param.choice("status", STATUSES), "limit", "offset"))
def list_callbacks() -> ResponseReturnValue:
    query = select(Callback).where(visibility.callback_clause(api_user())).order_by(Callback.due_at)
    status = args().choice("status", STATUSES)
    if status is not None:
        query = query.where(Callback.status == CallbackStatus(status))
    return page(query, CallbackOut.of)


@endpoint("POST", "/callbacks", roles=roles.DESK, scope="callbacks:write",
          summary=N_("Promise a callback"), request_model=CallbackIn,
          response=CallbackOut, status=201)
def create_callback() -> ResponseReturnValue:
    db = get_db()
    data = body(CallbackIn)
    if data.due_at.tzinfo is None:
        raise ApiError(422, "invalid", "due_at needs a time zone", {"due_at": "use ISO 8601 with an offset"})
    if data.ticket_id is not None and not visibility.can_see_ticket(db, api_user(), data.ticket_id):
        raise ApiError(422, "invalid", "unknown ticket", {"ticket_id": "no such ticket"})
    if data.customer_id is not None and db.get(Customer, data.customer_id) is None:
        raise ApiError(422, "invalid", "unknown customer", {"customer_id": "no such customer"})
    try:
        cb = container().callbacks.request(
            db, data.number, source=CallbackSource.API, actor=api_actor(),
            due_at=data.due_at.astimezone(dt.UTC), ticket_id=data.ticket_id, customer_id=data.customer_id,
            requested_by_id=api_user().id)
    except CallbackError:
        db.rollback()
        raise ApiError(422, "invalid", "not a phone number", {"number": "not a phone number"}) from None
    except NumberRefused as refused:
        db.rollback()
        container().callbacks.refused(db, api_actor(), refused)
        db.commit()
        raise ApiError(422, "refused", "the dialling policy refuses this number",
                       {"number": refused.refusal.message}) from None
    db.commit()
    return jsonify(CallbackOut.of(cb).model_dump(mode="json")), 201
