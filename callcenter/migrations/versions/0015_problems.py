"""Problem and incident tickets: a problem flag and each incident's problem

Revision ID: 0015_problems
Revises: 0014_transcript_words
Create Date: 2026-12-07 05:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.text.search import SQLITE_FTS

revision = '0015_problems'
down_revision = '0014_transcript_words'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_problem', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('problem_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_problem_id'), ['problem_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_problem_id_tickets'), 'tickets', ['problem_id'], ['id'],
                                    ondelete='SET NULL')
    _search_index_again()


def _search_index_again() -> None:
    """SQLite rebuilt the tickets table to add the foreign key: its search triggers went with the old one."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_problem_id_tickets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_problem_id'))
        batch_op.drop_column('problem_id')
        batch_op.drop_column('is_problem')
    _search_index_again()
