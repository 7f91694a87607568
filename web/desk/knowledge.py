"""The knowledge panel's calls: suggestions as the agent types, the article's text to insert, "helpful or
not", and "link to the ticket".  The panel (web/static/knowledge_suggest.js) sits in the pop beside the
intake form and on the ticket page; the services decide, log and audit (callcenter/knowledge)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.access import roles, visibility
from callcenter.i18n import N_, Refusal
from callcenter.inputs import parsers
from callcenter.inputs.parsers import Args, InvalidInput
from callcenter.knowledge import desk
from callcenter.knowledge.articles import locale_of
from callcenter.knowledge.suggest import Hit, Suggester
from callcenter.models import Article, ArticleStatus, Call, Customer, LinkKind, Suggestion, Ticket

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..messages import refusal
from ..templating import localtime, zone
from .routes import _answers, _call_for_desk

bp = Blueprint("desk_knowledge", __name__, url_prefix="/desk/knowledge")
MAX_TYPED = 2000  # characters of the form's text sent as the question
NO_STORE = {"Cache-Control": "no-store"}
# What the desk may note on a ticket; auto-reply, the IVR and "written from" are the services' own.
DESK_KINDS = (LinkKind.LINKED.value, LinkKind.INSERTED.value)


def _suggester() -> Suggester:
    found: Suggester = current_app.extensions["container"].suggester
    return found


def article_url(article_id: int, locale: str | None = None) -> str:
    """The article's page (web/knowledge), in the language the panel shows it in."""
    return url_for("knowledge.article_page", article_id=article_id, lang=locale)


def kind_labels() -> dict[str, str]:
    return {LinkKind.LINKED.value: _("Linked"), LinkKind.INSERTED.value: _("Inserted in a reply or note"),
            LinkKind.AUTO_REPLIED.value: _("Sent as an automatic reply"), LinkKind.IVR.value: _("Heard in the IVR"),
            LinkKind.SOURCE.value: _("Written from this ticket")}


def hit_json(hit: Hit) -> dict[str, Any]:
    return {"article_id": hit.article_id, "code": hit.code, "locale": hit.locale, "title": hit.title,
            "short": hit.short, "category": hit.category, "probability": hit.probability,
            "percent": round(hit.probability * 100), "calibrated": hit.calibrated, "matched": list(hit.matched),
            "rank": hit.rank, "suggestion_id": hit.suggestion_id, "url": article_url(hit.article_id, hit.locale)}


def linked_json(db: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The articles noted on the ticket, titled in the customer's language like the cards (else the agent's)."""
    names, where = kind_labels(), zone(current_app)
    customer = db.scalar(select(Customer).join(Ticket, Ticket.customer_id == Customer.id).where(Ticket.id == ticket_id))
    locale = locale_of(customer.language) if customer is not None else _locale()
    return [{"article_id": link.article_id, "code": version.article.code if version else "",
             "title": version.title if version else "—", "kind": link.kind.value,
             "kind_label": names.get(link.kind.value, link.kind.value), "at": localtime(link.at, where),
             "url": article_url(link.article_id, version.locale if version else None)}
            for link, version in _suggester().linked(db, ticket_id, locale)]


def _locale() -> str:
    return locale_of(str(get_locale() or "en"))


def _invalid(exc: InvalidInput) -> ResponseReturnValue:
    return jsonify(error="invalid", message=refusal(exc), errors={exc.field: refusal(exc)}), 422


def _refused(exc: Refusal) -> ResponseReturnValue:
    """Nothing is stored; the service's reason in the agent's language."""
    get_db().rollback()
    message = refusal(exc)
    return jsonify(error=exc.code or "invalid", message=message, errors={exc.field or "_": message}), 422


def _visible_ticket(ticket_id: int | None) -> Ticket | None:
    if ticket_id is None:
        return None
    db = get_db()
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or not visibility.can_see_ticket(db, user(), ticket_id):
        refuse("ticket", ticket_id)
    return ticket


def _asked(read: Args, typed: str, context: str) -> tuple[desk.Question, Ticket | None, Call | None]:
    """The desk's question from the request: typed text, category, ticket or call (each checked)."""
    db = get_db()
    ticket = _visible_ticket(read.ident("ticket"))
    call_id = read.ident("call")
    call = _call_for_desk(call_id) if call_id is not None and ticket is None else None
    history = visibility.ticket_clause(user()) if context == "pop" else None
    asked = desk.question(db, typed=typed, category=read.text("category", 80) or None, call=call, ticket=ticket,
                          history=history)
    return asked, ticket, call


