"""Calls closed at the desk with "no ticket needed", by reason: counted for the reports, named for the homes.

The reason is a wrap-up code (table ``wrapup_codes``) stored on the call
(``Call.no_ticket_reason``) by the desk; counted over the same calls as every
other figure (``ReportFilter.calls``: period, queues, agent, team).  A code
since deleted from the list still counts, under its code.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Call, WrapupCode
from .figures import ReportFilter


@dataclass(frozen=True)
class Reason:
    code: str
    label: str  # English
    label_zh: str = ""  # Simplified Chinese ("": say it in English)

    def label_in(self, language: str) -> str:
        return (self.label_zh if language == "zh" else "") or self.label


@dataclass(frozen=True)
class NoTicketReason(Reason):
    calls: int = 0


def reasons(session: Session, codes: Iterable[str]) -> dict[str, Reason]:
    """Each code with its labels; a code no longer in the list is its own label."""
    wanted = {c for c in codes if c}
    found = {row.code: Reason(row.code, row.label, row.label_zh)
             for row in session.scalars(select(WrapupCode).where(WrapupCode.code.in_(wanted)))}
    return {code: found.get(code, Reason(code, code)) for code in wanted}


def no_ticket_reasons(session: Session, f: ReportFilter) -> list[NoTicketReason]:
    """Each reason given for a call that needed no ticket, with its number of calls, the most frequent first."""
    counts = session.execute(f.calls(select(Call.no_ticket_reason, func.count())
                                     .where(Call.no_ticket_reason.is_not(None))
                                     .group_by(Call.no_ticket_reason))).tuples().all()
    named = reasons(session, (code for code, _ in counts if code))
    found = [NoTicketReason(code, named[code].label, named[code].label_zh, n) for code, n in counts if code]
    return sorted(found, key=lambda r: (-r.calls, r.code))
