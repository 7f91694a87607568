"""Pops kept on the server until handled: stored at the ring, moved as the call goes on.

Every web process hears the bridge's events.  Those with the agent's desk
open store the ring's pop (``record``: one row per agent and call, whoever
gets there first) and move it: a ring that stopped or was answered
elsewhere is withdrawn; a call this agent answered stays, even after the
caller hangs up, until the agent handles it (``handle``: a ticket filed,
the call attached to a ticket, or "no ticket needed"), which publishes
``PopHandled`` so every tab of theirs, in every process, drops it.

Events reach each process in the order they were published, but not at
the same moment.  So a move applies only to a pop rung before the event
(``event_at`` in its payload, the publisher's clock): a slow process that
stores a ring late never reopens a pop another process has withdrawn, and
a new ring of the same call (the queue tries the agent again) reopens it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ..db import insert
from ..models import OPEN_POP_STATES, Call, DeskPop, PopState, utcnow
from .notifier import PopNotifier

# How a pop was handled.
TICKET, ATTACHED, NO_TICKET = "ticket", "attached", "no_ticket"
# A pop the agent never took stays closed unless a newer ring reopens it.
REOPENABLE = (PopState.WITHDRAWN, PopState.HANDLED)
# The call ended: a ring nobody here answered goes; an answered call waits for its ticket or reason.
AFTER_END = {PopState.RINGING: PopState.WITHDRAWN, PopState.ANSWERED: PopState.ENDED}
Rule = Callable[[DeskPop], PopState | None]


def key_of(pbx: str, linkedid: str) -> str:
    """The pop's key: the call as the bridge names it, the same in every process and tab."""
    return f"{pbx}:{linkedid}"


def rung_at(pop: DeskPop) -> float:
    return float((pop.payload or {}).get("event_at") or 0.0)


@dataclass(frozen=True)
class Move:
    """Where one agent's pop of a call stands after an event (whether this process or another moved it)."""

    user_id: int
    key: str
    state: PopState


