"""The knowledge base's list and search, an article's page, its status, and an article from a solved ticket.

Every desk role reads and writes (drafts); supervisors and admins publish,
archive and return an article to draft; QA reads the published articles.
The services decide and audit; these views read the request and say the
outcome in the reader's language.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from callcenter.access import roles, visibility
from callcenter.knowledge import listing
from callcenter.knowledge.articles import TAG, Articles, KnowledgeError
from callcenter.knowledge.suggest import Suggester
from callcenter.models import Article, ArticleStatus, QuestionVariant, Ticket, User, VariantStatus

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..messages import refusal
from ..paging import page_for, rows_of
from ..query_args import note_ignored, page_args
from . import present

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")
PAGE = 25


def articles() -> Articles:
    found: Articles = current_app.extensions["container"].articles
    return found


def suggester() -> Suggester:
    found: Suggester = current_app.extensions["container"].suggester
    return found


def index_changed() -> None:
    """This process changed articles: its index looks at the database now, not a second later, so the
    next search (often the author's own) finds what was just saved."""
    current_app.extensions["container"].knowledge_index.refresh()


def editor() -> bool:
    """Whether the signed-in user writes articles (and so sees drafts and archived ones)."""
    return user().role in roles.DESK


def manager() -> bool:
    return user().role in roles.MANAGERS


def visible(article_id: int) -> Article:
    """The article, if this user may read it (readers who do not write see published ones only): else 404."""
    article = get_db().get(Article, article_id)
    if article is None or (article.status is not ArticleStatus.PUBLISHED and not editor()):
        abort(404)
    return article


def filters_of(read: Any, tags: list[str]) -> listing.Filters:
    return listing.Filters(q=read.text("q", 200), category=read.text("category", 80),
                           product=read.text("product", 80), tags=tuple(tags),
                           statuses=listing.statuses(read.choice("status", listing.STATUS_CHOICES), editor()))


def names(ids: set[int | None]) -> dict[int, str]:
    found = get_db().scalars(select(User).where(User.id.in_({i for i in ids if i is not None})))
    return {u.id: u.display_name or u.username for u in found}


@bp.route("/")
@roles_required(roles.EVERYONE)
def index() -> ResponseReturnValue:
    """The list: searched (ranked, matched words marked) or browsed (newest change first), a page at a time."""
    db = get_db()
    read = page_args()
    tags = [t for t in (t.strip().casefold() for t in request.args.getlist("tag")) if TAG.match(t)][:5]
    filters = filters_of(read, tags)
    if filters.q:
        found = listing.search(db, suggester(), filters, present.reader_locale())
        page = page_for(read, len(found), PAGE)
        rows = found[page.offset:page.offset + PAGE]
    else:
        shown, page = rows_of(db, listing.browse(filters), read, PAGE)
        rows = [listing.Found(a) for a in shown]
    note_ignored(read)
    waiting = db.scalar(select(func.count()).select_from(QuestionVariant).where(
        QuestionVariant.status == VariantStatus.CANDIDATE)) if manager() else 0
    return render_template("knowledge/index.html", rows=rows, filters=filters, page=page, args=request.args,
                           categories=listing.categories(db), products=listing.products(db), editor=editor(),
                           manager=manager(), waiting=waiting, status=request.args.get("status", "current"),
                           locale=present.reader_locale())


@bp.route("/<int:article_id>")
@roles_required(roles.EVERYONE)
def article_page(article_id: int) -> ResponseReturnValue:
    """One article in the reader's language (or the one asked for), its short answer, questions and history."""
    article = visible(article_id)
    asked = request.args.get("lang", "")
    wanted = asked if asked in ("en", "zh") else present.reader_locale()
    version = article.version(wanted)
    variants = [v for v in article.variants if editor() or v.status.value == "approved"]
    return render_template("knowledge/article.html", article=article, version=version, variants=variants,
                           people=names({article.created_by_id, article.updated_by_id}), editor=editor(),
                           manager=manager(), sms=present.sms(version.short if version else ""),
                           other=[v.locale for v in article.versions if version and v.locale != version.locale])


@bp.route("/<int:article_id>/status", methods=["POST"])
@roles_required(roles.MANAGERS)
def set_status(article_id: int) -> ResponseReturnValue:
    """Publish, archive or return to draft (publishing checks every language's short answer)."""
    db = get_db()
    article = visible(article_id)
    chosen = request.form.get("status", "")
    if chosen not in {s.value for s in ArticleStatus}:
        abort(400, "unknown status")
    try:
        articles().set_status(db, actor(), article.id, ArticleStatus(chosen))
    except KnowledgeError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("knowledge.article_page", article_id=article_id), 303)
    db.commit()
    index_changed()
    flash({"published": _("Article published: the desk, auto-reply and the IVR may use it now."),
           "archived": _("Article archived: nobody is offered it any more."),
           "draft": _("Article back to draft: nobody is offered it until it is published again.")}[chosen],
          "success")
    return redirect(url_for("knowledge.article_page", article_id=article_id), 303)


@bp.route("/from-ticket/<number>", methods=["POST"])
@roles_required(roles.DESK)
def from_ticket(number: str) -> ResponseReturnValue:
    """A draft from a solved ticket (its question the first variant, its last note the body); on to the editor."""
    db = get_db()
    ticket = db.scalar(select(Ticket).where(Ticket.number == number)) if number.isdigit() else None
    if ticket is None:
        abort(404)
    if not visibility.can_see_ticket(db, user(), ticket.id):
        refuse("ticket", number)
    try:
        article = articles().from_ticket(db, actor(), ticket.id)
    except KnowledgeError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("tickets.detail", number=number), 303)
    db.commit()
    flash(_("A draft was written from ticket %(n)s: check it, add the other language, then save.", n=number),
          "success")
    return redirect(url_for("knowledge.edit", article_id=article.id), 303)
