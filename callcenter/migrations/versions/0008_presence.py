"""Agent presence: the current state of each agent at the desk and the history of its spans

Revision ID: 0008_presence
Revises: 0007
Create Date: 2026-12-01 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0008_presence'
down_revision = '0007'
branch_labels = None
depends_on = None

_STATE = sa.Enum('signed_out', 'available', 'on_call', 'wrap_up', 'paused', name='presencestate',
                 native_enum=False, create_constraint=False, length=20)


def upgrade() -> None:
    op.create_table('agent_presence',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', _STATE, nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=80), nullable=True),
    sa.Column('pbx', sa.String(length=80), nullable=False),
    sa.Column('queues', sa.JSON(), nullable=False),
    sa.Column('since', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('wrapup_until', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_presence_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_agent_presence'))
    )
    with op.batch_alter_table('agent_presence', schema=None) as batch_op:
        batch_op.create_index('ix_agent_presence_pbx_state', ['pbx', 'state'], unique=False)
    op.create_table('presence_spans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', _STATE, nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('started_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_presence_spans_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_spans'))
    )
    with op.batch_alter_table('presence_spans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_spans_started_at'), ['started_at'], unique=False)
        batch_op.create_index('ix_presence_spans_user_started', ['user_id', 'started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('presence_spans', schema=None) as batch_op:
        batch_op.drop_index('ix_presence_spans_user_started')
        batch_op.drop_index(batch_op.f('ix_presence_spans_started_at'))
    op.drop_table('presence_spans')
    with op.batch_alter_table('agent_presence', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_presence_pbx_state')
    op.drop_table('agent_presence')
