"""Transcripts: the caller's side cut into words once, when stored

Revision ID: 0014_transcript_words
Revises: 0013_knowledge
Create Date: 2026-12-07 05:00:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from callcenter.models.transcripts import caller_text
from callcenter.text.search import index_words

revision = '0014_transcript_words'
down_revision = '0013_knowledge'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller_words', sa.Text(), server_default=sa.text("''"), nullable=False))
    _words_for_existing_transcripts()


def _words_for_existing_transcripts() -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, turns, text FROM transcripts WHERE id > :last ORDER BY id LIMIT 200"),
                            {"last": last}).all()
        if not rows:
            return
        bind.execute(sa.text("UPDATE transcripts SET caller_words = :words WHERE id = :id"),
                     [{"id": r.id, "words": index_words(caller_text(_json(r.turns), r.text))} for r in rows])
        last = rows[-1].id


def _json(value: object) -> list[object]:
    """SQLite hands JSON back as text, PostgreSQL as the value."""
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, list) else []


def downgrade() -> None:
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.drop_column('caller_words')
