"""What a rule's actions do, each through the service that owns the change (history, audit and event
come with it), done by the actor ``automation`` so the change is seen as the rule's.

An action that cannot be carried out (no such agent, a customer without an address for the template)
raises ``ActionError``: the rule's savepoint rolls back, the run is logged as failed, the change that
started it stands.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..access.roles import ASSIGNABLE
from ..bus import Message as BusMessage
from ..conversations.replies import Replies, default_channel
from ..customers.tags import CustomerTags
from ..events import AutomationFired
from ..i18n import N_, Refusal, say_later
from ..models import (
    Customer,
    ReplyTemplate,
    TagSource,
    Team,
    Ticket,
    User,
    WebhookEndpoint,
    utcnow,
)
from ..tickets.service import TicketService
from ..webhooks.outbox import Outbox
from . import schema


class ActionError(Refusal):
    """An action that cannot be done on this ticket."""


@dataclass(frozen=True)
class Context:
    rule_id: int
    rule_name: str
    ticket: Ticket | None
    customer: Customer | None
    actor: Actor
    approval_id: int | None = None
    approved_by: str | None = None


class Actions:
    def __init__(self, tickets: TicketService, tags: CustomerTags, replies: Replies, outbox: Outbox) -> None:
        self.tickets, self.tags, self.replies, self.outbox = tickets, tags, replies, outbox

    def run(self, session: Session, action: Any, ctx: Context) -> str:
        """Do one action; what it did, in a few words for the run log."""
        if isinstance(action, schema.TagCustomer):
            return self._customer_tag(session, action, ctx)
        ticket = ctx.ticket
        if ticket is None:
            raise ActionError(N_("%(action)s needs a ticket, and this event has none."), code="no_ticket",
                              action=action.do)
        why = say_later(N_("rule %(rule)s"), rule=ctx.rule_name)
        if isinstance(action, schema.SetPriority):
            self.tickets.change(session, ticket, ctx.actor, reason=why, priority=action.value)
            return f"priority {action.value}"
        if isinstance(action, schema.SetStatus):
            self.tickets.change(session, ticket, ctx.actor, reason=why, status=action.value)
            return f"status {action.value}"
        if isinstance(action, schema.AddTag):
            self.tickets.tag(session, ticket, action.value, ctx.actor, why)
            return f"tag {action.value}"
        if isinstance(action, schema.Assign):
            user = session.scalar(select(User).where(User.username == action.user))
            if user is None or not user.is_active or user.role not in ASSIGNABLE:
                raise ActionError(N_("%(user)s cannot take tickets."), code="not_assignable", user=action.user)
            self.tickets.assign(session, ticket, user.id, ctx.actor, reason=why, route="rule")
            return f"assigned {user.username}"
        if isinstance(action, schema.SetTeam):
            team_id = session.scalar(select(Team.id).where(Team.name == action.team))
            if team_id is None:
                raise ActionError(N_("There is no team %(team)s."), code="no_team", team=action.team)
            self.tickets.change(session, ticket, ctx.actor, reason=why, team_id=team_id)
            return f"team {action.team}"
        if isinstance(action, schema.AddNote):
            self.tickets.add_note(session, ticket, action.text, ctx.actor, internal=True)
            return "note"
        if isinstance(action, schema.SendTemplate):
            return self._template(session, ticket, action, ctx)
        if isinstance(action, schema.CallWebhook):
            endpoint = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == action.endpoint))
            if endpoint is None or not endpoint.active:
                raise ActionError(N_("There is no active webhook endpoint %(name)s."), code="no_endpoint",
                                  name=action.endpoint)
            event = AutomationFired(ticket_id=ticket.id, number=ticket.number, actor=ctx.actor.name,
                                    rule_id=ctx.rule_id, rule=ctx.rule_name, approval_id=ctx.approval_id,
                                    approved_by=ctx.approved_by)
            self.outbox.deliver(session, endpoint.id, BusMessage(event))
            return f"webhook {endpoint.name}"
        raise ActionError(N_("%(action)s is not an action this rule can take here."), code="bad_action",
                          action=str(getattr(action, "do", action)))

    def _customer_tag(self, session: Session, action: schema.TagCustomer, ctx: Context) -> str:
        if ctx.customer is None:
            raise ActionError(N_("%(action)s needs a customer, and this event has none."), code="no_customer",
                              action=action.do)
        if action.do == "untag_customer":
            self.tags.remove(session, ctx.customer, action.value, ctx.actor)
            return f"customer untagged {action.value}"
        until = utcnow() + dt.timedelta(days=action.days) if action.days else None
        self.tags.add(session, ctx.customer, action.value, ctx.actor, source=TagSource.RULE, expires_at=until)
        return f"customer tagged {action.value}"

    def _template(self, session: Session, ticket: Ticket, action: schema.SendTemplate, ctx: Context) -> str:
        template = session.scalar(select(ReplyTemplate).where(ReplyTemplate.name == action.template,
                                                              ReplyTemplate.active.is_(True)))
        if template is None:
            raise ActionError(N_("There is no active reply template %(name)s."), code="no_template",
                              name=action.template)
        channel = default_channel(session, ticket, ctx.customer)
        filled = self.replies.templates.render(session, template, ticket, None, channel)
        self.replies.send(session, ticket, ctx.actor, channel=channel, body=filled.body, subject=filled.subject,
                          template_id=template.id)
        return f"template {template.name} by {channel.value}"
