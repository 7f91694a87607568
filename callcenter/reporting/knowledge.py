"""What the knowledge base did for the centre: answers that closed a question, the articles used and refused,
and the questions it could not answer.

Definitions (shown beside each table), over the report's period and filter:
* answer offered: a call whose caller heard an article in the IVR's self-service
  (a suggestion logged with context "ivr"), or a ticket answered automatically
  (an auto-reply sent in the period);
* deflected: an IVR call the caller said was solved (the suggestion marked
  helpful), or an auto-reply the customer accepted;
* deflection rate: deflected / answers offered (auto-replies still waiting count as offered);
* top articles: per article, suggestions logged, links and inserts by agents,
  answers accepted (auto-replies accepted and IVR answers that solved it), and
  the share of "helpful" among every helpful / not helpful mark;
* often rejected: auto-replies rejected or left unanswered, and "not helpful"
  marks (an auto-reply's own mark is counted once, as the auto-reply), over
  every answer judged (accepted, rejected, expired, marked);
* knowledge gaps: tickets of the period whose best suggestion logged for the
  ticket (context "ticket") was below ``gap_below``, or that got none.
A team's figures count the tickets and calls of its queues, team and members
(as in ``figures``); an IVR answer also counts for the team whose queue the
IVR menu sends its category to, since a caller it solved never reached a queue.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from ..access.visibility import team_queues
from ..models import (
    Article,
    AutoReply,
    AutoReplyState,
    Call,
    LinkKind,
    Queue,
    Suggestion,
    Ticket,
    TicketArticle,
)
from .figures import ReportFilter
from .topics import Topic, cluster

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
FOREVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
TOP = 20
GAP_ROWS = 200
GAP_TOPICS_FROM = 5000  # gap subjects grouped into topics at most


def _all_time(f: ReportFilter) -> ReportFilter:
    """The same queues, team and agent, at any time: which tickets and calls are the team's."""
    return dataclasses.replace(f, start=EPOCH, end=FOREVER)


def _narrowed(f: ReportFilter) -> bool:
    return bool(f.queue_ids) or f.agent_id is not None or f.teams() is not None


def _queue_names(session: Session, f: ReportFilter) -> set[str]:
    """The names of the queues the filter covers (an agent's figures have no queues of their own)."""
    if f.agent_id is not None:
        return set()
    query = select(Queue.name)
    if f.queue_ids:
        query = query.where(Queue.id.in_(f.queue_ids))
    teams = f.teams()
    if teams is not None:
        query = query.where(Queue.id.in_(team_queues(teams)))
    return set(session.scalars(query))


class Scope:
    """Which knowledge rows a filter covers: by their ticket, their call, or the IVR category's queue."""

    def __init__(self, session: Session, f: ReportFilter, category_queues: Mapping[str, str]) -> None:
        self.narrowed = _narrowed(f)
        wide = _all_time(f)
        self.tickets: Select[Any] = wide.tickets(select(Ticket.id))
        self.calls: Select[Any] = wide.calls(select(Call.id))
        names = _queue_names(session, f) if self.narrowed else set()
        self.categories = sorted(c for c, queue in category_queues.items() if queue in names)

    def suggestion(self) -> ColumnElement[bool]:
        if not self.narrowed:
            return true()
        ivr = (Suggestion.context == "ivr") & Suggestion.category.in_(self.categories) if self.categories else false()
        return or_(Suggestion.ticket_id.in_(self.tickets), Suggestion.call_id.in_(self.calls), ivr)

    def ticket(self, column: Any) -> ColumnElement[bool]:
        return column.in_(self.tickets) if self.narrowed else true()


def category_queues(menu: Mapping[str, Any]) -> dict[str, str]:
    """Category -> queue name, from the IVR menu's options (``settings.ivr.menu``)."""
    found: dict[str, str] = {}
    for option in menu.values():
        if getattr(option, "category", "") and getattr(option, "queue", ""):
            found.setdefault(option.category, option.queue)
    return found


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else round(part / whole, 4)


