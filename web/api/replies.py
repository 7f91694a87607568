"""API: reply to a ticket's customer (or write an internal note) and list the reply templates."""
from __future__ import annotations

from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles
from callcenter.i18n import N_, Refusal
from callcenter.models import ReplyTemplate

from ..db import get_db
from .registry import ApiError, api_actor, body, container, endpoint, page
from .reply_schemas import ReplyIn, TemplateOut
from .schemas import TimelineEntryOut
from .tickets import editable_ticket
from .timeline import created


@endpoint("POST", "/tickets/<number>/replies", roles=roles.DESK, scope="tickets:write",
          summary=N_("Reply to the ticket's customer on a channel (queued for sending), or add an internal note"),
          request_model=ReplyIn, response=TimelineEntryOut, status=201)
def reply_to_ticket(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = editable_ticket(number)
    data = body(ReplyIn)
    try:
        sent = container().replies.send(db, ticket, api_actor(), channel=data.channel, body=data.body,
                                        subject=data.subject, template_id=data.template_id, internal=data.internal)
    except Refusal as exc:
        db.rollback()
        raise ApiError(422, "invalid", str(exc), {exc.field or "body": str(exc)}) from None
    db.commit()
    if sent.note is not None:
        return created(ticket, "note", sent.note.id)
    assert sent.message is not None
    return created(ticket, "message", sent.message.id)


@endpoint("GET", "/templates", roles=roles.DESK, scope="tickets:read",
          summary=N_("Active reply templates and macros, with their variants per channel and language"),
          response=TemplateOut, many=True, params=("limit", "offset"))
def list_templates() -> ResponseReturnValue:
    return page(select(ReplyTemplate).where(ReplyTemplate.active).order_by(ReplyTemplate.name, ReplyTemplate.id),
                TemplateOut.of)
