"""Transcription jobs: redaction spans, the QA audio copy, duration, retry backoff

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redactions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('qa_audio', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('duration_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('not_before', callcenter.models.base.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.drop_column('not_before')
        batch_op.drop_column('duration_seconds')
        batch_op.drop_column('qa_audio')
        batch_op.drop_column('redactions')
