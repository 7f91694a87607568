"""Recurring issues: the last days' tickets grouped by what they say, for a supervisor to make problems of.

Each ticket's words (cut once when it or its call's transcript was saved,
folded through the trade's synonyms as for similar tickets) become a TF-IDF
vector (scikit-learn); DBSCAN with the cosine distance groups tickets that
have at least ``cluster_min_size`` close neighbours, and leaves one-offs
alone, so nobody has to guess how many groups there are.  Each group comes
with its top words (the centroid's heaviest terms, in whatever language its
callers used), tickets per day over the window and whether that is rising.
On the labelled outage (``tests/support/parcels.py``) the 30 tickets about
a stuck parcel form one group of 27 and none of the 10 others joins it.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..i18n import N_, say_later
from ..models import OPEN_STATUSES, Ticket, Transcript, TranscriptStatus, utcnow
from ..text import synonyms
from ..text.search import index_words
from ..tickets.service import TicketError, TicketService
from .links import Problems
from .settings import ProblemSettings

TOP_WORDS = 8
RECENT_DAYS = 3  # "rising": these last days against the days before


@dataclass(frozen=True)
class Member:
    ticket_id: int
    number: str
    subject: str
    category: str
    created_at: dt.datetime
    open: bool
    problem_id: int | None


@dataclass(frozen=True)
class Cluster:
    members: tuple[Member, ...]  # newest first
    words: tuple[str, ...]
    per_day: tuple[int, ...]  # tickets per day of the window, oldest first
    rising: bool

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def open_ids(self) -> list[int]:
        return [m.ticket_id for m in self.members if m.open]

    @property
    def category(self) -> str:
        return Counter(m.category for m in self.members if m.category).most_common(1)[0][0] \
            if any(m.category for m in self.members) else ""


class RecurringIssues:
    def __init__(self, settings: ProblemSettings, tickets: TicketService, problems: Problems) -> None:
        self.settings, self.tickets, self.problems = settings, tickets, problems

    def find(self, session: Session, visible: ColumnElement[bool] | None = None,
             now: dt.datetime | None = None) -> list[Cluster]:
        """The groups of the last ``cluster_days`` (the newest ``cluster_max`` tickets), biggest first."""
        now = now or utcnow()
        days = self.settings.cluster_days
        rows = self._read(session, now - dt.timedelta(days=days), visible)
        if len(rows) < self.settings.cluster_min_size:
            return []
        from sklearn.cluster import DBSCAN  # heavy: only the process that groups loads it
        from sklearn.feature_extraction.text import TfidfVectorizer

        words = [found for _, found in rows]
        vectoriser = TfidfVectorizer(analyzer=_as_is, min_df=2, sublinear_tf=True)
        try:
            matrix = vectoriser.fit_transform(words)
        except ValueError:  # no word said twice: nothing recurs
            return []
        labels = DBSCAN(eps=self.settings.cluster_distance, min_samples=self.settings.cluster_min_size,
                        metric="cosine").fit_predict(matrix)
        terms = vectoriser.get_feature_names_out()
        found = []
        for label in sorted(set(labels) - {-1}):
            at = [i for i, lab in enumerate(labels) if lab == label]
            weight = matrix[at].mean(axis=0).A1
            top = tuple(str(terms[i]) for i in weight.argsort()[::-1][:TOP_WORDS] if weight[i] > 0)
            members = tuple(sorted((rows[i][0] for i in at), key=lambda m: m.created_at, reverse=True))
            found.append(Cluster(members, top, *_trend(members, now, days)))
        return sorted(found, key=lambda c: c.size, reverse=True)

    def make_problem(self, session: Session, actor: Actor, ticket_ids: list[int], words: list[str]) -> Ticket:
        """A new problem ticket for a group, with its open tickets (those ``actor`` was allowed) as incidents."""
        tickets = list(session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids),
                                                            Ticket.status.in_(OPEN_STATUSES),
                                                            Ticket.problem_id.is_(None))))
        if not tickets:
            raise TicketError(N_("None of these tickets is open and without a problem any more."),
                              code="nothing_open")
        label = " · ".join(w for w in words if w.strip())[:150]
        category = Counter(t.category for t in tickets if t.category).most_common(1)
        problem = self.tickets.create(session, actor, subject=f"{label}"[:300] or tickets[0].subject,
                                      category=category[0][0] if category else None,
                                      description="\n".join(f"{t.number} {t.subject}" for t in tickets[:50]),
                                      reason=say_later(N_("made from a recurring issue of %(n)s tickets"),
                                                       n=len(tickets)))
        for ticket in tickets:
            if ticket.id != problem.id and not ticket.is_problem:
                self.problems.link(session, actor, ticket, problem)
        return problem

    def _read(self, session: Session, since: dt.datetime,
              visible: ColumnElement[bool] | None) -> list[tuple[Member, list[str]]]:
        query = (select(Ticket.id, Ticket.number, Ticket.subject, Ticket.category, Ticket.created_at,
                        Ticket.status, Ticket.problem_id, Ticket.is_problem, Ticket.search_words,
                        Ticket.description, Transcript.caller_words)
                 .outerjoin(Transcript, (Transcript.call_id == Ticket.origin_call_id)
                            & (Transcript.status == TranscriptStatus.DONE))
                 .where(Ticket.created_at >= since, Ticket.merged_into_id.is_(None))
                 .order_by(Ticket.created_at.desc()).limit(self.settings.cluster_max))
        if visible is not None:
            query = query.where(visible)
        found = []
        for r in session.execute(query):
            if r.is_problem:  # the problem tickets themselves are not the callers' words
                continue
            said = (r.search_words or index_words(r.subject, r.description)).split() + (r.caller_words or "").split()
            member = Member(r.id, r.number or "", r.subject, r.category or "", r.created_at,
                            r.status in OPEN_STATUSES, r.problem_id)
            found.append((member, synonyms.fold(said)))
        return found


def _as_is(words: list[str]) -> list[str]:
    """The words are cut already (``text/``): the vectoriser takes them as they are."""
    return words


def _trend(members: tuple[Member, ...], now: dt.datetime, days: int) -> tuple[tuple[int, ...], bool]:
    counts = [0] * days
    for m in members:
        age = (now - m.created_at).days
        if 0 <= age < days:
            counts[days - 1 - age] += 1
    recent, before = counts[-RECENT_DAYS:], counts[:-RECENT_DAYS]
    rate_before = sum(before) / len(before) if before else 0.0
    return tuple(counts), sum(recent) / RECENT_DAYS > max(rate_before, 0.0) * 1.5 and sum(recent) > 0
