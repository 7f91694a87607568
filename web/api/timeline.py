"""API: a ticket's one timeline (calls, messages, notes, changes), its internal notes and its messages' files."""
from __future__ import annotations

from flask import jsonify, send_file
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles
from callcenter.conversations import attachments
from callcenter.i18n import N_
from callcenter.models import Attachment, Message
from callcenter.tickets.service import TicketError

from ..db import get_db
from .registry import ApiError, api_actor, api_user, body, container, endpoint
from .schemas import NoteIn, TimelineEntryOut
from .tickets import editable_ticket, visible_ticket


@endpoint("GET", "/tickets/<number>/timeline", roles=roles.EVERYONE, scope="tickets:read",
          summary=N_("A ticket's timeline: calls, messages, notes and changes, oldest first"),
          response=TimelineEntryOut, many=True)
def ticket_timeline(number: str) -> ResponseReturnValue:
    ticket = visible_ticket(number)
    entries = container().conversations.timeline(get_db(), ticket, api_user())
    items = [TimelineEntryOut.of(e).model_dump(mode="json") for e in entries]
    return jsonify(items=items, total=len(items), limit=len(items), offset=0)


@endpoint("POST", "/tickets/<number>/notes", roles=roles.DESK, scope="tickets:write",
          summary=N_("Add an internal note (never sent to the customer)"),
          request_model=NoteIn, response=TimelineEntryOut, status=201)
def add_ticket_note(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = editable_ticket(number)
    data = body(NoteIn)
    try:
        note = container().conversations.add_internal_note(db, ticket, data.body, api_actor())
    except TicketError as exc:
        db.rollback()
        raise ApiError(422, "invalid", str(exc), {exc.field or "body": str(exc)}) from None
    db.commit()
    entry = next(e for e in container().conversations.timeline(db, ticket, api_user())
                 if e.kind == "note" and e.item.id == note.id)
    return jsonify(TimelineEntryOut.of(entry).model_dump(mode="json")), 201


@endpoint("GET", "/tickets/<number>/attachments/<int:attachment_id>", roles=roles.EVERYONE, scope="tickets:read",
          summary=N_("A message's file, by its id (each download is audited)"), binary=True)
def ticket_attachment(number: str, attachment_id: int) -> ResponseReturnValue:
    db = get_db()
    ticket = visible_ticket(number)
    found = db.scalar(select(Attachment).join(Message, Message.id == Attachment.message_id)
                      .where(Attachment.id == attachment_id, Message.ticket_id == ticket.id))
    if found is None:
        raise ApiError(404, "not_found", "no such attachment on this ticket")
    path = container().conversations.store.file_for(found)
    if path is None:
        raise ApiError(410, "gone", "the file was not kept (over the size limit, or erased)")
    attachments.downloaded(db, api_actor(), found, ticket.number)
    db.commit()
    response = send_file(path, mimetype=attachments.shown_type(found), as_attachment=True,
                         download_name=found.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
