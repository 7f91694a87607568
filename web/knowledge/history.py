"""An article's history: every saved revision with its author, time, note and status, what each changed in
each language, and restoring an old one (as a new revision: nothing is ever overwritten)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles
from callcenter.knowledge.articles import KnowledgeError
from callcenter.models import ArticleRevision

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal
from . import present
from .routes import articles, bp, index_changed, manager, names, visible

FIELDS = ("title", "short", "body")


@dataclass
class Revision:
    """One save: its language versions, and per language and text what changed since that language's last save."""

    number: int
    first: ArticleRevision
    versions: list[ArticleRevision] = field(default_factory=list)
    changes: dict[str, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)


def revisions(rows: list[ArticleRevision]) -> list[Revision]:
    """Revisions newest first, each language compared with the previous revision that had it."""
    by_number: dict[int, list[ArticleRevision]] = defaultdict(list)
    for row in rows:
        by_number[row.number].append(row)
    out: list[Revision] = []
    last: dict[str, ArticleRevision] = {}
    for number in sorted(by_number):
        group = sorted(by_number[number], key=lambda r: r.locale)
        revision = Revision(number, group[0], group)
        for row in group:
            before = last.get(row.locale)
            revision.changes[row.locale] = {
                name: present.diff(getattr(before, name) if before else "", getattr(row, name))
                for name in FIELDS if before is None or getattr(before, name) != getattr(row, name)}
            last[row.locale] = row
        out.append(revision)
    return out[::-1]


@bp.route("/<int:article_id>/history")
@roles_required(roles.EVERYONE)
def history(article_id: int) -> ResponseReturnValue:
    article = visible(article_id)
    rows = articles().history(get_db(), article.id)
    return render_template("knowledge/history.html", article=article, revisions=revisions(rows),
                           people=names({r.author_id for r in rows}), manager=manager(),
                           version=article.version(present.reader_locale()))


@bp.route("/<int:article_id>/history/<int:number>/restore", methods=["POST"])
@roles_required(roles.MANAGERS)
def restore(article_id: int, number: int) -> ResponseReturnValue:
    db = get_db()
    article = visible(article_id)
    try:
        articles().restore(db, actor(), article.id, number)
    except KnowledgeError as exc:
        db.rollback()
        if exc.code == "not_found":
            abort(404)
        flash(refusal(exc), "error")
        return redirect(url_for("knowledge.history", article_id=article_id), 303)
    db.commit()
    index_changed()
    flash(_("Revision %(n)s restored as revision %(m)s.", n=number, m=article.revision), "success")
    return redirect(url_for("knowledge.history", article_id=article_id), 303)
