"""The verdict: every call the PBX answered has exactly one closed record,
every acknowledged ticket and every callback a caller booked is stored."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.models import Call, Callback, Ticket, Transcript


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def calls(session_factory: sessionmaker[Session], placed: set[str]) -> dict[str, Any]:
    """Rows per placed number: none (missing), one, several (duplicates)."""
    with session_factory() as s:
        rows = s.execute(select(Call.caller_number, Call.status, Call.ended_at, Call.pbx)
                         .where(Call.direction == "inbound")).all()
    per_number = Counter(r.caller_number for r in rows)
    ours = [r for r in rows if r.caller_number in placed]
    closed = [r for r in ours if r.status.value != "active" and r.ended_at is not None]
    return {
        "placed": len(placed),
        "records": len(ours),
        "records_closed": len(closed),
        "records_complete": sum(r.status.value == "complete" for r in closed),
        "records_interrupted": sum(r.status.value == "interrupted" for r in closed),
        "records_still_active": len(ours) - len(closed),
        "missing": sorted(n for n in placed if per_number[n] == 0),
        "duplicates": sum(c - 1 for n, c in per_number.items() if n in placed and c > 1),
        "records_total_inbound": len(rows),
        "records_by_pbx": dict(sorted(Counter(r.pbx for r in ours).items())),
    }


def open_records(session_factory: sessionmaker[Session], placed: set[str]) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(Call).where(
            Call.caller_number.in_(placed or {""}), Call.status == "active")) or 0


def tickets(session_factory: sessionmaker[Session], acked: dict[str, str]) -> dict[str, Any]:
    with session_factory() as s:
        rows = s.execute(select(Ticket.subject, Ticket.number)
                         .where(Ticket.subject.like("soak ticket %"))).all()
    stored = {r.number for r in rows}
    per_subject = Counter(r.subject for r in rows)
    return {"tickets_acked": len(acked),
            "tickets_lost": sorted(n for n in acked.values() if n not in stored),
            "ticket_duplicates": sum(c - 1 for c in per_subject.values() if c > 1)}


def callbacks(session_factory: sessionmaker[Session], booked: set[str]) -> dict[str, Any]:
    with session_factory() as s:
        numbers = list(s.scalars(select(Callback.number)))
    per_number = Counter(numbers)
    return {"callbacks_booked": len(booked),
            "callbacks_stored": sum(per_number[n] > 0 for n in booked),
            "callbacks_lost": sorted(n for n in booked if per_number[n] == 0),
            "callback_duplicates": sum(c - 1 for c in per_number.values() if c > 1)}


def transcripts(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as s:
        counts = dict(s.execute(select(Transcript.status, func.count()).group_by(Transcript.status)).tuples().all())
    out = {getattr(status, "value", status): n for status, n in counts.items()}
    out["backlog"] = out.get("queued", 0) + out.get("running", 0)
    return out
