"""Agent states: the desk's choices and the bridge's facts, each through Asterisk, the database, audit and an event.

The agent signs in to some of their queues on one phone (the browser
softphone or the desk phone), becomes available, pauses with a reason code
or signs out.  The AMI bridge reports the queue calls: on the answer the
phone is paused (the call itself goes on), so when the call ends Asterisk
cannot ring it again before the wrap-up is in force; the wrap-up then lasts
until the agent submits the intake form, presses Ready, or its deadline
(stored here, so it survives restarts of every process) passes.

Asterisk is asked first: if it refuses or the link is down, nothing is
written and the caller gets ``PresenceUnavailable``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..config import PresenceSettings
from ..models import (
    AgentPresence,
    AgentProfile,
    AgentQueue,
    Call,
    FormSubmission,
    PresenceState,
    Queue,
    SubmissionStatus,
    User,
    utcnow,
)
from ..pbx import webrtc
from ..pops.service import closed_by
from . import members
from .errors import PresenceError, PresenceUnavailable
from .history import move
from .members import HOLD_REASON, Link, asterisk_pause, member_name
from .notifier import PresenceNotifier

log = logging.getLogger(__name__)
PHONES = ("browser", "desk")


@dataclasses.dataclass
class PresenceService:
    settings: PresenceSettings
    pbx: str
    notifier: PresenceNotifier
    link: Link
    softphone: bool = True

    def with_link(self, link: Link) -> PresenceService:
        """The same service acting through another AMI link (the bridge's own)."""
        return dataclasses.replace(self, link=link)

    # -- reading ------------------------------------------------------------------
    def current(self, session: Session, user_id: int, lock: bool = False) -> AgentPresence | None:
        return session.get(AgentPresence, user_id, with_for_update=lock)

    def phones(self, profile: AgentProfile) -> dict[str, str]:
        """The phones this agent may sign in with: browser / desk -> interface."""
        found = {}
        if self.softphone and profile.extension:
            found["browser"] = webrtc.interface(profile.extension)
        if profile.sip_interface:
            found["desk"] = profile.sip_interface
        return found

    def queues(self, session: Session, profile: AgentProfile) -> dict[str, int]:
        """The agent's queues (queue name -> penalty), from AgentProfile.queues."""
        rows = session.execute(select(Queue.name, AgentQueue.penalty).join(AgentQueue.queue)
                               .where(AgentQueue.agent_id == profile.id).order_by(Queue.name))
        return dict(rows.tuples().all())

    def reason_label(self, code: str | None, language: str = "en") -> str:
        found = self.settings.pause_codes.get(code or "")
        if found is None:
            return code or ""
        return found.zh if language == "zh" else found.en

    # -- the desk -----------------------------------------------------------------
    def sign_in(self, session: Session, actor: Actor, phone: str, queues: list[str]) -> AgentPresence:
        """Join the chosen queues on the chosen phone; changes queues or phone if already signed in."""
        user, profile = self._agent(session, actor)
        phones = self.phones(profile)
        if phone not in PHONES:
            raise PresenceError(f"phone must be one of {', '.join(PHONES)}", "phone", "bad_phone")
        if phone not in phones:
            raise PresenceError(f"you have no {phone} phone set up", "phone", f"no_{phone}_phone")
        mine = self.queues(session, profile)
        chosen = list(dict.fromkeys(queues))
        if not chosen:
            raise PresenceError("choose at least one queue", "queues", "no_queues")
        strangers = [q for q in chosen if q not in mine]
        if strangers:
            raise PresenceError(f"not one of your queues: {', '.join(strangers)}", "queues", "not_your_queue",
                                queues=", ".join(strangers))
        interface = phones[phone]
        row = self.current(session, user.id, lock=True)
        if row is None:
            row = AgentPresence(user_id=user.id, state=PresenceState.SIGNED_OUT, pbx=self.pbx, queues=[],
                                since=utcnow())
            session.add(row)
            session.flush()
        signed_in = row.state is not PresenceState.SIGNED_OUT
        state = row.state if signed_in else PresenceState.AVAILABLE
        paused, reason = asterisk_pause(state, row.reason if signed_in else None, self.settings)
        drop = [q for q in (row.queues or []) if q not in chosen or row.phone != interface] if signed_in else []
        if drop and row.phone:
            self._act(row.pbx, members.leave(row.phone, drop))
        self._act(self.pbx, members.join(interface, [(q, mine[q]) for q in chosen], member_name(user),
                                         paused, reason))
        row.phone, row.pbx, row.queues = interface, self.pbx, chosen
        move(session, row, state, utcnow(), reason=row.reason if signed_in else None,
             wrapup_until=row.wrapup_until if signed_in else None)
        self._changed(session, row, actor, "presence_sign_in", phone=interface, queues=chosen)
        return row

    def sign_out(self, session: Session, actor: Actor) -> AgentPresence:
        row = self._signed_in(session, actor)
        if row.phone and row.queues:
            self._act(row.pbx, members.leave(row.phone, list(row.queues)))
        left = list(row.queues or [])
        row.queues = []
        move(session, row, PresenceState.SIGNED_OUT, utcnow())
        self._changed(session, row, actor, "presence_sign_out", queues=left)
        return row

    def available(self, session: Session, actor: Actor) -> AgentPresence:
        """Take calls again (after a pause or a wrap-up)."""
        row = self._signed_in(session, actor)
        if row.state is PresenceState.ON_CALL:
            raise PresenceError("you are on a call; you become available after its wrap-up", "state", "on_call")
        self._set(session, row, PresenceState.AVAILABLE)
        self._changed(session, row, actor, "presence_available")
        return row

    def pause(self, session: Session, actor: Actor, reason: str) -> AgentPresence:
        if reason not in self.settings.pause_codes:
            raise PresenceError(f"unknown pause reason {reason[:20]!r}; choose one of "
                                f"{', '.join(self.settings.pause_codes)}", "reason", "unknown_reason",
                                reason=reason[:20])
        row = self._signed_in(session, actor)
        self._set(session, row, PresenceState.PAUSED, reason)
        self._changed(session, row, actor, "presence_pause", reason=reason)
        return row

    def ready(self, session: Session, actor: Actor) -> AgentPresence:
        """End the wrap-up early (the desk's Ready button)."""
        row = self._signed_in(session, actor)
        if row.state is not PresenceState.WRAP_UP:
            raise PresenceError("you are not in wrap-up", "state", "not_wrap_up")
        return self.available(session, actor)

    # -- the intake form ------------------------------------------------------------
    def form_submitted(self, session: Session, agent_id: int) -> None:
        """The agent's intake form is in: a wrap-up ends now (a call still up ends without one)."""
        row = self.current(session, agent_id, lock=True)
        if row is None or row.state is not PresenceState.WRAP_UP:
            return
        try:
            self._set(session, row, PresenceState.AVAILABLE)
        except PresenceUnavailable as exc:  # the ticket matters more: the bridge ends it on its next tick
            log.warning("presence: could not end %s's wrap-up now (%s); the AMI bridge will", agent_id, exc)
            row.wrapup_until = utcnow()
            return
        self.notifier.changed(session, row, row.phone)

    # -- the AMI bridge ----------------------------------------------------------------
    def call_answered(self, session: Session, pbx: str, interface: str) -> AgentPresence | None:
        """A queue call was answered on a desk-managed phone: hold it out of the queues from now."""
        row = self._by_phone(session, pbx, interface, (PresenceState.AVAILABLE, PresenceState.WRAP_UP))
        if row is None:
            return None
        if self.settings.wrapup_seconds:
            self._hold(session, row, True, HOLD_REASON)
        move(session, row, PresenceState.ON_CALL, utcnow())
        self.notifier.changed(session, row, interface)
        return row

    def call_completed(self, session: Session, pbx: str, interface: str, linkedid: str) -> AgentPresence | None:
        """The queue call ended: wrap-up until the deadline, unless its form is already in."""
        row = self._by_phone(session, pbx, interface, (PresenceState.ON_CALL, PresenceState.AVAILABLE))
        if row is None:
            return None
        now = utcnow()
        if not self.settings.wrapup_seconds or self._form_done(session, row.user_id, pbx, linkedid):
            self._set(session, row, PresenceState.AVAILABLE)
        else:
            if row.state is PresenceState.AVAILABLE:  # the hold at the answer never landed
                self._hold(session, row, True, HOLD_REASON)
            move(session, row, PresenceState.WRAP_UP, now,
                 wrapup_until=now + dt.timedelta(seconds=self.settings.wrapup_seconds))
        self.notifier.changed(session, row, interface)
        return row

    def expire_wrapups(self, session: Session, pbx: str) -> list[int]:
        """Wrap-ups whose deadline passed end (even with nobody at the desk); their user ids."""
        rows = session.scalars(select(AgentPresence).where(
            AgentPresence.pbx == pbx, AgentPresence.state == PresenceState.WRAP_UP,
            AgentPresence.wrapup_until <= utcnow()).with_for_update()).all()
        for row in rows:
            self._set(session, row, PresenceState.AVAILABLE)
            self.notifier.changed(session, row, row.phone)
        return [r.user_id for r in rows]

    def next_wrapup_end(self, session: Session, pbx: str) -> dt.datetime | None:
        return session.scalar(select(func.min(AgentPresence.wrapup_until)).where(
            AgentPresence.pbx == pbx, AgentPresence.state == PresenceState.WRAP_UP))

    def reapply(self, session: Session, pbx: str) -> int:
        """After a (re)connect: every phone's membership and pause as the database says; how many are in."""
        rows = session.scalars(select(AgentPresence).where(
            AgentPresence.pbx == pbx, AgentPresence.phone.is_not(None)).with_for_update()).all()
        signed_in = [row for row in rows if row.state is not PresenceState.SIGNED_OUT]
        for row in signed_in:
            if row.state is PresenceState.ON_CALL:  # its end may have been missed: wrap up from now
                now = utcnow()
                move(session, row, PresenceState.WRAP_UP, now,
                     wrapup_until=now + dt.timedelta(seconds=self.settings.wrapup_seconds))
        self._reconcile(session, pbx, rows)
        return len(signed_in)

    # -- the admin changed an agent's profile (presence/following.py changes the row) ------
    def follow_profile(self, session: Session, pbx: str, user_id: int) -> AgentPresence | None:
        """Asterisk's membership of this agent's phone made what the database says (the bridge's side)."""
        row = self.current(session, user_id, lock=True)
        if row is None or row.pbx != pbx or not row.phone:
            return None
        self._reconcile(session, pbx, [row])
        return row

    # -- helpers ------------------------------------------------------------------------
    def _agent(self, session: Session, actor: Actor) -> tuple[User, AgentProfile]:
        user = actor.user
        profile = session.scalar(select(AgentProfile).where(AgentProfile.user_id == user.id)) if user else None
        if user is None or profile is None:
            raise PresenceError("only agents with an agent profile sign in to queues", None, "not_agent")
        return user, profile

    def _signed_in(self, session: Session, actor: Actor) -> AgentPresence:
        user, _ = self._agent(session, actor)
        row = self.current(session, user.id, lock=True)
        if row is None or row.state is PresenceState.SIGNED_OUT:
            raise PresenceError("sign in to your queues first", "state", "signed_out")
        return row

    def _by_phone(self, session: Session, pbx: str, interface: str,
                  states: tuple[PresenceState, ...]) -> AgentPresence | None:
        return session.scalar(select(AgentPresence).where(
            AgentPresence.pbx == pbx, AgentPresence.phone == interface, AgentPresence.state.in_(states))
            .with_for_update())

    def _hold(self, session: Session, row: AgentPresence, paused: bool, reason: str) -> None:
        """The row's phone in each of its queues (penalty and name as at sign-in), paused or not."""
        if not row.phone or not row.queues:
            return
        profile = session.scalar(select(AgentProfile).where(AgentProfile.user_id == row.user_id))
        mine = self.queues(session, profile) if profile else {}
        user = session.get(User, row.user_id)
        self._act(row.pbx, members.join(row.phone, [(q, mine.get(q, 0)) for q in row.queues],
                                        member_name(user), paused, reason))

    def _reconcile(self, session: Session, pbx: str, rows: Sequence[AgentPresence]) -> None:
        wanted: dict[str, members.Wanted | None] = {}
        for row in rows:
            profile = session.scalar(select(AgentProfile).where(AgentProfile.user_id == row.user_id))
            if row.phone and row.state is not PresenceState.SIGNED_OUT and row.queues and profile is not None:
                mine = self.queues(session, profile)
                paused, reason = asterisk_pause(row.state, row.reason, self.settings)
                wanted[row.phone] = members.Wanted(tuple((q, mine.get(q, 0)) for q in row.queues),
                                                   member_name(session.get(User, row.user_id)), paused, reason)
            elif row.phone:
                wanted.setdefault(row.phone, None)
        if wanted:
            self._act(pbx, members.reconcile(wanted))

    def _form_done(self, session: Session, agent_id: int, pbx: str, linkedid: str) -> bool:
        """The agent's form for the call is in, or they closed it otherwise (attached, no ticket needed)."""
        return bool(session.scalar(select(exists().where(
            FormSubmission.agent_id == agent_id, FormSubmission.status == SubmissionStatus.SUBMITTED,
            FormSubmission.call_id == select(Call.id).where(Call.pbx == pbx, Call.linkedid == linkedid)
            .scalar_subquery())))) or closed_by(session, agent_id, pbx, linkedid)

    def _set(self, session: Session, row: AgentPresence, state: PresenceState, reason: str | None = None) -> None:
        """Pause or unpause in Asterisk, then record the new state."""
        self._hold(session, row, *asterisk_pause(state, reason, self.settings))
        move(session, row, state, utcnow(), reason=reason)

    def _act(self, pbx: str, work: members.Work) -> object:
        try:
            return self.link(pbx, work)
        except (ConnectionError, TimeoutError, RuntimeError) as exc:
            raise PresenceUnavailable(f"the phone system did not take it ({exc}); nothing was changed", None,
                                      "unavailable") from exc

    def _changed(self, session: Session, row: AgentPresence, actor: Actor, action: str, **detail: Any) -> None:
        audit.record(session, action, actor, object_type="user", object_id=row.user_id,
                     state=row.state.value, **detail)
        self.notifier.changed(session, row, row.phone)

