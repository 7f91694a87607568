"""Incident mode: incidents declared (or proposed) on a problem ticket, and the callers subscribed to hear
when it is fixed; indexes of tickets' and transcripts' last change (the similar-ticket window)

Revision ID: 0016_incidents
Revises: 0015_problems
Create Date: 2026-12-07 07:38:38.470290
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0016_incidents'
down_revision = '0015_problems'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'open', 'ended', 'dismissed', name='incidentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('queue_name', sa.String(length=80), nullable=True),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('message_zh', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('seen', sa.Integer(), nullable=False),
    sa.Column('window_minutes', sa.Integer(), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=True),
    sa.Column('declared_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], name=op.f('fk_incidents_declared_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_incidents_ended_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['problem_id'], ['tickets.id'], name=op.f('fk_incidents_problem_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_problem_id'), ['problem_id'], unique=False)
        batch_op.create_index('ix_incidents_status', ['status'], unique=False)

    op.create_table('phone_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('waiting', 'due', 'dialing', 'told', 'no_answer', 'failed', 'cancelled', name='noticestatus', native_enum=False, length=20), nullable=False),
    sa.Column('due_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('completed_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_phone_notices_call_id_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_phone_notices_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_notices')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_phone_notices_ticket_id_tickets'), ondelete='CASCADE'),
    sa.UniqueConstraint('incident_id', 'number', name=op.f('uq_phone_notices_incident_id_number')),
    sa.UniqueConstraint('ticket_id', 'number', name=op.f('uq_phone_notices_ticket_id_number'))
    )
    with op.batch_alter_table('phone_notices', schema=None) as batch_op:
        batch_op.create_index('ix_phone_notices_status', ['status', 'due_at'], unique=False)
    # The similar-ticket window reads only the tickets and transcripts changed since its last look.
    op.create_index('ix_tickets_updated_at', 'tickets', ['updated_at'], unique=False)
    op.create_index('ix_transcripts_updated_at', 'transcripts', ['updated_at'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_transcripts_updated_at', table_name='transcripts')
    op.drop_index('ix_tickets_updated_at', table_name='tickets')
    with op.batch_alter_table('phone_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_notices_status')

    op.drop_table('phone_notices')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_status')
        batch_op.drop_index(batch_op.f('ix_incidents_problem_id'))

    op.drop_table('incidents')
