"""One method per knowledge-base event; each leaves only when its transaction commits."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import ArticleChanged, AutoReplyAnswered, AutoReplySent
from ..models import Article, AutoReply


class KnowledgeNotifier(Notifier):
    def article_changed(self, session: Session, article: Article, actor: Actor) -> None:
        self._publish(ArticleChanged(article_id=article.id, revision=article.revision, status=article.status.value,
                                     actor=actor.name), session)

    def auto_reply_sent(self, session: Session, reply: AutoReply) -> None:
        self._publish(AutoReplySent(ticket_id=reply.ticket_id, article_id=reply.article_id,
                                    probability=reply.probability), session)

    def auto_reply_answered(self, session: Session, reply: AutoReply) -> None:
        self._publish(AutoReplyAnswered(ticket_id=reply.ticket_id, article_id=reply.article_id,
                                        state=reply.state.value), session)
