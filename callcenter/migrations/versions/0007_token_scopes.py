"""API tokens as their own rows: several per user, each with scopes, an expiry and a revocation

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:05:00

A user's one ``users.api_token_hash`` becomes an ``api_tokens`` row that
keeps working as before (every scope, no expiry), so no CRM breaks on upgrade.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Every scope when this migration was written (callcenter.access.scopes.ALL then).
_ALL_SCOPES = ["calls:read", "tickets:read", "tickets:write", "customers:read", "customers:write",
               "callbacks:read", "callbacks:write", "surveys:read", "transcripts:read"]


def upgrade() -> None:
    tokens = op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('expires_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    bind = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('api_token_hash', sa.String()),
                     sa.column('created_at', callcenter.models.base.UTCDateTime(timezone=True)))
    rows = [{"user_id": uid, "name": "before scopes", "token_hash": digest, "prefix": "cc_", "scopes": _ALL_SCOPES,
             "created_at": created}
            for uid, digest, created in bind.execute(
                sa.select(users.c.id, users.c.api_token_hash, users.c.created_at)
                .where(users.c.api_token_hash.is_not(None)))]
    if rows:
        op.bulk_insert(tokens, rows)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_api_token_hash'), type_='unique')
        batch_op.drop_column('api_token_hash')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_token_hash', sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_api_token_hash'), ['api_token_hash'])
    # Each user keeps their newest live token; the others (and every scope and expiry) are lost.
    bind = op.get_bind()
    newest = {}
    for uid, digest in bind.execute(sa.text(
            "SELECT user_id, token_hash FROM api_tokens WHERE revoked_at IS NULL ORDER BY id")):
        newest[uid] = digest
    for uid, digest in newest.items():
        bind.execute(sa.text("UPDATE users SET api_token_hash = :h WHERE id = :u"), {"h": digest, "u": uid})
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')
