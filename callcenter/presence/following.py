"""An admin changed a signed-in agent's profile: their presence row follows, in the admin's transaction.

Queues taken away are left and queues added are joined (the next call
routes accordingly); when no queue is left, or the phone they signed in
with is no longer theirs, they are signed out.  The database says it
first; the AMI bridge's keeper then puts Asterisk right
(``PresenceService.follow_profile``), and a reconnect re-applies it.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..models import AgentPresence, AgentProfile, PresenceState, utcnow
from .history import move
from .service import PresenceService


def follow(service: PresenceService, session: Session, user_id: int, before: dict[str, int],
           after: dict[str, int], actor: Actor) -> AgentPresence | None:
    """Change a signed-in agent's row as the new profile says (``before``/``after``: its queues, name ->
    penalty); audited, and the desk is told.  None: the agent is not signed in."""
    row = service.current(session, user_id, lock=True)
    if row is None or row.state is PresenceState.SIGNED_OUT:
        return None
    old = list(row.queues or [])
    new = _queues(service, session, row, before, after)
    if new == old:
        return row
    row.queues = new
    if not new:
        move(session, row, PresenceState.SIGNED_OUT, utcnow())
    audit.record(session, "presence_queues_changed", actor, object_type="user", object_id=row.user_id,
                 state=row.state.value, old=old, new=new)
    service.notifier.changed(session, row, row.phone)
    return row


def _queues(service: PresenceService, session: Session, row: AgentPresence, before: dict[str, int],
            after: dict[str, int]) -> list[str]:
    profile = session.scalar(select(AgentProfile).where(AgentProfile.user_id == row.user_id))
    if profile is None or row.phone not in service.phones(profile).values():
        return []  # the phone they signed in with is no longer theirs
    old = list(row.queues or [])
    return [q for q in old if q in after] + [q for q in after if q not in before and q not in old]
