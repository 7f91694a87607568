"""The rules admins write: checked, saved (audited), ordered, and held in memory for the engine.

A rule is kept as its TOML text, so the editor shows exactly what was saved; ``check`` parses it with the
forms editor's line-by-line problems, then looks up the names it uses (people, teams, templates,
webhook endpoints, forms' fields are free text) in the database.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..forms.checks import Problem, validate
from ..forms.lines import key_lines, line_of
from ..i18n import N_, Refusal
from ..models import AutomationRule, ReplyTemplate, Team, User, WebhookEndpoint
from . import schema
from .notifier import RuleNotifier

log = logging.getLogger(__name__)

STARTER = '''name = "Refunds wait for a supervisor"
# ticket_created, ticket_changed, call_ended, survey_answered or sla_warning
when = "ticket_created"

[[if]]
field = "ticket.category"
op = "is"
value = "return"

[[then]]
do = "set_priority"
value = "high"

[[then]]
do = "ask_approval"
role = "supervisor"
reason = "A refund goes to the ERP only when a supervisor agrees."

[[then]]
do = "add_note"
text = "Refund approved: the ERP is told."
'''


class RuleError(Refusal):
    """A rule the service refuses; ``problems``: each on its line, for the editor."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0].refusal
        super().__init__(first.template, field=first.field, code=first.code, **first.params)
        self.problems = problems


@dataclass(frozen=True)
class Loaded:
    id: int
    name: str
    when: str
    spec: schema.RuleSpec


def check(session: Session, text: str) -> tuple[schema.RuleSpec | None, list[Problem]]:
    """The rule, or what is wrong with it, each problem on its line."""
    spec, problems = validate(text, schema.RuleSpec)
    if spec is None:
        return None, problems
    lines = key_lines(text)
    for n, action in enumerate(spec.actions):
        missing = _missing(session, action)
        if missing is not None:
            key, refusal = missing
            problems.append(Problem(line_of(lines, ("then", n, key)), None, refusal))
    return (None, problems) if problems else (spec, [])


def _missing(session: Session, action: object) -> tuple[str, Refusal] | None:
    """The name an action uses that the database does not have."""
    if isinstance(action, schema.Assign) and \
            session.scalar(select(User.id).where(User.username == action.user)) is None:
        return "user", Refusal(N_("There is nobody with the user name %(name)s."), code="no_user", name=action.user)
    if isinstance(action, schema.SetTeam) and session.scalar(select(Team.id).where(Team.name == action.team)) is None:
        return "team", Refusal(N_("There is no team %(name)s."), code="no_team", name=action.team)
    if isinstance(action, schema.SendTemplate) and session.scalar(
            select(ReplyTemplate.id).where(ReplyTemplate.name == action.template)) is None:
        return "template", Refusal(N_("There is no reply template %(name)s."), code="no_template",
                                   name=action.template)
    if isinstance(action, schema.CallWebhook) and session.scalar(
            select(WebhookEndpoint.id).where(WebhookEndpoint.name == action.endpoint)) is None:
        return "endpoint", Refusal(N_("There is no webhook endpoint %(name)s."), code="no_endpoint",
                                   name=action.endpoint)
    return None


class Rules:
    """Admins' rules, and the active ones parsed once and held for ``hold_seconds`` (or until one changes)."""

    def __init__(self, notifier: RuleNotifier, hold_seconds: float = 30.0) -> None:
        self.notifier, self.hold_seconds = notifier, hold_seconds
        self._held: tuple[float, list[Loaded]] | None = None
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._held = None

    def active(self, session: Session) -> list[Loaded]:
        """The active rules in order; one whose text no longer parses is logged and left out."""
        with self._lock:
            held = self._held
        if held is not None and time.monotonic() - held[0] < self.hold_seconds:
            return held[1]
        found = []
        for row in session.scalars(select(AutomationRule).where(AutomationRule.active.is_(True))
                                   .order_by(AutomationRule.position, AutomationRule.id)):
            spec, problems = validate(row.definition, schema.RuleSpec)
            if spec is None:
                log.warning("automation rule %s (%s) does not parse: %s", row.id, row.name, problems[0].refusal)
                continue
            found.append(Loaded(row.id, row.name, spec.when, spec))
        with self._lock:
            self._held = (time.monotonic(), found)
        return found

    def wanted(self, session: Session) -> set[str]:
        """Names of the catalogue events some active rule runs on."""
        return {schema.WHEN[r.when] for r in self.active(session)}

    # -- what admins change ---------------------------------------------------------------------
    def save(self, session: Session, actor: Actor, text: str, rule: AutomationRule | None = None) -> AutomationRule:
        spec, problems = check(session, text)
        if spec is None:
            raise RuleError(problems)
        created = rule is None
        if rule is None:
            last = session.scalar(select(func.max(AutomationRule.position))) or 0
            rule = AutomationRule(position=last + 1, created_by_id=actor.user_id, name=spec.name, when=spec.when,
                                  definition=text)
            session.add(rule)
        else:
            rule.name, rule.when, rule.definition = spec.name, spec.when, text
        session.flush()
        audit.record(session, "automation_rule_created" if created else "automation_rule_changed", actor,
                     object_type="automation_rule", object_id=rule.id, name=spec.name, when=spec.when,
                     actions=[a.do for a in spec.actions])
        self._changed(session, rule.id, actor)
        return rule

    def set_active(self, session: Session, actor: Actor, rule: AutomationRule, active: bool) -> None:
        if rule.active == active:
            return
        rule.active = active
        audit.record(session, "automation_rule_changed", actor, object_type="automation_rule", object_id=rule.id,
                     name=rule.name, active=active)
        self._changed(session, rule.id, actor)

    def move(self, session: Session, actor: Actor, rule: AutomationRule, step: int) -> None:
        """One place up (-1) or down (+1) in the order rules run."""
        ordered = list(session.scalars(select(AutomationRule).order_by(AutomationRule.position, AutomationRule.id)))
        at = ordered.index(rule)
        to = max(0, min(len(ordered) - 1, at + step))
        if to == at:
            return
        ordered.insert(to, ordered.pop(at))
        for n, row in enumerate(ordered, start=1):
            row.position = n
        audit.record(session, "automation_rule_changed", actor, object_type="automation_rule", object_id=rule.id,
                     name=rule.name, position=to + 1)
        self._changed(session, rule.id, actor)

    def delete(self, session: Session, actor: Actor, rule: AutomationRule) -> None:
        audit.record(session, "automation_rule_deleted", actor, object_type="automation_rule", object_id=rule.id,
                     name=rule.name)
        rule_id = rule.id
        session.delete(rule)
        self._changed(session, rule_id, actor)

    def _changed(self, session: Session, rule_id: int, actor: Actor) -> None:
        self.forget()
        self.notifier.changed(session, rule_id, actor)
