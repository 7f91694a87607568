"""A ticket's records in other systems: the ERP's return, the CRM's case, the shop's order.

An integration attaches its own id to a ticket once (attaching it again changes nothing, so a retry
is safe) and finds the ticket by it later.  One record of another system names one ticket: the
same id offered for a second ticket is refused, not moved.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Ticket, TicketReference
from .notifier import TicketNotifier

SYSTEM = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class TicketReferenceError(Refusal):
    """A reference that cannot be attached; ``conflict`` when it already names another ticket."""

    def __init__(self, template: str, *, field: str, code: str, conflict: bool = False, **values: object) -> None:
        super().__init__(template, field=field, code=code, **values)
        self.conflict = conflict


class TicketReferences:
    def __init__(self, notifier: TicketNotifier) -> None:
        self.notifier = notifier

    def attach(self, session: Session, ticket: Ticket, actor: Actor, *, system: str, ref: str,
               url: str | None = None) -> tuple[TicketReference, bool]:
        """The reference on ``ticket``, and whether it is new (audited and announced only then)."""
        system, ref, url = _checked(system, ref, url)
        found = session.scalar(select(TicketReference).where(TicketReference.system == system,
                                                             TicketReference.ref == ref))
        if found is not None:
            return self._same(found, ticket, system, ref), False
        row = TicketReference(ticket_id=ticket.id, system=system, ref=ref, url=url, created_by_id=actor.user_id)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # another request attached it in the same instant
            winner = session.scalars(select(TicketReference).where(TicketReference.system == system,
                                                                   TicketReference.ref == ref)).one()
            return self._same(winner, ticket, system, ref), False
        session.refresh(ticket, ["references"])
        audit.record(session, "ticket_reference_added", actor, object_type="ticket", object_id=ticket.number,
                     system=system, ref=ref)
        self.notifier.updated(session, ticket, actor, ["references"])
        return row, True

    @staticmethod
    def _same(found: TicketReference, ticket: Ticket, system: str, ref: str) -> TicketReference:
        if found.ticket_id != ticket.id:
            raise TicketReferenceError(N_("%(system)s %(ref)s already names another ticket"), field="ref", code="taken",
                                 conflict=True, system=system, ref=ref)
        return found

    @staticmethod
    def find(session: Session, system: str, ref: str) -> Ticket | None:
        """The ticket another system's record names."""
        return session.scalar(select(Ticket).join(TicketReference).where(
            TicketReference.system == system.strip().lower(), TicketReference.ref == ref.strip()))


def _checked(system: str, ref: str, url: str | None) -> tuple[str, str, str | None]:
    system, ref = system.strip().lower(), ref.strip()
    if not SYSTEM.match(system):
        raise TicketReferenceError(N_("a system's name is lower-case letters, digits, - and _ (at most 40)"),
                             field="system", code="bad_system")
    if not ref or len(ref) > 200 or not ref.isprintable():
        raise TicketReferenceError(N_("a reference of 1-200 printable characters"), field="ref", code="bad_ref")
    if url is not None:
        url = url.strip()
        if not url.startswith(("https://", "http://")) or len(url) > 2000 or not url.isprintable() or " " in url:
            raise TicketReferenceError(N_("a link starts with https:// or http://, on one line"), field="url",
                                 code="bad_url")
    return system, ref, url or None