def _days(f: ReportFilter) -> list[dt.date]:
    zone = ZoneInfo(f.timezone)
    first, last = f.start.astimezone(zone).date(), (f.end - dt.timedelta(seconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# -- deflection ---------------------------------------------------------------------------------------
def deflection(session: Session, f: ReportFilter, scope: Scope) -> dict[str, Any]:
    """Answers offered and deflected, per local day and in total (see the module's definitions)."""
    zone = ZoneInfo(f.timezone)
    calls: dict[Any, tuple[dt.date, bool]] = {}
    for sid, call_id, at, helpful in session.execute(select(
            Suggestion.id, Suggestion.call_id, Suggestion.at, Suggestion.helpful)
            .where(Suggestion.context == "ivr", Suggestion.at >= f.start, Suggestion.at < f.end, scope.suggestion())
            .order_by(Suggestion.id)):
        key = call_id if call_id is not None else f"s{sid}"
        day, solved = calls.get(key, (at.astimezone(zone).date(), False))
        calls[key] = (day, solved or helpful is True)
    replies = session.execute(select(AutoReply.sent_at, AutoReply.state).where(
        AutoReply.sent_at >= f.start, AutoReply.sent_at < f.end, scope.ticket(AutoReply.ticket_id))).all()
    per_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for day, solved in calls.values():
        per_day[day].update({"ivr_offered": 1, "ivr_solved": int(solved)})
    states: Counter[str] = Counter()
    for sent_at, state in replies:
        per_day[sent_at.astimezone(zone).date()].update(
            {"auto_offered": 1, "auto_accepted": int(state is AutoReplyState.ACCEPTED)})
        states[state.value] += 1
    days = []
    for day in _days(f):
        c = per_day.get(day, Counter())
        offered, deflected = c["ivr_offered"] + c["auto_offered"], c["ivr_solved"] + c["auto_accepted"]
        days.append({"day": day.isoformat(), "ivr_offered": c["ivr_offered"], "ivr_solved": c["ivr_solved"],
                     "auto_offered": c["auto_offered"], "auto_accepted": c["auto_accepted"], "offered": offered,
                     "deflected": deflected, "rate": _ratio(deflected, offered)})
    ivr_offered, ivr_solved = len(calls), sum(solved for _, solved in calls.values())
    offered, deflected = ivr_offered + len(replies), ivr_solved + states["accepted"]
    return {"days": days, "ivr_offered": ivr_offered, "ivr_solved": ivr_solved, "auto_offered": len(replies),
            "auto_accepted": states["accepted"], "auto_rejected": states["rejected"],
            "auto_expired": states["expired"], "auto_pending": states["pending"], "offered": offered,
            "deflected": deflected, "rate": _ratio(deflected, offered)}


# -- articles -----------------------------------------------------------------------------------------
def _per_article(session: Session, f: ReportFilter, scope: Scope) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    own = AutoReply.id.is_not(None)  # the suggestion an auto-reply sent
    for article_id, context, helpful, own_mark, n in session.execute(
            select(Suggestion.article_id, Suggestion.context, Suggestion.helpful, own, func.count())
            .outerjoin(AutoReply, AutoReply.suggestion_id == Suggestion.id)
            .where(Suggestion.at >= f.start, Suggestion.at < f.end, scope.suggestion())
            .group_by(Suggestion.article_id, Suggestion.context, Suggestion.helpful, own)):
        c = counts[article_id]
        c["suggested"] += n
        if helpful is not None:
            c["helpful" if helpful else "not_helpful_all"] += n
            c["marks"] += n
            if not own_mark:  # an auto-reply's own mark is counted as the auto-reply
                c["marked_helpful" if helpful else "not_helpful"] += n
        if context == "ivr" and helpful is True:
            c["accepted"] += n
    for article_id, kind, n in session.execute(
            select(TicketArticle.article_id, TicketArticle.kind, func.count())
            .where(TicketArticle.at >= f.start, TicketArticle.at < f.end, scope.ticket(TicketArticle.ticket_id),
                   TicketArticle.kind.in_([LinkKind.LINKED, LinkKind.INSERTED]))
            .group_by(TicketArticle.article_id, TicketArticle.kind)):
        counts[article_id][kind.value] += n
    for article_id, state, n in session.execute(
            select(AutoReply.article_id, AutoReply.state, func.count())
            .where(AutoReply.sent_at >= f.start, AutoReply.sent_at < f.end, scope.ticket(AutoReply.ticket_id))
            .group_by(AutoReply.article_id, AutoReply.state)):
        c = counts[article_id]
        c["auto_sent"] += n
        c[f"auto_{state.value}"] += n
        if state is AutoReplyState.ACCEPTED:
            c["accepted"] += n
    return counts


def _titles(session: Session, ids: list[int], locale: str) -> dict[int, tuple[str, str]]:
    """Article id -> (code, title in ``locale`` or the other language)."""
    found = {}
    for article in session.scalars(select(Article).where(Article.id.in_(ids))):
        version = article.version(locale)
        found[article.id] = (article.code, version.title if version is not None else "")
    return found


def articles(session: Session, f: ReportFilter, scope: Scope, locale: str = "en") -> dict[str, list[dict[str, Any]]]:
    """The most used articles and the most often refused ones (see the module's definitions)."""
    counts = _per_article(session, f, scope)
    used = sorted(counts, key=lambda a: (-sum(counts[a][k] for k in ("suggested", "linked", "inserted", "accepted")),
                                         a))[:TOP]
    refused = [a for a in counts if _negatives(counts[a])]
    refused = sorted(refused, key=lambda a: (-_negatives(counts[a]), -(_refusal_rate(counts[a]) or 0), a))[:TOP]
    titles = _titles(session, sorted(set(used) | set(refused)), locale)
    top = [{"article_id": a, "code": titles.get(a, ("", ""))[0], "title": titles.get(a, ("", ""))[1],
            "suggested": counts[a]["suggested"], "linked": counts[a]["linked"], "inserted": counts[a]["inserted"],
            "accepted": counts[a]["accepted"], "marks": counts[a]["marks"],
            "helpful_rate": _ratio(counts[a]["helpful"], counts[a]["marks"])} for a in used]
    rejected = [{"article_id": a, "code": titles.get(a, ("", ""))[0], "title": titles.get(a, ("", ""))[1],
                 "auto_sent": counts[a]["auto_sent"], "auto_rejected": counts[a]["auto_rejected"],
                 "auto_expired": counts[a]["auto_expired"], "not_helpful": counts[a]["not_helpful"],
                 "refused": _negatives(counts[a]), "judged": _judged(counts[a]),
                 "rate": _refusal_rate(counts[a])} for a in refused]
    return {"top": top, "rejected": rejected}


def _negatives(c: Counter[str]) -> int:
    return c["auto_rejected"] + c["auto_expired"] + c["not_helpful"]


def _judged(c: Counter[str]) -> int:
    return c["auto_accepted"] + c["auto_rejected"] + c["auto_expired"] + c["not_helpful"] + c["marked_helpful"]


def _refusal_rate(c: Counter[str]) -> float | None:
    return _ratio(_negatives(c), _judged(c))


# -- knowledge gaps -----------------------------------------------------------------------------------
def gaps(session: Session, f: ReportFilter, visible: ColumnElement[bool], gap_below: float) -> dict[str, Any]:
    """Tickets the knowledge base had no good answer for, their subjects grouped into recurring topics."""
    best = (select(Suggestion.ticket_id, func.max(Suggestion.probability).label("best"))
            .where(Suggestion.context == "ticket", Suggestion.ticket_id.is_not(None), Suggestion.at >= f.start)
            .group_by(Suggestion.ticket_id).subquery())
    lacking = or_(best.c.best.is_(None), best.c.best < gap_below)
    tickets = session.scalar(f.tickets(select(func.count()).select_from(Ticket))) or 0
    none, low, hidden = session.execute(f.tickets(
        select(func.sum(case((best.c.best.is_(None), 1), else_=0)), func.sum(case((best.c.best.is_(None), 0), else_=1)),
               func.sum(case((visible, 0), else_=1)))
        .select_from(Ticket).outerjoin(best, best.c.ticket_id == Ticket.id).where(lacking))).one()
    shown = session.execute(f.tickets(
        select(Ticket.id, Ticket.number, Ticket.subject, best.c.best).outerjoin(best, best.c.ticket_id == Ticket.id)
        .where(lacking, visible).order_by(Ticket.id.desc()).limit(GAP_TOPICS_FROM))).all()
    topics: list[Topic] = cluster([(r.id, r.subject or "") for r in shown])
    numbers = {r.id: r.number for r in shown}
    count = int(none or 0) + int(low or 0)
    return {"tickets": int(tickets), "gaps": count, "none": int(none or 0), "low": int(low or 0),
            "share": _ratio(count, tickets), "gap_below": gap_below, "restricted": int(hidden or 0),
            "topics": [{"label": t.label, "size": t.size,
                        "examples": [numbers[i] for i in t.examples if numbers.get(i)]} for t in topics],
            "rows": [{"number": r.number, "subject": r.subject or "", "best": None if r.best is None
                      else round(float(r.best), 4)} for r in shown[:GAP_ROWS]]}


# -- CSV ----------------------------------------------------------------------------------------------
TABLES = ("deflection", "top", "rejected", "gaps")


def csv_rows(name: str, data: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A table of the report as the CSV export writes it (codes, counts, shares 0-1)."""
    if name == "deflection":
        header = ["day", "ivr_offered", "ivr_solved", "auto_offered", "auto_accepted", "offered", "deflected", "rate"]
        return header, [[d[k] for k in header] for d in data["deflection"]["days"]]
    if name == "top":
        header = ["code", "title", "suggested", "linked", "inserted", "accepted", "marks", "helpful_rate"]
        return header, [[r[k] for k in header] for r in data["articles"]["top"]]
    if name == "rejected":
        header = ["code", "title", "auto_sent", "auto_rejected", "auto_expired", "not_helpful", "refused", "judged",
                  "rate"]
        return header, [[r[k] for k in header] for r in data["articles"]["rejected"]]
    header = ["number", "subject", "best"]
    return header, [[r[k] for k in header] for r in data["gaps"]["rows"]]
