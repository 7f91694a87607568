"""API: a ticket's one timeline (calls, messages, notes, changes), its internal notes and its messages' files."""
from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from callcenter.access import roles
from callcenter.conversations import attachments
from callcenter.i18n import N_
from callcenter.models import Ticket
from callcenter.tickets.service import TicketError

from ..db import get_db
from ..downloads import private_file
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
    return created(ticket, "note", note.id)


def created(ticket: Ticket, kind: str, item_id: int) -> ResponseReturnValue:
    """A 201 with the timeline entry of what a request just added (a note, a reply), as the timeline shows it."""
    entry = next(e for e in container().conversations.timeline(get_db(), ticket, api_user())
                 if e.kind == kind and e.item.id == item_id)
    return jsonify(TimelineEntryOut.of(entry).model_dump(mode="json")), 201


@endpoint("GET", "/tickets/<number>/attachments/<int:attachment_id>", roles=roles.EVERYONE, scope="tickets:read",
          summary=N_("A message's file, by its id (each download is audited)"), binary=True)
def ticket_attachment(number: str, attachment_id: int) -> ResponseReturnValue:
    db = get_db()
    ticket = visible_ticket(number)
    found = attachments.of_ticket(db, ticket.id, attachment_id)
    if found is None:
        raise ApiError(404, "not_found", "no such attachment on this ticket")
    path = container().conversations.store.file_for(found)
    if path is None:
        raise ApiError(410, "gone", "the file was not kept (over the size limit, or erased)")
    attachments.downloaded(db, api_actor(), found, ticket.number)
    db.commit()
    return private_file(path, attachments.shown_type(found), found.filename)
