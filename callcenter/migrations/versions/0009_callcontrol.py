"""Call control from the desk: one row per click-to-call request; monitoring can be turned off per queue

Revision ID: 0008_callcontrol
Revises: 0008_presence
Create Date: 2026-12-01 15:35:56

``click_calls`` makes a click dial exactly once (unique idempotency key, and
one live call per agent and number); ``queues.monitoring_allowed`` lets a
queue keep supervisors from listening in (on by default: nothing changes).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0008_callcontrol'
down_revision = '0008_presence'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('click_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('live_slot', sa.String(length=80), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('callback_id', sa.Integer(), nullable=True),
    sa.Column('pbx', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=80), nullable=True),
    sa.Column('originate_key', sa.String(length=40), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('requested', 'dialling', 'failed', 'unknown', name='clickstatus', native_enum=False, length=20), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('sent_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_click_calls_agent_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_click_calls_call_id_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_click_calls_callback_id_callbacks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_click_calls_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_click_calls_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_click_calls')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_click_calls_idempotency_key')),
    sa.UniqueConstraint('live_slot', name=op.f('uq_click_calls_live_slot'))
    )
    with op.batch_alter_table('click_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_click_calls_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_click_calls_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_click_calls_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('monitoring_allowed', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.drop_column('monitoring_allowed')

    with op.batch_alter_table('click_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_click_calls_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_click_calls_call_id'))
        batch_op.drop_index(batch_op.f('ix_click_calls_agent_id'))

    op.drop_table('click_calls')
