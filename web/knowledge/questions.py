"""Questions to review (supervisors and admins): customers' wordings waiting to become an article's question.

They come from customers who said "no" to an auto-reply (their words may ask
something the article does not answer, or ask it in a way it should match)
and from tickets.  Approved, a wording is matched from then on; dismissed,
it is kept out of matching.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles
from callcenter.knowledge.articles import KnowledgeError
from callcenter.models import Article, Ticket

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal
from . import present
from .routes import articles, bp, index_changed


@bp.route("/questions")
@roles_required(roles.MANAGERS)
def questions() -> ResponseReturnValue:
    db = get_db()
    waiting = articles().candidates(db)
    found = db.scalars(select(Article).where(Article.id.in_({v.article_id for v in waiting}))).all()
    tickets = dict(db.execute(select(Ticket.id, Ticket.number).where(
        Ticket.id.in_({v.ticket_id for v in waiting if v.ticket_id}))).tuples().all())
    return render_template("knowledge/questions.html", waiting=waiting, tickets=tickets,
                           articles={a.id: a for a in found}, locale=present.reader_locale())


@bp.route("/questions/<int:variant_id>", methods=["POST"])
@roles_required(roles.MANAGERS)
def review(variant_id: int) -> ResponseReturnValue:
    db = get_db()
    decision = request.form.get("decision", "")
    if decision not in ("approve", "dismiss"):
        abort(400, "approve or dismiss")
    try:
        variant = articles().review_variant(db, actor(), variant_id, decision == "approve")
    except KnowledgeError as exc:
        db.rollback()
        if exc.code == "not_found":
            abort(404)
        flash(refusal(exc), "error")
        return redirect(url_for("knowledge.questions"), 303)
    text = variant.text
    db.commit()
    index_changed()
    flash(_("“%(q)s” is matched from now on.", q=text) if decision == "approve"
          else _("“%(q)s” was dismissed.", q=text), "success")
    return redirect(url_for("knowledge.questions"), 303)
