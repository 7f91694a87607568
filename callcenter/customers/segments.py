"""Segments: saved filters on customers' tags and fields, and what a member gets.

A segment gives its members a queue priority in the IVR (the higher of it and the VIP tier's), senior
agents first, and a stricter SLA (the shorter of its minutes and the policy's).  The IVR asks on every
call, so the few segments are held in memory for ``hold_seconds`` and matched in Python against the
customer's tags and fields: one query for the tags, none for the segments.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Customer, Segment, VipTier
from .tags import active, clean


class SegmentError(Refusal):
    """A segment the service refuses."""


@dataclass(frozen=True)
class Rule:
    """A segment as matching needs it (no session)."""

    id: int
    name: str
    name_zh: str
    tags_all: frozenset[str]
    tags_any: frozenset[str]
    vip_tiers: frozenset[str]
    languages: frozenset[str]
    queue_priority: int
    senior: bool
    first_response_minutes: int | None
    resolution_minutes: int | None

    def holds(self, tags: set[str], vip: str, language: str) -> bool:
        if not self.tags_all <= tags:
            return False
        if self.tags_any and not self.tags_any & tags:
            return False
        if self.vip_tiers and vip not in self.vip_tiers:
            return False
        return not self.languages or language in self.languages

    @classmethod
    def of(cls, row: Segment) -> Rule:
        return cls(row.id, row.name, row.name_zh, frozenset(row.tags_all or ()), frozenset(row.tags_any or ()),
                   frozenset(row.vip_tiers or ()), frozenset(row.languages or ()), row.queue_priority, row.senior,
                   row.first_response_minutes, row.resolution_minutes)


@dataclass(frozen=True)
class Membership:
    """What a customer's segments give them together."""

    segments: tuple[Rule, ...] = ()

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.segments]

    @property
    def queue_priority(self) -> int:
        return max((s.queue_priority for s in self.segments), default=0)

    @property
    def senior(self) -> bool:
        return any(s.senior for s in self.segments)

    @property
    def sla_minutes(self) -> tuple[int | None, int | None]:
        """(first response, resolution): the strictest any segment asks, None where none asks."""
        first = [s.first_response_minutes for s in self.segments if s.first_response_minutes]
        resolution = [s.resolution_minutes for s in self.segments if s.resolution_minutes]
        return (min(first) if first else None, min(resolution) if resolution else None)


NOBODY = Membership()


class Segments:
    def __init__(self, hold_seconds: float = 10.0) -> None:
        self.hold_seconds = hold_seconds
        self._held: tuple[float, list[Rule]] | None = None
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._held = None

    def all(self, session: Session) -> list[Rule]:
        with self._lock:
            held = self._held
        if held is not None and time.monotonic() - held[0] < self.hold_seconds:
            return held[1]
        found = [Rule.of(r) for r in session.scalars(select(Segment).order_by(Segment.name))]
        with self._lock:
            self._held = (time.monotonic(), found)
        return found

    def of_customer(self, session: Session, customer_id: int | None, tags: list[str] | None = None) -> Membership:
        """The segments a customer is in now (``tags``: their active tags, when the caller has them)."""
        if customer_id is None:
            return NOBODY
        rules = self.all(session)
        if not rules:
            return NOBODY
        row = session.execute(select(Customer.vip_tier, Customer.language).where(Customer.id == customer_id)).first()
        if row is None:
            return NOBODY
        have = set(tags if tags is not None else active(session, customer_id))
        vip = row.vip_tier.value if isinstance(row.vip_tier, VipTier) else str(row.vip_tier)
        return Membership(tuple(r for r in rules if r.holds(have, vip, row.language or "")))

    # -- what admins change ---------------------------------------------------------------------
    def save(self, session: Session, actor: Actor, values: dict[str, object], segment: Segment | None = None
             ) -> Segment:
        """Create or change a segment from the admin's form; audited."""
        name = str(values.get("name", "")).strip()
        if not name or len(name) > 80:
            raise SegmentError(N_("A segment needs a name (at most 80 characters)."), field="name", code="required")
        clash = session.scalar(select(Segment.id).where(Segment.name == name))
        if clash is not None and (segment is None or clash != segment.id):
            raise SegmentError(N_("There is already a segment called %(name)s."), field="name", code="taken",
                               name=name)
        tags_all, tags_any = _tags(values.get("tags_all"), "tags_all"), _tags(values.get("tags_any"), "tags_any")
        tiers = [t for t in _words(values.get("vip_tiers")) if t]
        bad = [t for t in tiers if t not in {v.value for v in VipTier}]
        if bad:
            raise SegmentError(N_("Not a VIP tier: %(tier)s."), field="vip_tiers", code="bad_tier", tier=bad[0])
        if not (tags_all or tags_any or tiers):
            raise SegmentError(N_("A segment needs at least one tag or VIP tier to match."), field="tags_all",
                               code="empty")
        fields = {"name": name, "name_zh": str(values.get("name_zh", "")).strip()[:80], "tags_all": tags_all,
                      "tags_any": tags_any, "vip_tiers": tiers,
                      "languages": [w for w in _words(values.get("languages")) if w][:10],
                      "queue_priority": _number(values.get("queue_priority"), "queue_priority", 0, 100) or 0,
                      "senior": bool(values.get("senior")),
                      "first_response_minutes": _number(values.get("first_response_minutes"),
                                                     "first_response_minutes", 1, 100000),
                      "resolution_minutes": _number(values.get("resolution_minutes"), "resolution_minutes", 1, 1000000),
                      "note": str(values.get("note", "")).strip()[:500]}
        created = segment is None
        if segment is None:
            segment = Segment(**fields)
            session.add(segment)
        else:
            for key, value in fields.items():
                setattr(segment, key, value)
        session.flush()
        audit.record(session, "segment_created" if created else "segment_changed", actor, object_type="segment",
                     object_id=segment.id, name=name, tags_all=tags_all, tags_any=tags_any, vip_tiers=tiers,
                     queue_priority=segment.queue_priority, senior=segment.senior,
                     first_response_minutes=segment.first_response_minutes,
                     resolution_minutes=segment.resolution_minutes)
        self.forget()
        return segment

    def delete(self, session: Session, actor: Actor, segment: Segment) -> None:
        audit.record(session, "segment_deleted", actor, object_type="segment", object_id=segment.id,
                     name=segment.name)
        session.delete(segment)
        self.forget()


def _words(raw: object) -> list[str]:
    if isinstance(raw, (list, tuple)):
        return [str(w).strip() for w in raw]
    return [w.strip() for w in str(raw or "").replace("，", ",").split(",")]


def _tags(raw: object, field: str) -> list[str]:
    try:
        return list(dict.fromkeys(clean(w) for w in _words(raw) if w))[:20]
    except Refusal as exc:
        raise SegmentError(exc.template, field=field, code=exc.code, **exc.params) from None


def _number(raw: object, field: str, low: int, high: int) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise SegmentError(N_("Give a whole number from %(low)s to %(high)s."), field=field, code="bad_number",
                           low=low, high=high)
    return int(text)
