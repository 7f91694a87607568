"""Administration and a desk without dead ends

Revision ID: 0010_administration
Revises: 0008_callcontrol
Create Date: 2026-12-06 15:32:18

The centre sets itself up from the UI: queues gain what an admin edits
(Chinese name, service level target, business hours, default form,
recording, a direct number, managed/retired), skills a Chinese name and
a retired flag, and wrap-up codes become one list of the centre's own
(seeded with the codes the built-in forms had, plus the reasons a call
needs no ticket).  The
desk keeps its pops on the server (``desk_pops``) and a call closed without
a ticket keeps why (``calls.no_ticket_*``).  System notes keep their
message id and values (``ticket_notes.template/params``) so each reader
sees them in their own language, and so do the ticket history's reasons
(``ticket_changes.reason_template/reason_params``).  A form version keeps
the TOML text it was written as (``form_definitions.source``), so the forms
editor shows the admin's comments and layout again.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.models.base

revision = '0010_administration'
down_revision = '0008_callcontrol'
branch_labels = None
depends_on = None


# The centre's first wrap-up codes: those the built-in forms carried, and why a call may need no ticket.
WRAPUP_CODES = [
    ("resolved_first_call", "Resolved on the call", "通话中已解决", "ticket"),
    ("follow_up", "Needs follow-up", "需要跟进", "ticket"),
    ("engineer_visit", "Engineer visit booked", "已预约上门", "ticket"),
    ("escalated", "Escalated to 2nd line", "已升级至二线", "ticket"),
    ("order_placed", "Order placed", "已下单", "ticket"),
    ("quote_sent", "Quote to send", "待发报价", "ticket"),
    ("not_interested", "Not interested", "无意向", "ticket"),
    ("explained", "Bill explained", "已解释账单", "ticket"),
    ("refund", "Refund requested", "已申请退款", "ticket"),
    ("payment_plan", "Payment plan agreed", "已约定分期", "ticket"),
    ("transferred", "Transferred", "已转接", "both"),
    ("wrong_number", "Wrong number", "打错电话", "no_ticket"),
    ("silent_call", "Silent call", "无声来电", "no_ticket"),
    ("hung_up_early", "Caller hung up before saying why", "来电人未说明来意即挂断", "no_ticket"),
    ("duplicate", "Already has a ticket", "已有工单", "no_ticket"),
    ("test_call", "Test call", "测试来电", "no_ticket"),
]


def _seed_wrapup_codes() -> None:
    table = sa.table("wrapup_codes", sa.column("code", sa.String), sa.column("label", sa.String),
                     sa.column("label_zh", sa.String), sa.column("kind", sa.String),
                     sa.column("position", sa.Integer), sa.column("is_active", sa.Boolean),
                     sa.column("created_at", callcenter.models.base.UTCDateTime(timezone=True)))
    now = callcenter.models.base.utcnow()
    op.bulk_insert(table, [{"code": code, "label": label, "label_zh": zh, "kind": kind, "position": i,
                            "is_active": True, "created_at": now}
                           for i, (code, label, zh, kind) in enumerate(WRAPUP_CODES)])


def upgrade() -> None:
    op.create_table('wrapup_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('label_zh', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('ticket', 'no_ticket', 'both', name='wrapupkind', native_enum=False, length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wrapup_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_wrapup_codes_code'))
    )
    _seed_wrapup_codes()
    op.create_table('desk_pops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('state', sa.Enum('ringing', 'answered', 'ended', 'handled', 'withdrawn', name='popstate', native_enum=False, length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_desk_pops_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_desk_pops_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_pops_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_pops')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_desk_pops_user_id_key'))
    )
    with op.batch_alter_table('desk_pops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_pops_call_id'), ['call_id'], unique=False)
        batch_op.create_index('ix_desk_pops_user_state', ['user_id', 'state'], unique=False)
        batch_op.create_index('ix_desk_pops_key', ['key'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_ticket_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('no_ticket_note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('no_ticket_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('no_ticket_at', callcenter.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_calls_no_ticket_by_id_users'), 'users', ['no_ticket_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name_zh', sa.String(length=200), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column('service_level_target', sa.Integer(), server_default='80', nullable=False))
        batch_op.add_column(sa.Column('business_hours', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column('default_form', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('recording', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('did', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('managed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_queues_did'), ['did'])
    # The JSON columns' defaults only filled the rows already there; the models give new rows theirs.
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.alter_column('business_hours', server_default=None)

    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_zh', sa.String(length=80), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('ticket_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table('ticket_notes', schema=None) as batch_op:
        batch_op.alter_column('params', server_default=None)

    with op.batch_alter_table('form_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.Text(), nullable=True))

    # The ticket history's reasons, like the notes: said in each reader's language (i18n).
    with op.batch_alter_table('ticket_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_template', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('reason_params', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table('ticket_changes', schema=None) as batch_op:
        batch_op.alter_column('reason_params', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('ticket_changes', schema=None) as batch_op:
        batch_op.drop_column('reason_params')
        batch_op.drop_column('reason_template')

    with op.batch_alter_table('form_definitions', schema=None) as batch_op:
        batch_op.drop_column('source')

    with op.batch_alter_table('ticket_notes', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('template')

    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.drop_column('is_active')
        batch_op.drop_column('name_zh')

    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_queues_did'), type_='unique')
        batch_op.drop_column('is_active')
        batch_op.drop_column('managed')
        batch_op.drop_column('did')
        batch_op.drop_column('recording')
        batch_op.drop_column('default_form')
        batch_op.drop_column('business_hours')
        batch_op.drop_column('service_level_target')
        batch_op.drop_column('display_name_zh')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calls_no_ticket_by_id_users'), type_='foreignkey')
        batch_op.drop_column('no_ticket_at')
        batch_op.drop_column('no_ticket_by_id')
        batch_op.drop_column('no_ticket_note')
        batch_op.drop_column('no_ticket_reason')

    with op.batch_alter_table('desk_pops', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_pops_key')
        batch_op.drop_index('ix_desk_pops_user_state')
        batch_op.drop_index(batch_op.f('ix_desk_pops_call_id'))

    op.drop_table('desk_pops')
    op.drop_table('wrapup_codes')
