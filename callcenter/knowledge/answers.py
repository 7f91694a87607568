"""The customer's answer to an auto-reply: yes (self-served), no, or no answer in time.

An answer comes from the link page (``/kb/answer/<token>/yes|no``), from a
reply on the channel (its whole text a yes or no word; anything else a
person should read, so it counts as no) or from the clock.  Whichever comes
first wins: the state moves from pending by one compare-and-set UPDATE
after the ticket's row is locked (the order every caller takes, so two
processes never deadlock), and the others find it answered.

* Yes: the ticket is closed as self-served (tagged ``self_served``) and the
  logged suggestion labelled helpful, a label the calibration learns from.
* No, or no answer: the ticket is open again for the dispatcher to give to
  an agent, with a note saying which article did not help; the suggestion
  is labelled not helpful and the customer's wording becomes a candidate
  question of the article, for an editor to approve or dismiss.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, say_later
from ..models import Article, AutoReply, AutoReplyState, Message, Suggestion, Ticket, TicketStatus, utcnow
from ..tickets.service import TicketService
from . import wording
from .articles import MAX_VARIANT, Articles, KnowledgeError
from .notifier import KnowledgeNotifier
from .settings import AutoReplySettings
from .suggest import Suggester

log = logging.getLogger(__name__)

SELF_SERVED = "self_served"
CUSTOMER = "customer"  # the actor of an answer: whoever holds the link, or the customer's own address
CLOCK = Actor.system("auto-reply")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
SOLVED = N_("the customer said the article %(code)s answered their question")
NOT_SOLVED = N_("the customer said the article %(code)s did not help")
NO_ANSWER = N_("no answer about the article %(code)s in time")
REJECTED_NOTE = N_("The customer said the article %(code)s “%(title)s”, sent automatically, did not help. "
                   "Please answer them.")
EXPIRED_NOTE = N_("The customer did not say within %(hours)s hours whether the article %(code)s “%(title)s”, "
                  "sent automatically, helped. Please answer them.")


def customer(via: str) -> Actor:
    return Actor(name=CUSTOMER, via=via)


class AutoReplyAnswers:
    def __init__(self, settings: AutoReplySettings, tickets: TicketService, articles: Articles,
                 suggester: Suggester, notifier: KnowledgeNotifier) -> None:
        self.settings, self.tickets, self.articles = settings, tickets, articles
        self.suggester, self.notifier = suggester, notifier

    @staticmethod
    def by_token(session: Session, token: str) -> AutoReply | None:
        """The auto-reply a link names (None for a malformed or unknown token)."""
        if not TOKEN.match(token or ""):
            return None
        return session.scalar(select(AutoReply).where(AutoReply.token == token))

    def answer(self, session: Session, reply: AutoReply, solved: bool, *, via: str = "link") -> bool:
        """The customer's yes or no; False when the auto-reply was already answered (or expired)."""
        state = AutoReplyState.ACCEPTED if solved else AutoReplyState.REJECTED
        return self._finish(session, reply, state, customer(via))

    def from_message(self, session: Session, reply: AutoReply, message: Message) -> bool | None:
        """A message on the ticket after the auto-reply: True yes, False no (or anything else), None for an
        automatic message (an out-of-office is nobody's answer)."""
        if (message.meta or {}).get("no_reply"):
            return None
        solved = wording.verdict(message.body, self.settings.yes_words, self.settings.no_words) is True
        self._finish(session, reply, AutoReplyState.ACCEPTED if solved else AutoReplyState.REJECTED,
                     customer("reply"))
        return solved

    def expire_one(self, session: Session) -> AutoReply | None:
        """Expire the oldest auto-reply whose answer is overdue; None when none is (or all were just taken)."""
        now = utcnow()
        due = session.scalars(select(AutoReply.id).where(AutoReply.state == AutoReplyState.PENDING,
                                                         AutoReply.due_at <= now)
                              .order_by(AutoReply.due_at, AutoReply.id).limit(5)).all()
        for reply_id in due:
            reply = session.get(AutoReply, reply_id)
            if reply is not None and self._finish(session, reply, AutoReplyState.EXPIRED, CLOCK):
                return reply
        return None

    # -- one answer ---------------------------------------------------------------------------------------
    def _finish(self, session: Session, reply: AutoReply, state: AutoReplyState, actor: Actor) -> bool:
        ticket = session.get(Ticket, reply.ticket_id, with_for_update=True, populate_existing=True)
        now = utcnow()
        claimed = session.execute(update(AutoReply).where(AutoReply.id == reply.id,
                                                          AutoReply.state == AutoReplyState.PENDING)
                                  .values(state=state, answered_at=now).execution_options(synchronize_session=False))
        if ticket is None or db.rowcount(claimed) == 0:
            session.refresh(reply)
            return False
        reply.state, reply.answered_at = state, now
        article = session.get(Article, reply.article_id)
        assert article is not None  # an auto-reply goes with its article (cascade)
        locale = wording.language_of(reply.question, ticket.language)
        version = article.version(locale)
        params = {"code": article.code, "title": version.title if version is not None else ""}
        if state is AutoReplyState.ACCEPTED:
            why = say_later(SOLVED, code=article.code)
            self.tickets.change(session, ticket, actor, reason=why, status=TicketStatus.CLOSED)
            self.tickets.tag(session, ticket, SELF_SERVED, actor, why)
        else:
            self._to_an_agent(session, ticket, actor, state, params)
            self._candidate(session, actor, reply, ticket.id, locale)
        if reply.suggestion_id is not None and session.get(Suggestion, reply.suggestion_id) is not None:
            self.suggester.mark(session, actor, helpful=state is AutoReplyState.ACCEPTED,
                                suggestion_id=reply.suggestion_id)
        audit.record(session, "auto_reply_answered", actor, object_type="ticket", object_id=ticket.number,
                     article_id=article.id, code=article.code, state=state.value)
        self.notifier.auto_reply_answered(session, reply)
        return True

    def _to_an_agent(self, session: Session, ticket: Ticket, actor: Actor, state: AutoReplyState,
                     params: dict[str, str]) -> None:
        """Open again for the dispatcher (an expiry leaves a ticket an agent already closed as it is), noted."""
        expired = state is AutoReplyState.EXPIRED
        reopen = ticket.status is TicketStatus.PENDING if expired else \
            ticket.status not in (TicketStatus.NEW, TicketStatus.OPEN)
        if reopen:
            self.tickets.change(session, ticket, actor, reason=say_later(NO_ANSWER if expired else NOT_SOLVED,
                                                                         code=params["code"]),
                                status=TicketStatus.OPEN)
        note = say_later(EXPIRED_NOTE, hours=f"{self.settings.answer_hours:g}", **params) if expired \
            else say_later(REJECTED_NOTE, **params)
        self.tickets.add_note(session, ticket, note, actor)

    def _candidate(self, session: Session, actor: Actor, reply: AutoReply, ticket_id: int, locale: str) -> None:
        """The customer's words as a candidate question of the article (an editor approves or dismisses it)."""
        text = " ".join(reply.question.split())[:MAX_VARIANT]
        if not text:
            return
        try:
            with session.begin_nested():
                self.articles.add_variant(session, actor, reply.article_id, locale, text, candidate=True,
                                          source="rejection", ticket_id=ticket_id)
        except KnowledgeError as exc:  # the article has all the questions it may have: the note still says it
            log.warning("auto-reply %s: the customer's question was not kept: %s", reply.id, exc)