@bp.route("/suggest")
@roles_required(roles.DESK)
def suggest() -> ResponseReturnValue:
    """The top articles for what the ticket or call is about and what the agent typed; JSON, never cached."""
    read = Args(request.args, strict=True)
    try:
        typed = read.text("q", MAX_TYPED)
        context = read.choice("context", desk.CONTEXTS) or "form"
        asked, ticket, call = _asked(read, typed, context)
    except InvalidInput as exc:
        return _invalid(exc)
    db = get_db()
    # The pop's and the ticket page's first look, never keystrokes; "again": this tab logged this pop already.
    log = context in desk.LOGGED and not typed and request.args.get("again") != "1"
    hits = desk.offer(db, _suggester(), asked, context=context, log=log, ticket_id=ticket.id if ticket else None,
                      call_id=call.id if call else None, user_id=user().id)
    if log:
        db.commit()
    found: dict[str, Any] = {"context": context, "category": asked.category, "logged": log and bool(hits),
                             "hits": [hit_json(h) for h in hits]}
    if ticket is not None:
        found["linked"] = linked_json(db, ticket.id)
    return jsonify(found), 200, NO_STORE


@bp.route("/articles/<int:article_id>")
@roles_required(roles.DESK)
def article_text(article_id: int) -> ResponseReturnValue:
    """A published article's text in a language (``locale``), for "Insert" when the whole text is wanted."""
    db = get_db()
    article = db.get(Article, article_id)
    if article is None or article.status is not ArticleStatus.PUBLISHED:
        return jsonify(error="not_found", message=_("This article is no longer published.")), 404, NO_STORE
    version = article.version(request.args.get("locale") or _locale())
    if version is None:
        return jsonify(error="not_found", message=_("This article is no longer published.")), 404, NO_STORE
    return jsonify(article_id=article.id, code=article.code, locale=version.locale, title=version.title,
                   short=version.short, body=version.body, url=article_url(article.id, version.locale)), 200, NO_STORE


def _may_mark(db: Session, row: Suggestion) -> bool:
    """A logged suggestion is marked by whom it was shown to, or by whoever may see its ticket or call."""
    me = user()
    return (row.user_id == me.id or (row.ticket_id is not None and visibility.can_see_ticket(db, me, row.ticket_id))
            or (row.call_id is not None and visibility.can_see_call(db, me, row.call_id)))


def _helpful(data: dict[str, Any]) -> bool:
    value = data.get("helpful")
    if value in (True, "1", "true", "yes"):
        return True
    if value in (False, "0", "false", "no"):
        return False
    raise InvalidInput("helpful", N_("yes or no"))


@bp.route("/mark", methods=["POST"])
@roles_required(roles.DESK)
def mark() -> ResponseReturnValue:
    """"Helpful" or "not helpful": on the logged suggestion, else on the question asked and the article."""
    db = get_db()
    data = _answers()
    try:
        helpful = _helpful(data)
        read = Args({k: v for k, v in data.items() if isinstance(v, str | int) and not isinstance(v, bool)},
                    strict=True)
        suggestion_id = read.ident("suggestion_id")
        if suggestion_id is not None:
            row = db.get(Suggestion, suggestion_id)
            if row is None:
                return jsonify(error="not_found", message=_("That suggestion is gone; the panel shows the current "
                                                            "ones.")), 404
            if not _may_mark(db, row):
                refuse("suggestion", suggestion_id)
            marked = _suggester().mark(db, actor(), helpful=helpful, suggestion_id=row.id)
        else:
            context = read.choice("context", desk.CONTEXTS) or "form"
            asked, ticket, _call = _asked(read, read.text("q", MAX_TYPED), context)
            marked = _suggester().mark(db, actor(), helpful=helpful, query=asked.text, cut=asked.cut,
                                       article_id=read.ident("article_id"), context=context,
                                       ticket_id=ticket.id if ticket else None, category=asked.category)
    except InvalidInput as exc:
        return _invalid(exc)
    except Refusal as exc:
        return _refused(exc)
    db.commit()
    return jsonify(suggestion_id=marked.id, helpful=marked.helpful)


@bp.route("/link", methods=["POST"])
@roles_required(roles.DESK)
def link() -> ResponseReturnValue:
    """Note an article on a ticket the agent may change: "linked", or "inserted" into its reply or note."""
    db = get_db()
    data = _answers()
    try:
        ticket_id = parsers.ident(data.get("ticket"), "ticket")
        article_id = parsers.ident(data.get("article_id"), "article_id")
        kind = parsers.choice(data.get("kind") or LinkKind.LINKED.value, DESK_KINDS, "kind")
    except InvalidInput as exc:
        return _invalid(exc)
    if db.get(Ticket, ticket_id) is None or not visibility.can_edit_ticket(db, user(), ticket_id):
        refuse("ticket", ticket_id)
    try:
        _suggester().link(db, actor(), ticket_id, article_id, LinkKind(kind))
    except Refusal as exc:
        return _refused(exc)
    db.commit()
    return jsonify(linked=linked_json(db, ticket_id))
