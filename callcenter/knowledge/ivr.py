"""Self-service in the IVR: which article a caller hears, and what their answer to it leaves behind.

The IVR's ``knowledge`` handler (callcenter/agi/handlers/knowledge.py) plays what this picks:

* for the caller's category, its most helpful published article: the one agents and callers found
  answered most often (helpful marks minus unhelpful ones, plus the tickets agents linked it to or
  quoted it in), the oldest first on a tie.  Not a BM25 ranking of the category's name: a name
  ("Billing") is not a question, and an article that never says the word would never be heard;
* for a code the caller keyed, that published article.

What the caller then did is one Suggestion row (context ``ivr``; helpful on 1 = solved, not helpful
on 2 = an agent) and ``article`` / ``self_service`` in the call's IVR record, where the pop and the
reports read them.  The row has no features (no question was asked), so it stays out of the
calibration, which learns how words match questions.  When the call's ticket is made the article is
noted on it (``note_heard``: TicketArticle of kind ``ivr``).  "Send it by SMS" goes through the
conversations: the call gets a ticket, solved, holding the one outbound SMS the channels service
delivers, to a number the dialling policy allows, a few times a day at most.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from .. import days
from ..access.audit import Actor
from ..access.dialling import DiallingPolicy, NumberRefused, PolicyRefusal
from ..calls.records import ensure_call, merge_call
from ..config import Settings
from ..conversations.service import Conversations
from ..i18n import N_, say_later
from ..models import (
    Article,
    ArticleStatus,
    Call,
    Channel,
    KnowledgeCategory,
    LinkKind,
    Message,
    MessageDirection,
    Suggestion,
    Ticket,
    TicketArticle,
    TicketStatus,
    utcnow,
)
from ..pbx.answers import AnswerVoice
from ..tickets.service import TicketService
from .suggest import Suggester

IVR = Actor(name="ivr", via="ivr")
CODE = re.compile(r"^[0-9]{1,8}$")
CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
CONTEXT = "ivr"
# Links that say an agent found the article answered a ticket.
ANSWERED = (LinkKind.LINKED, LinkKind.INSERTED)


class Outcome(str, enum.Enum):
    SOLVED = "solved"  # 1
    AGENT = "agent"  # 2
    SMS = "sms"  # 3, sent
    NO_CHOICE = "no_choice"  # no key after the retries: an agent
    HUNG_UP = "hung_up"
    # Nothing was heard; the caller went to an agent.
    NO_ARTICLE = "no_article"  # no published article for the category, or no valid code keyed
    UNSPOKEN = "unspoken"  # the answer could not be made into speech


HELPFUL = {Outcome.SOLVED: True, Outcome.AGENT: False}


@dataclass(frozen=True)
class Answer:
    """An article as the caller hears it, in their language (or the one it has)."""

    article_id: int
    code: str
    revision: int
    locale: str
    title: str
    short: str
    category: str
    helpful: int = 0
    unhelpful: int = 0

    @property
    def probability(self) -> float:
        """How often it solved the question so far (Laplace-smoothed): the row's probability."""
        return round((self.helpful + 1) / (self.helpful + self.unhelpful + 2), 4)


@dataclass
class Heard:
    """What one caller heard and did: the handler sets ``outcome``, the write after the call stores it."""

    answer: Answer
    category: str
    keyed: bool
    outcome: Outcome = Outcome.HUNG_UP


def _marks(helpful: bool) -> Any:
    return (select(func.count()).select_from(Suggestion)
            .where(Suggestion.article_id == Article.id, Suggestion.helpful.is_(helpful)).scalar_subquery())


def _answer(article: Article, locale: str, helpful: int = 0, unhelpful: int = 0) -> Answer | None:
    version = article.version(locale)
    if version is None or not version.short.strip():
        return None
    return Answer(article.id, article.code, article.revision, version.locale, version.title, version.short,
                  article.category.key if article.category else "", helpful, unhelpful)


def top(session: Session, category: str, locale: str) -> Answer | None:
    """The category's most helpful published article (see the module's docstring), or None."""
    if not CATEGORY.match(category or ""):
        return None
    helpful, unhelpful = _marks(True), _marks(False)
    linked = (select(func.count()).select_from(TicketArticle)
              .where(TicketArticle.article_id == Article.id, TicketArticle.kind.in_(ANSWERED)).scalar_subquery())
    score: ColumnElement[int] = helpful - unhelpful + linked
    rows = session.execute(
        select(Article, helpful, unhelpful).join(KnowledgeCategory, KnowledgeCategory.id == Article.category_id)
        .where(KnowledgeCategory.key == category, Article.status == ArticleStatus.PUBLISHED)
        .order_by(score.desc(), Article.id).limit(5))
    for article, yes, no in rows:
        found = _answer(article, locale, yes or 0, no or 0)
        if found is not None:
            return found
    return None


def by_code(session: Session, code: str, locale: str) -> Answer | None:
    """The published article a caller keyed (digits only, checked before any query), or None."""
    if not CODE.match(code or ""):
        return None
    row = session.execute(select(Article, _marks(True), _marks(False))
                          .where(Article.code == code, Article.status == ArticleStatus.PUBLISHED)).first()
    return _answer(row[0], locale, row[1] or 0, row[2] or 0) if row is not None else None


