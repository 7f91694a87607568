"""A ticket's conversation: messages on every channel, and their attachments

Revision ID: 0011_conversations
Revises: 0010_administration
Create Date: 2026-12-06 20:17:08.671575

Each message is stored once per channel id: ``(channel, channel_key)`` is
unique, so a channel that delivers a message twice still makes one row.
Attachments are rows here and files under the instance directory, by id.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0011_conversations'
down_revision = '0010_administration'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('phone', 'email', 'web', 'wechat', 'sms', name='channel', native_enum=False, length=20), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', name='messagedirection', native_enum=False, length=20), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'internal', name='visibility', native_enum=False, length=20), nullable=False),
    sa.Column('channel_key', sa.String(length=400), nullable=True),
    sa.Column('sender', sa.String(length=320), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('received_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivery_state', sa.Enum('queued', 'sent', 'failed', name='deliverystate', native_enum=False, length=20), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sent_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_messages_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('channel', 'channel_key', name=op.f('uq_messages_channel_channel_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_messages_delivery_state', ['delivery_state'], unique=False)
        batch_op.create_index('ix_messages_ticket_created', ['ticket_id', 'created_at'], unique=False)

    op.create_table('message_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('refused', sa.String(length=20), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_attachments_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachments'))
    )
    with op.batch_alter_table('message_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_attachments_message_id'), ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('message_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_attachments_message_id'))

    op.drop_table('message_attachments')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_ticket_created')
        batch_op.drop_index('ix_messages_delivery_state')
        batch_op.drop_index(batch_op.f('ix_messages_customer_id'))

    op.drop_table('messages')
