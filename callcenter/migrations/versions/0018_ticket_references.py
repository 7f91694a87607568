"""A ticket's records in other systems (the ERP's return, the CRM's case), found again by them

Revision ID: 0018_ticket_references
Revises: 0017_webhooks
Create Date: 2026-12-07 15:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0018_ticket_references'
down_revision = '0017_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ticket_references_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_references_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_references')),
    sa.UniqueConstraint('system', 'ref', name=op.f('uq_ticket_references_system_ref'))
    )
    with op.batch_alter_table('ticket_references', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_references_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_references', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_references_ticket_id'))
    op.drop_table('ticket_references')