def record(session: Session, *, pbx: str, linkedid: str, heard: Heard) -> None:
    """The caller's answer as a logged suggestion and on the call's IVR record (run after the call)."""
    call = ensure_call(session, pbx, linkedid)
    helpful = HELPFUL.get(heard.outcome)
    answer = heard.answer
    row = Suggestion(context=CONTEXT, call_id=call.id, article_id=answer.article_id,
                     category=heard.category[:80], query=f"#{answer.code}" if heard.keyed else heard.category,
                     rank=1, score=float(answer.helpful - answer.unhelpful), features=[],
                     probability=answer.probability, matched=[], helpful=helpful,
                     marked_at=utcnow() if helpful is not None else None)
    session.add(row)
    merge_call(session, pbx, linkedid, ivr={"article": answer.code, "self_service": heard.outcome.value})


def missed(session: Session, *, pbx: str, linkedid: str, outcome: Outcome) -> None:
    """The call's IVR record says why its caller heard no answer (the reports' knowledge gaps)."""
    merge_call(session, pbx, linkedid, ivr={"self_service": outcome.value})


def note_heard(session: Session, suggester: Suggester, call: Call, ticket_id: int,
               actor: Actor) -> TicketArticle | None:
    """The call's ticket notes the article its caller heard in the IVR (once), if they heard one."""
    code = str((call.ivr or {}).get("article") or "")
    article_id = session.scalar(select(Article.id).where(Article.code == code)) if CODE.match(code) else None
    if article_id is None:
        return None
    return suggester.link(session, actor, ticket_id, article_id, LinkKind.IVR)


class SelfService:
    """What the IVR's handler needs beyond the database: the voice, the SMS path and the policy."""

    def __init__(self, settings: Settings, tickets: TicketService, conversations: Conversations,
                 suggester: Suggester) -> None:
        self.settings, self.tickets, self.conversations, self.suggester = settings, tickets, conversations, suggester
        self.policy = DiallingPolicy.from_settings(settings)
        self.voice = AnswerVoice.from_settings(settings)

    @property
    def enabled(self) -> bool:
        return self.settings.knowledge.ivr.enabled

    @property
    def sms_enabled(self) -> bool:
        return self.settings.channels.sms.enabled

    def spoken(self, answer: Answer) -> str | None:
        """The file to play for ``answer`` (made on first use), or None when it cannot be spoken."""
        return self.voice.ensure(answer.article_id, answer.revision, answer.locale, answer.title, answer.short)

    def text_it(self, session: Session, call: Call, heard: Heard, number: str) -> Message:
        """Queue the short answer by SMS to ``number`` (E.164) on the call's ticket; NumberRefused if it may not."""
        refusal = self.policy.check(number)
        if refusal is not None:
            raise NumberRefused(number, refusal)
        session.execute(select(Call.id).where(Call.id == call.id).with_for_update())  # one run per call at a time
        answer = heard.answer
        ticket = session.get(Ticket, call.ticket_id) if call.ticket_id is not None else None
        sent = None if ticket is None else session.scalar(select(Message).where(
            Message.ticket_id == ticket.id, Message.channel == Channel.SMS,
            Message.direction == MessageDirection.OUTBOUND, Message.body == answer.short.strip()))
        if sent is not None:  # the dialplan ran us twice for this call: one SMS
            return sent
        refusal = self._quota(session, number)
        if refusal is not None:
            raise NumberRefused(number, refusal)
        made = ticket is None
        if ticket is None:
            ticket = self.tickets.create(
                session, IVR, call=call, subject=answer.title[:200], description=answer.short,
                category=heard.category or answer.category or "general",
                reason=say_later(N_("self-service in the IVR: article %(code)s sent by SMS"), code=answer.code))
        message = self.conversations.queue_outbound(session, ticket, IVR, channel=Channel.SMS, body=answer.short,
                                                    recipient=number)
        message.meta = {**(message.meta or {}), "ivr_article": answer.code}
        self.suggester.link(session, IVR, ticket.id, answer.article_id, LinkKind.IVR)
        if made:
            self.tickets.change(session, ticket, IVR, status=TicketStatus.RESOLVED,
                                reason=say_later(N_("self-served: the caller got article %(code)s by SMS"),
                                                 code=answer.code))
        return message

    def _quota(self, session: Session, number: str) -> PolicyRefusal | None:
        """None unless the number already got the day's texts from us (answers by SMS: no agent wrote them)."""
        limit = self.settings.knowledge.ivr.sms_per_number_per_day
        if not limit:
            return None
        since = days.midnight(days.today(self.settings.timezone), self.settings.timezone)
        sent = session.scalar(select(func.count()).select_from(Message).where(
            Message.channel == Channel.SMS, Message.direction == MessageDirection.OUTBOUND,
            Message.recipient == number, Message.author_id.is_(None), Message.created_at >= since)) or 0
        if sent >= limit:
            return PolicyRefusal("daily_limit", N_("this number already got %(sent)s answers by SMS today (at most "
                                                   "%(limit)s)"), {"sent": sent, "limit": limit})
        return None
