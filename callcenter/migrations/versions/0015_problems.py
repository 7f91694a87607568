"""Problem and incident tickets, merges, bulk actions: a problem flag, each incident's problem, a merged
ticket's target, each merge's record for its undo, a bulk job's tickets and a job's cancel

Revision ID: 0015_problems
Revises: 0014_transcript_words
Create Date: 2026-12-07 05:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

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
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_merged_into_id_tickets'), 'tickets', ['merged_into_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_tickets_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_tickets_status_category_created', ['status', 'category', 'created_at'], unique=False)
    _search_index_again()
    op.create_table('ticket_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('source_status', sa.String(length=20), nullable=False),
    sa.Column('source_was_problem', sa.Boolean(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('undone_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_ticket_merges_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['tickets.id'], name=op.f('fk_ticket_merges_source_id_tickets'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['tickets.id'], name=op.f('fk_ticket_merges_target_id_tickets'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_ticket_merges_undone_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_merges'))
    )
    with op.batch_alter_table('ticket_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_merges_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_merges_target_id'), ['target_id'], unique=False)
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_requested_at', callcenter.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_table('bulk_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'done', 'failed', 'skipped', name='bulkitemstate', native_enum=False,
                               length=20), nullable=False),
    sa.Column('reason_template', sa.String(length=300), nullable=True),
    sa.Column('reason_params', sa.JSON(), nullable=False),
    sa.Column('done_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['background_jobs.id'], name=op.f('fk_bulk_items_job_id_background_jobs'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_bulk_items_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_items')),
    sa.UniqueConstraint('job_id', 'ticket_id', name=op.f('uq_bulk_items_job_id_ticket_id'))
    )
    with op.batch_alter_table('bulk_items', schema=None) as batch_op:
        batch_op.create_index('ix_bulk_items_job_state', ['job_id', 'state'], unique=False)


def _search_index_again() -> None:
    """SQLite rebuilt the tickets table to add the foreign key: its search triggers went with the old one."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table('bulk_items')
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.drop_column('cancel_requested_at')
    op.drop_table('ticket_merges')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_status_category_created')
        batch_op.drop_index('ix_tickets_status_created')
        batch_op.drop_constraint(batch_op.f('fk_tickets_merged_into_id_tickets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_merged_into_id'))
        batch_op.drop_column('merged_into_id')
        batch_op.drop_constraint(batch_op.f('fk_tickets_problem_id_tickets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_problem_id'))
        batch_op.drop_column('problem_id')
        batch_op.drop_column('is_problem')
    _search_index_again()
