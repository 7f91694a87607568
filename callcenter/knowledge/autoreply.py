"""Auto-reply: a customer's written question answered with an article when the calibrated score is high enough.

Each new inbound message of an e-mail, web-form or WeChat ticket gets one
look, and every look is an ``AutoReplyDecision`` row with the probability
and the threshold, answered or not.  In order, a message is not answered
when it is automatic itself (an out-of-office, a bounce), the feature is
off, the channel is another, the ticket already had its one auto-reply, a
person already answered on it, the customer is a VIP, the text holds an
angry word, nothing is calibrated yet (``calibration.PRIOR`` is never acted
on), no article matches, the article's category has auto-reply off, the
probability is below the category's threshold, or the customer has no
address on the channel.  Otherwise the answer goes out as a public reply
through the ticket's conversation (queued, and sent once by the channels
service), in the customer's language, with "Did this solve it? Yes / No"
links and reply keywords; the ticket then waits on the customer (pending,
nobody's, so the dispatcher leaves it) until ``answers`` hears from them.

Several processes may look at the same message (PostgreSQL's bus delivers
every event to each): the caller locks the ticket's row first, a message
already decided is skipped, and ``AutoReply.ticket_id`` is unique, so the
insert in a savepoint is the last word on "never twice".
"""
from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..conversations.replies import Replies, recipients
from ..i18n import N_, say_later
from ..models import (
    Article,
    AutoReply,
    AutoReplyDecision,
    AutoReplyState,
    Channel,
    Customer,
    KnowledgeCategory,
    LinkKind,
    Message,
    MessageDirection,
    Ticket,
    TicketStatus,
    VipTier,
    utcnow,
)
from ..tickets.service import TicketService
from . import wording
from .answers import AutoReplyAnswers
from .notifier import KnowledgeNotifier
from .settings import KnowledgeSettings
from .suggest import MAX_QUERY, Hit, Suggester

ACTOR = Actor.system("auto-reply")
# The channels an answer can go back on with its links; ``[knowledge.auto_reply] channels`` picks among them.
SUPPORTED = (Channel.EMAIL, Channel.WEB, Channel.WECHAT)
CONTEXT = "auto_reply"  # the logged suggestion's context
TOKEN_BYTES = 24  # 32 URL-safe characters
WAITING = N_("answered automatically with the article %(code)s; waiting for the customer")


class Outcome(str, enum.Enum):
    SENT = "sent"
    BELOW_THRESHOLD = "below_threshold"
    VIP = "vip"
    ANGRY = "angry"
    ALREADY = "already"
    DISABLED = "disabled"
    CHANNEL = "channel"
    UNCALIBRATED = "uncalibrated"
    NO_ARTICLE = "no_article"
    AUTOMATIC = "automatic"  # the message is an automatic one (out of office, bounce, list)
    PERSON = "person"  # an agent has already answered on this ticket
    NO_ADDRESS = "no_address"  # the customer cannot be written to on this channel


def question_of(message: Message) -> str:
    """What the customer asked in this message: its subject (unless the text starts with it) and text."""
    body = (message.body or "").strip()
    subject = " ".join((message.subject or "").split())
    if subject and not " ".join(body.split()).startswith(subject):
        body = f"{subject}\n{body}"
    return body[:MAX_QUERY]


def decided(session: Session, message_id: int) -> bool:
    """Auto-reply already looked at this message (a duplicate event, another process, the sweep)."""
    return bool(session.scalar(select(exists().where(AutoReplyDecision.message_id == message_id))))


