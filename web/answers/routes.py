"""``/kb/answer/<token>/yes|no``: the links an auto-reply carries, and the ticket page's line about it.

A GET only shows the question again with one button: mail scanners and
link previews follow every link, and must not answer for the customer.
The POST (with the form's CSRF token) gives the answer to the service,
which closes the ticket as self-served or hands it to an agent; a second
answer, or one after the time ran out, changes nothing and says so.  The
pages speak the language the auto-reply was written in, unless the reader
chose another with the switch.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, session
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from sqlalchemy import select

from callcenter.models import Article, ArticleVersion, AutoReply, AutoReplyState, Message
from callcenter.wiring import Container

from ..db import get_db

bp = Blueprint("answers", __name__, url_prefix="/kb/answer")
ANSWERS = {"yes": True, "no": False}


def _container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


def _found(token: str, answer: str) -> tuple[AutoReply, bool]:
    if answer not in ANSWERS:
        abort(404)
    reply = _container().auto_reply_answers.by_token(get_db(), token)
    if reply is None:
        abort(404)
    return reply, ANSWERS[answer]


def _language(reply: AutoReply) -> str:
    """The reader's choice, else the language the auto-reply was written in."""
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in current_app.config["LANGUAGES"]:
        return chosen
    sent = get_db().get(Message, reply.message_id) if reply.message_id else None
    written = ((sent.meta or {}).get("auto_reply") or {}).get("locale") if sent is not None else None
    return written if written in ("en", "zh") else "en"


def _page(template: str, reply: AutoReply, solved: bool, status: int = 200) -> ResponseReturnValue:
    language = _language(reply)
    article = get_db().get(Article, reply.article_id)
    version = article.version(language) if article is not None else None
    with force_locale(language):
        html = render_template(template, reply=reply, solved=solved, title=version.title if version else "",
                               answer="yes" if solved else "no", other="no" if solved else "yes")
    return html, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.errorhandler(404)
def unknown(_error: Exception) -> ResponseReturnValue:
    """A link we never sent, mistyped or cut short by a mail program: say so in the reader's language."""
    return render_template("answers/unknown.html"), 404, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.route("/<token>/<answer>", methods=["GET"])
def confirm(token: str, answer: str) -> ResponseReturnValue:
    reply, solved = _found(token, answer)
    if reply.state is not AutoReplyState.PENDING:
        return _page("answers/answered.html", reply, solved)
    return _page("answers/confirm.html", reply, solved)


@bp.route("/<token>/<answer>", methods=["POST"])
def give(token: str, answer: str) -> ResponseReturnValue:
    reply, solved = _found(token, answer)
    db = get_db()
    taken = _container().auto_reply_answers.answer(db, reply, solved, via="link")
    db.commit()
    return _page("answers/thanks.html" if taken else "answers/answered.html", reply, solved)


@dataclass(frozen=True)
class Shown:
    """The ticket page's line: which article answered, how sure it was, and where the customer's answer is."""

    reply: AutoReply
    code: str
    title: str


def auto_reply_of(ticket_id: int, language: str) -> Shown | None:
    """The ticket's auto-reply, if it had one (the ticket page's ``tickets/_auto_reply.html``)."""
    db = get_db()
    reply = db.scalar(select(AutoReply).where(AutoReply.ticket_id == ticket_id))
    if reply is None:
        return None
    article = db.get(Article, reply.article_id)
    version: ArticleVersion | None = article.version(language) if article is not None else None
    return Shown(reply, article.code if article is not None else "", version.title if version is not None else "")

