"""The knowledge base's set-up: categories (supervisors and admins) and the segmenter's dictionary (admins).

A category's key is a ticket's category (what the IVR and the intake forms
set), so a caller's choice finds its articles; its threshold is the
calibrated probability at or above which its tickets are answered by
themselves.  The dictionary page has a "try it" box: how a sentence is cut
now, which is what tells an admin whether a word is missing.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from callcenter.access import roles
from callcenter.knowledge import listing
from callcenter.knowledge.dictionary import Dictionary
from callcenter.models import Article, DictionaryWord, User

from ..admin.pages import saved, with_status
from ..auth.access import actor, roles_required
from ..db import get_db
from .routes import articles, index_changed

bp = Blueprint("knowledge_admin", __name__, url_prefix="/admin/knowledge")
CATEGORY_FIELDS = ("key", "name_en", "name_zh", "threshold", "auto_reply")


def dictionary() -> Dictionary:
    found: Dictionary = current_app.extensions["container"].dictionary
    return found


def _categories(errors: dict[str, str]) -> ResponseReturnValue:
    db = get_db()
    counts = dict(db.execute(select(Article.category_id, func.count()).group_by(Article.category_id)).tuples().all())
    typed = {k: request.form.get(k, "") for k in CATEGORY_FIELDS} if errors else {}
    return with_status(render_template("knowledge/categories.html", categories=listing.categories(db), counts=counts,
                                       errors=errors, typed=typed,
                                       default=current_app.extensions["container"].settings.knowledge
                                       .default_threshold), bool(errors))


@bp.route("/categories")
@roles_required(roles.MANAGERS)
def categories() -> ResponseReturnValue:
    return _categories({})


def _threshold(text: str) -> float | None:
    """The typed threshold (a blank is the default); something not a number is refused by the service's range."""
    text = text.strip().replace(",", ".").rstrip("%")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return -1.0  # out of range: the service says what would do
    return value / 100 if value > 1 else value  # "75" means 75 %


@bp.route("/categories", methods=["POST"])
@roles_required(roles.MANAGERS)
def save_category() -> ResponseReturnValue:
    form = request.form
    key = form.get("key", "")[:100]
    return saved(lambda: articles().save_category(
        get_db(), actor(), key=key, name_en=form.get("name_en", "")[:300], name_zh=form.get("name_zh", "")[:300],
        threshold=_threshold(form.get("threshold", "")[:20]), auto_reply=form.get("auto_reply") == "1"),
        _categories, _("Category %(k)s saved.", k=key.strip().lower()), lambda: url_for("knowledge_admin.categories"))


def _dictionary(errors: dict[str, str]) -> ResponseReturnValue:
    db = get_db()
    words = dictionary().words(db)
    adders = {u.id: u.display_name or u.username for u in db.scalars(select(User).where(
        User.id.in_({w.added_by_id for w in words if w.added_by_id})))}
    sentence = request.args.get("try", "")[:500]
    return with_status(render_template("knowledge/dictionary.html", words=words, adders=adders, errors=errors,
                                       typed=request.form.get("word", "") if errors else "", sentence=sentence,
                                       cut=dictionary().cut(sentence) if sentence.strip() else None),
                       bool(errors))


@bp.route("/dictionary")
@roles_required(roles.ADMINS)
def dictionary_page() -> ResponseReturnValue:
    return _dictionary({})


@bp.route("/dictionary", methods=["POST"])
@roles_required(roles.ADMINS)
def add_word() -> ResponseReturnValue:
    word = request.form.get("word", "")[:100]
    return saved(lambda: dictionary().add(get_db(), actor(), word), _dictionary,
                 _("“%(w)s” added: every article was cut again with it.", w=word.strip()),
                 lambda: _with_sentence(request.form.get("try", "")[:500]))


def _with_sentence(sentence: str = "") -> str:
    """Back to the dictionary (every article was cut again: the index rebuilds now), with the sentence the
    admin was trying, now cut with the new word."""
    index_changed()
    page = url_for("knowledge_admin.dictionary_page")
    return f"{page}?{urlencode({'try': sentence})}" if sentence.strip() else page


@bp.route("/dictionary/<int:word_id>/remove", methods=["POST"])
@roles_required(roles.ADMINS)
def remove_word(word_id: int) -> ResponseReturnValue:
    db = get_db()
    row = db.get(DictionaryWord, word_id)
    if row is None:
        abort(404)
    word = row.word
    return saved(lambda: dictionary().remove(db, actor(), word_id), _dictionary,
                 _("“%(w)s” removed: every article was cut again without it.", w=word),
                 _with_sentence)