class AutoReplies:
    def __init__(self, settings: KnowledgeSettings, suggester: Suggester, replies: Replies, tickets: TicketService,
                 answers: AutoReplyAnswers, notifier: KnowledgeNotifier, answer_url: str) -> None:
        self.settings, self.suggester, self.replies, self.tickets = settings, suggester, replies, tickets
        self.answers, self.notifier = answers, notifier
        self.answer_url = answer_url.rstrip("/")

    def link(self, token: str, answer: str) -> str:
        """The customer's "yes" or "no" link."""
        return f"{self.answer_url}/kb/answer/{token}/{answer}"

    def handle(self, session: Session, ticket: Ticket, message: Message) -> AutoReplyDecision | None:
        """A new inbound message (the caller holds the ticket's lock): first an answer to a pending auto-reply,
        then auto-reply's own look at it; None when it was already looked at."""
        if decided(session, message.id):
            return None
        reply = session.scalar(select(AutoReply).where(AutoReply.ticket_id == ticket.id))
        if reply is not None and reply.state is AutoReplyState.PENDING and message.id > (reply.message_id or 0):
            self.answers.from_message(session, reply, message)
        return self.consider(session, ticket, message)

    def consider(self, session: Session, ticket: Ticket, message: Message) -> AutoReplyDecision:
        """Decide on one message and log the decision; answer it when every rule allows (module docstring)."""
        cfg = self.settings.auto_reply
        if (message.meta or {}).get("no_reply"):
            return self._decide(session, ticket, message, Outcome.AUTOMATIC)
        if not cfg.enabled:
            return self._decide(session, ticket, message, Outcome.DISABLED)
        if message.channel not in SUPPORTED or message.channel.value not in cfg.channels \
                or ticket.source not in cfg.channels:
            return self._decide(session, ticket, message, Outcome.CHANNEL)
        if session.scalar(select(exists().where(AutoReply.ticket_id == ticket.id))):
            return self._decide(session, ticket, message, Outcome.ALREADY)
        if session.scalar(select(exists().where(Message.ticket_id == ticket.id, Message.author_id.is_not(None),
                                                Message.direction == MessageDirection.OUTBOUND))):
            return self._decide(session, ticket, message, Outcome.PERSON)
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        question = question_of(message)
        locale = wording.language_of(question, ticket.language, customer.language if customer else None)
        hits = self.suggester.suggest(session, question, category=ticket.category, locale=locale, k=1)
        hit = hits[0] if hits else None
        category = session.scalar(select(KnowledgeCategory).where(KnowledgeCategory.key == hit.category)) \
            if hit is not None and hit.category else None
        threshold = category.threshold if category is not None else self.settings.default_threshold
        outcome = None
        if customer is not None and customer.vip_tier is not VipTier.NONE:
            outcome = Outcome.VIP
        elif wording.holds_any(question, cfg.angry_words) is not None:
            outcome = Outcome.ANGRY
        elif not (hit.calibrated if hit is not None else self.suggester.model(session).fitted):
            outcome = Outcome.UNCALIBRATED
        elif hit is None:
            outcome = Outcome.NO_ARTICLE
        elif category is not None and not category.auto_reply:
            outcome = Outcome.DISABLED
        elif hit.probability < threshold:
            outcome = Outcome.BELOW_THRESHOLD
        elif recipients(customer).get(message.channel) is None:
            outcome = Outcome.NO_ADDRESS
        if outcome is not None or hit is None:
            return self._decide(session, ticket, message, outcome or Outcome.NO_ARTICLE, hit, threshold)
        return self._send(session, ticket, message, hit, threshold, question, locale)

    def _decide(self, session: Session, ticket: Ticket, message: Message, outcome: Outcome, hit: Hit | None = None,
                threshold: float | None = None) -> AutoReplyDecision:
        row = AutoReplyDecision(ticket_id=ticket.id, message_id=message.id,
                                article_id=hit.article_id if hit is not None else None,
                                probability=hit.probability if hit is not None else 0.0,
                                threshold=self.settings.default_threshold if threshold is None else threshold,
                                outcome=outcome.value)
        session.add(row)
        session.flush()
        return row

    def _send(self, session: Session, ticket: Ticket, message: Message, hit: Hit, threshold: float, question: str,
              locale: str) -> AutoReplyDecision:
        now = utcnow()
        reply = AutoReply(ticket_id=ticket.id, article_id=hit.article_id, probability=hit.probability,
                          token=secrets.token_urlsafe(TOKEN_BYTES), question=question, sent_at=now,
                          due_at=now + dt.timedelta(hours=self.settings.auto_reply.answer_hours))
        try:
            with session.begin_nested():
                session.add(reply)
                session.flush()
        except IntegrityError:  # another process answered this ticket between our look and our insert
            return self._decide(session, ticket, message, Outcome.ALREADY, hit, threshold)
        article = session.get(Article, hit.article_id)
        version = article.version(locale) if article is not None else None
        assert article is not None and version is not None  # the hit was read from the database just now
        body = wording.compose(locale, message.channel, title=version.title, body=version.body, short=version.short,
                               yes=self.link(reply.token, "yes"), no=self.link(reply.token, "no"))
        sent = self.replies.send(session, ticket, ACTOR, channel=message.channel, body=body)
        assert sent.message is not None  # a public reply, never a note
        # "Auto-Submitted: auto-replied" (RFC 3834): no mail system answers it; the page reads the language.
        sent.message.meta = {**sent.message.meta, "auto_submitted": "auto-replied",
                             "auto_reply": {"article": article.code, "locale": locale}}
        logged = self.suggester.record(session, hit, CONTEXT, question, category=ticket.category,
                                       ticket_id=ticket.id)
        reply.message_id, reply.suggestion_id = sent.message.id, logged.suggestion_id
        self.suggester.link(session, ACTOR, ticket.id, article.id, LinkKind.AUTO_REPLIED)
        why = say_later(WAITING, code=article.code)
        self.tickets.change(session, ticket, ACTOR, reason=why, status=TicketStatus.PENDING)
        self.tickets.unassign(session, ticket, ACTOR, reason=why)  # waiting on the customer: nobody's yet
        decision = self._decide(session, ticket, message, Outcome.SENT, hit, threshold)
        audit.record(session, "auto_reply_sent", ACTOR, object_type="ticket", object_id=ticket.number,
                     article_id=article.id, code=article.code, probability=hit.probability, threshold=threshold,
                     message_id=sent.message.id, channel=message.channel.value, language=locale)
        self.notifier.auto_reply_sent(session, reply)
        return decision
