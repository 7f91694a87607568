"""QA workspace: versioned scorecards, reviews, keyword rules and call tags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:10:11.704372
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keyword_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('phrases', sa.JSON(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('scorecard_item', sa.String(length=80), nullable=True),
    sa.Column('mark', sa.String(length=20), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_keyword_rules_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword_rules'))
    )
    op.create_table('scorecards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scorecards_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecards')),
    sa.UniqueConstraint('slug', 'version', name=op.f('uq_scorecards_slug_version'))
    )
    op.create_table('call_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('hits', sa.JSON(), nullable=False),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_tags_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['keyword_rules.id'], name=op.f('fk_call_tags_rule_id_keyword_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_tags')),
    sa.UniqueConstraint('call_id', 'tag', name=op.f('uq_call_tags_call_id_tag'))
    )
    with op.batch_alter_table('call_tags', schema=None) as batch_op:
        batch_op.create_index('ix_call_tags_tag', ['tag'], unique=False)

    op.create_table('qa_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('failed_fail_all', sa.Boolean(), nullable=False),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_qa_reviews_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_qa_reviews_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_qa_reviews_reviewer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scorecard_id'], ['scorecards.id'], name=op.f('fk_qa_reviews_scorecard_id_scorecards'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_reviews'))
    )
    with op.batch_alter_table('qa_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_qa_reviews_agent_created', ['agent_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_qa_reviews_call_id'), ['call_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('qa_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_reviews_call_id'))
        batch_op.drop_index('ix_qa_reviews_agent_created')

    op.drop_table('qa_reviews')
    with op.batch_alter_table('call_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_call_tags_tag')

    op.drop_table('call_tags')
    op.drop_table('scorecards')
    op.drop_table('keyword_rules')
