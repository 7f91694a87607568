"""The article editor: a new article, a new revision of one, and the preview of either before it is saved.

"Preview" renders what was typed as the desk and the customer will see it,
saving nothing; "Save" stores a revision (a new article is a draft);
"Save and publish" is for supervisors and admins.  A refusal comes back on
the field at fault, in the reader's language, with everything typed kept.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from callcenter.access import roles
from callcenter.knowledge import listing
from callcenter.knowledge.articles import KnowledgeError
from callcenter.models import Article, ArticleStatus

from ..admin.pages import refused, with_status
from ..auth.access import actor, roles_required
from ..db import get_db
from . import forms, present
from .routes import articles, bp, index_changed, manager, visible


def _page(article: Article | None, typed: forms.Editor, errors: dict[str, str],
          preview: bool = False) -> ResponseReturnValue:
    db = get_db()
    shown = {loc: {"title": v.title, "body": present.paragraphs(v.body), "short": v.short, "sms": present.sms(v.short)}
             for loc, v in typed.versions.items()} if preview else {}
    first_error = next((k.rsplit("_", 1)[1] for k in errors if k.rsplit("_", 1)[-1] in ("en", "zh")), None)
    page = render_template("knowledge/edit.html", article=article, form=typed, errors=errors, preview=shown,
                           categories=listing.categories(db), products=listing.products(db), manager=manager(),
                           tab=first_error or present.reader_locale())
    return with_status(page, bool(errors))


def _saved(db: Session, work: Callable[[], Article], page: Callable[[dict[str, str]], ResponseReturnValue],
           message: str) -> ResponseReturnValue:
    try:
        article = work()
    except KnowledgeError as exc:
        return page(refused(db, exc))
    db.commit()
    index_changed()
    flash(message, "success")
    return redirect(url_for("knowledge.article_page", article_id=article.id), 303)


@bp.route("/new")
@roles_required(roles.DESK)
def new() -> ResponseReturnValue:
    return _page(None, forms.Editor(category=request.args.get("category", "")[:80]), {})


@bp.route("/new", methods=["POST"])
@roles_required(roles.DESK)
def create() -> ResponseReturnValue:
    typed = forms.read(request.form)
    if typed.action == "preview":
        return _page(None, typed, {}, preview=True)
    db = get_db()

    def work() -> Article:
        return articles().create(db, actor(), versions=typed.versions, category=typed.category or None,
                                 product=typed.product, tags=typed.tag_list, variants=typed.variants,
                                 publish=typed.action == "publish", note=typed.note)

    return _saved(db, work, lambda errors: _page(None, typed, errors),
                  _("Article published.") if typed.action == "publish"
                  else _("Draft saved. A supervisor publishes it when it is ready."))


@bp.route("/<int:article_id>/edit")
@roles_required(roles.DESK)
def edit(article_id: int) -> ResponseReturnValue:
    article = visible(article_id)
    return _page(article, forms.of_article(article), {})


@bp.route("/<int:article_id>/edit", methods=["POST"])
@roles_required(roles.DESK)
def update(article_id: int) -> ResponseReturnValue:
    article = visible(article_id)
    typed = forms.read(request.form)
    if typed.action == "preview":
        return _page(article, typed, {}, preview=True)
    db = get_db()
    service, who = articles(), actor()

    def work() -> Article:
        service.save(db, who, article.id, versions=typed.versions, category=typed.category or None,
                     product=typed.product, tags=typed.tag_list, note=typed.note)
        service.set_variants(db, who, article.id, typed.variants)
        if typed.action == "publish":
            service.set_status(db, who, article.id, ArticleStatus.PUBLISHED)
        return article

    return _saved(db, work, lambda errors: _page(article, typed, errors),
                  _("Article published.") if typed.action == "publish" else _("Article saved."))