class PopService:
    def __init__(self, notifier: PopNotifier) -> None:
        self.notifier = notifier

    # -- the ring ----------------------------------------------------------------------------------
    def record(self, session: Session, *, user_id: int, call_id: int, key: str,
               payload: dict[str, Any]) -> DeskPop:
        """Store the pop of a ring; the row as it stands now (maybe stored, and moved on, by another process)."""
        rung = float(payload.get("event_at") or 0.0)
        # Pops are built side by side: the ring's own time keeps the agent's queue in ring order.
        at = dt.datetime.fromtimestamp(rung, dt.UTC) if rung else utcnow()
        row = _ringing(session, user_id, call_id, key, payload, at)
        if row.state in REOPENABLE and rung > rung_at(row):
            row.state, row.payload, row.created_at = PopState.RINGING, payload, at
            row.outcome = row.ticket_id = row.handled_at = None
        return row

    # -- the call goes on --------------------------------------------------------------------------
    def answered(self, session: Session, key: str, by: int | None, at: float | None = None) -> list[Move]:
        """Someone answered: their pop is answered, every other ringing one withdrawn."""
        return self._move(session, key, at, lambda p: None if p.state is not PopState.RINGING
                          else PopState.ANSWERED if p.user_id == by else PopState.WITHDRAWN)

    def ring_stopped(self, session: Session, key: str, user_id: int, at: float | None = None) -> list[Move]:
        """The agent did not answer and the queue rang on: their pop goes."""
        return self._move(session, key, at, lambda p: PopState.WITHDRAWN
                          if p.user_id == user_id and p.state is PopState.RINGING else None)

    def ended(self, session: Session, key: str, at: float | None = None) -> list[Move]:
        return self._move(session, key, at, lambda p: AFTER_END.get(p.state))

    def _move(self, session: Session, key: str, at: float | None, rule: Rule) -> list[Move]:
        moves = []
        for row in session.scalars(select(DeskPop).where(DeskPop.key == key).order_by(DeskPop.id).with_for_update()):
            new = rule(row) if at is None or rung_at(row) <= at else None
            if new is not None:
                _set_state(row, new)
            moves.append(Move(row.user_id, key, row.state))
        return moves

    # -- the agent's side --------------------------------------------------------------------------
    def handle(self, session: Session, user_id: int, call: Call, outcome: str,
               ticket_id: int | None = None) -> DeskPop | None:
        """The agent is done with the call's pop; PopHandled leaves when the transaction commits.  None if the
        call never popped on their desk (a form opened from elsewhere): no tab shows it, nothing to tell."""
        row = session.scalars(select(DeskPop).where(
            DeskPop.user_id == user_id, DeskPop.key == key_of(call.pbx, call.linkedid)).with_for_update()).first()
        if row is None or (row.state, row.outcome, row.ticket_id) == (PopState.HANDLED, outcome, ticket_id):
            return row  # (the same outcome again, from a second click or tab: nothing new to tell)
        _set_state(row, PopState.HANDLED)
        row.outcome, row.ticket_id, row.handled_at = outcome, ticket_id, utcnow()
        self.notifier.handled(session, row)
        return row

    def open_pops(self, session: Session, user_id: int) -> list[DeskPop]:
        """The agent's pops still to handle, oldest first.  A pop whose call ended while every process
        that moves it was away is settled here from the call's row."""
        rows = session.execute(select(DeskPop, Call.ended_at, Call.agent_id).join(Call, Call.id == DeskPop.call_id)
                               .where(DeskPop.user_id == user_id, DeskPop.state.in_(OPEN_POP_STATES))
                               .order_by(DeskPop.created_at, DeskPop.id)).tuples().all()
        kept = []
        for pop, ended_at, answered_by in rows:
            if ended_at is not None and pop.state is not PopState.ENDED:
                answered = pop.state is PopState.ANSWERED or answered_by == user_id
                _set_state(pop, PopState.ENDED if answered else PopState.WITHDRAWN)
            if pop.state in OPEN_POP_STATES:
                kept.append(pop)
        return kept

    @staticmethod
    def popped_to(session: Session, user_id: int, pbx: str, linkedid: str) -> bool:
        """Whether the call rang this agent's desk (their form for it is theirs to fill)."""
        return session.scalar(select(DeskPop.id).where(DeskPop.user_id == user_id,
                                                       DeskPop.key == key_of(pbx, linkedid))) is not None


def closed_by(session: Session, user_id: int, pbx: str, linkedid: str) -> bool:
    """Whether the agent closed the call without a form: no ticket needed, or its pop handled (attached)."""
    pop_handled = exists().where(DeskPop.user_id == user_id, DeskPop.key == key_of(pbx, linkedid),
                                 DeskPop.state == PopState.HANDLED)
    no_ticket = exists().where(Call.pbx == pbx, Call.linkedid == linkedid, Call.no_ticket_by_id == user_id)
    return bool(session.scalar(select(or_(pop_handled, no_ticket))))


def _set_state(pop: DeskPop, state: PopState) -> None:
    """A closed pop keeps only when it rang (for the order of late events), not the caller's details."""
    pop.state = state
    if state not in OPEN_POP_STATES and set(pop.payload or {}) - {"event_at"}:
        pop.payload = {"event_at": rung_at(pop)}


def _ringing(session: Session, user_id: int, call_id: int, key: str, payload: dict[str, Any],
             at: dt.datetime) -> DeskPop:
    """The (user, key) row, stored ringing if missing (once, even when processes race), locked: one statement,
    an upsert that returns the row either way (the pop path pays one round trip for it)."""
    stmt = insert(session, DeskPop).values(user_id=user_id, call_id=call_id, key=key, state=PopState.RINGING,
                                           payload=payload, created_at=at, updated_at=utcnow())
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "key"], set_={"updated_at": utcnow()})
    row: DeskPop = session.scalars(stmt.returning(DeskPop), execution_options={"populate_existing": True}).one()
    return row
