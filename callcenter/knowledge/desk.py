"""What the desk asks the knowledge base: the question put together, and the offers it logs.

The desk's question is what the agent typed, plus what the ticket says
(``suggest.question_of``) or what the caller said on the call
(``suggest.caller_said``); on a fresh pop with nothing typed yet, the
subjects of the customer's open tickets stand in (their history).  The
IVR's category lifts its articles.  Answers are in the customer's
language when the desk knows it.

Keystrokes are never logged.  The pop and a ticket page's first look are
(``log``): reports count what was offered, and the agents' marks on them
are the calibration's labels.  A ticket page opened again by the same
agent, asking the same question, shows the rows already logged rather
than counting the offer twice.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ..models import Call, Customer, Suggestion, Ticket
from ..tickets.queries import open_for_customer
from .articles import locale_of
from .suggest import MAX_QUERY, Hit, Said, Suggester, caller_said, question_of

# The desk's contexts: the intake form as typed, the pop as it arrives, the ticket page.
CONTEXTS = ("form", "pop", "ticket")
# The two looks that are logged, when the agent has typed nothing.
LOGGED = ("pop", "ticket")
HISTORY_TICKETS = 3


@dataclass(frozen=True)
class Question:
    text: str
    category: str | None
    locale: str | None  # the customer's language ("en", "zh"), when known
    cut: tuple[str, ...] = ()  # what the caller said, cut when the transcript was stored

    @property
    def said(self) -> Said:
        return Said(self.text, self.cut)


def question(session: Session, *, typed: str = "", category: str | None = None, call: Call | None = None,
             ticket: Ticket | None = None, history: ColumnElement[bool] | None = None) -> Question:
    """The desk's question; ``history`` (the viewer's ticket visibility) adds the customer's open tickets."""
    parts, cut = [typed.strip()], tuple[str, ...]()
    if ticket is not None:
        said = question_of(session, ticket)
        parts.append(said.text)
        cut = said.cut
        category = category or ticket.category or None
    elif call is not None:
        cut = caller_said(session, call.id)
        category = category or str((call.ivr or {}).get("category") or "") or None
    customer_id = ticket.customer_id if ticket is not None else call.customer_id if call is not None else None
    customer = session.get(Customer, customer_id) if customer_id else None
    if history is not None and customer is not None and not cut and not any(p.strip() for p in parts):
        parts += [t.subject for t in open_for_customer(session, customer.id, HISTORY_TICKETS, history)]
    text = "\n".join(p for p in parts if p and p.strip())[:MAX_QUERY]
    return Question(text, category, locale_of(customer.language) if customer is not None else None, cut)


def offer(session: Session, suggester: Suggester, asked: Question, *, context: str, log: bool,
          ticket_id: int | None = None, call_id: int | None = None, user_id: int | None = None) -> list[Hit]:
    """The suggestions for ``asked``; logged under ``context`` when ``log`` (a ticket's rows reused)."""
    if asked.said.empty():
        return []
    hits = suggester.suggest(session, asked.text, category=asked.category, locale=asked.locale, cut=asked.cut)
    if not log or not hits:
        return hits
    if ticket_id is not None:
        query = asked.said.logged
        shown = dict(session.execute(select(Suggestion.article_id, Suggestion.id).where(
            Suggestion.ticket_id == ticket_id, Suggestion.context == context,
            Suggestion.user_id.is_(None) if user_id is None else Suggestion.user_id == user_id,
            Suggestion.query == query, Suggestion.article_id.in_([h.article_id for h in hits]))).tuples().all())
        if all(h.article_id in shown for h in hits):
            return [replace(h, suggestion_id=shown[h.article_id]) for h in hits]
    return suggester.suggest(session, asked.text, category=asked.category, locale=asked.locale, log=context,
                             ticket_id=ticket_id, call_id=call_id, user_id=user_id, cut=asked.cut)
