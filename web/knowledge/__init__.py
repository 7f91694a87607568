"""The knowledge base's pages: the list and search, an article, the editor with its preview, the history,
the questions to review (``routes``, ``editor``, ``history``, ``questions``), and its set-up (``admin``)."""
from __future__ import annotations

from flask import Flask

from . import admin, editor, history, present, questions, routes

# Imported for the pages they add to ``routes.bp`` (all ``knowledge.*``); listed so a reader sees them all.
PAGES = (routes, editor, history, questions)


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.register_blueprint(admin.bp)
    # What the knowledge templates (and the ticket page's partial) name: text shown safely, labels.
    app.jinja_env.globals.update(
        kb_statuses=present.STATUSES, kb_locales=present.LOCALES, kb_variant_statuses=present.VARIANT_STATUSES,
        kb_variant_sources=present.VARIANT_SOURCES, kb_category=present.category_name, kb_highlight=present.highlight,
        kb_paragraphs=present.paragraphs, kb_note=present.note)
