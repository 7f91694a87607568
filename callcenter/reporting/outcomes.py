"""Calls closed at the desk with "no ticket needed", counted by their reason, for the reports page and its CSV.

The reason is a wrap-up code (table ``wrapup_codes``) stored on the call
(``Call.no_ticket_reason``) by the desk; counted over the same calls as every
other figure (``ReportFilter.calls``: period, queues, agent, team).  A code
since deleted from the list still counts, under its code.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Call, WrapupCode
from .figures import ReportFilter


@dataclass
class NoTicketReason:
    code: str
    label: str  # English
    label_zh: str  # Simplified Chinese ("" if the list has none: show the English)
    calls: int

    def label_in(self, language: str) -> str:
        return (self.label_zh if language == "zh" else "") or self.label


def no_ticket_reasons(session: Session, f: ReportFilter) -> list[NoTicketReason]:
    """Each reason given for a call that needed no ticket, with its number of calls, the most frequent first."""
    counts = session.execute(f.calls(select(Call.no_ticket_reason, func.count())
                                     .where(Call.no_ticket_reason.is_not(None))
                                     .group_by(Call.no_ticket_reason))).tuples().all()
    codes = {row.code: row for row in session.scalars(select(WrapupCode).where(
        WrapupCode.code.in_([c for c, _ in counts])))}
    found = [NoTicketReason(code, codes[code].label if code in codes else code,
                            codes[code].label_zh if code in codes else "", n) for code, n in counts if code]
    return sorted(found, key=lambda r: (-r.calls, r.code))
