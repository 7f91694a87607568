"""Replies written once and used many times: templates, and macros that also change the ticket.

Supervisors and admins make them (each change audited); a template has a
variant per (channel, language).  The variant used for a reply is the
reply channel's in the customer's language, else that channel's English
one, else the e-mail variant (in their language, then English): e-mail is
the generic text every template should have.

An SMS variant must fit one SMS.  It is measured with each variable
replaced by a representative value (``SAMPLE``: a 20-character name, a
40-character subject, a ticket number's full width, the configured centre
name; Chinese values for a Chinese variant), not the shortest one, so a
template that passes still fits for nearly every real customer.  The agent
sees the real count for the real text before sending.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..access.roles import MANAGERS
from ..i18n import N_, Refusal, say_later
from ..models import Channel, Customer, Priority, ReplyTemplate, TemplateKind, TemplateVariant, Ticket, TicketStatus
from ..models import User as UserModel
from ..text import segments
from ..tickets.service import TicketService
from . import rendering
from .service import MAX_BODY, REPLY_CHANNELS

MAX_NAME = 200
MAX_SUBJECT = 300
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
TAG = re.compile(r"^[^\s,\x00-\x1f]{1,40}$")
MAX_TAGS = 10
# Values of a typical length for measuring an SMS variant, per language (see the module's docstring).
SAMPLE = {"en": {"customer": "Alexandra Richardson", "subject": "My router keeps dropping the connection"},
          "zh": {"customer": "欧阳娜娜", "subject": "路由器一直断网，重启以后还是连不上"}}
SAMPLE_NUMBER = "1000000000"


class TemplateError(Refusal):
    """A template change or use the service refuses (said in the reader's language by the web)."""


@dataclass(frozen=True)
class Rendered:
    """A template filled in for one ticket: the variant it came from and its text."""

    template: ReplyTemplate
    channel: Channel
    language: str
    subject: str
    body: str
    body_html: str | None


def language_of(code: str | None) -> str:
    """A stored language ("zh-CN", "EN") as a variant's key ("zh", "en")."""
    return (code or "en").split("-")[0].split("_")[0].lower() or "en"


def _name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name or len(name) > MAX_NAME:
        raise TemplateError(N_("A name of 1-%(n)s characters."), field="name", code="bad_name", n=MAX_NAME)
    return name


def _tags(values: Sequence[str]) -> list[str]:
    tags = list(dict.fromkeys(t.strip() for t in values if t.strip()))
    if len(tags) > MAX_TAGS or not all(TAG.match(t) for t in tags):
        raise TemplateError(N_("Up to %(n)s tags of 1-40 characters, without spaces or commas."), field="add_tags",
                            code="bad_tags", n=MAX_TAGS)
    return tags


def _actions(kind: TemplateKind, status: str | None, priority: str | None,
             tags: list[str]) -> tuple[str | None, str | None]:
    status, priority = status or None, priority or None
    if status is not None and status not in {s.value for s in TicketStatus}:
        raise TemplateError(N_("Unknown status %(value)s."), field="set_status", code="bad_status", value=status)
    if priority is not None and priority not in {p.value for p in Priority}:
        raise TemplateError(N_("Unknown priority %(value)s."), field="set_priority", code="bad_priority",
                            value=priority)
    acts = status is not None or priority is not None or bool(tags)
    if kind is TemplateKind.MACRO and not acts:
        raise TemplateError(N_("A macro sets a status, a priority or tags."), field="kind", code="macro_without_action")
    if kind is TemplateKind.TEMPLATE and acts:
        raise TemplateError(N_("Only a macro changes the ticket; make it a macro or leave the actions empty."),
                            field="kind", code="template_with_action")
    return status, priority


class Templates:
    def __init__(self, tickets: TicketService, centre_name: str) -> None:
        self.tickets, self.centre_name = tickets, centre_name

    # -- managing -----------------------------------------------------------------------------
    def _manager(self, actor: Actor) -> None:
        if actor.role not in MANAGERS:
            raise TemplateError(N_("Only supervisors and admins manage reply templates."), code="forbidden")

    def _unique(self, session: Session, name: str, template_id: int | None = None) -> None:
        folded = name.casefold()  # in Python: SQLite's lower() leaves non-ASCII alone
        for ident, other in session.execute(select(ReplyTemplate.id, ReplyTemplate.name)):
            if other.casefold() == folded and ident != template_id:
                raise TemplateError(N_("A template named %(name)s already exists."), field="name", code="taken",
                                    name=name)

    def create(self, session: Session, actor: Actor, *, name: str, kind: TemplateKind = TemplateKind.TEMPLATE,
               set_status: str | None = None, set_priority: str | None = None,
               add_tags: Sequence[str] = ()) -> ReplyTemplate:
        """A new template (no variants yet: add them with ``save_variant``)."""
        self._manager(actor)
        name, tags = _name(name), _tags(add_tags)
        status, priority = _actions(kind, set_status, set_priority, tags)
        self._unique(session, name)
        template = ReplyTemplate(name=name, kind=kind, set_status=status, set_priority=priority, add_tags=tags,
                                 created_by_id=actor.user_id)
        session.add(template)
        session.flush()
        audit.record(session, "template_created", actor, object_type="reply_template", object_id=template.id,
                     name=name, kind=kind.value)
        return template

    def update(self, session: Session, template: ReplyTemplate, actor: Actor, *, name: str, kind: TemplateKind,
               set_status: str | None = None, set_priority: str | None = None,
               add_tags: Sequence[str] = ()) -> None:
        self._manager(actor)
        name, tags = _name(name), _tags(add_tags)
        status, priority = _actions(kind, set_status, set_priority, tags)
        self._unique(session, name, template.id)
        template.name, template.kind, template.set_status, template.set_priority = name, kind, status, priority
        template.add_tags = tags
        audit.record(session, "template_changed", actor, object_type="reply_template", object_id=template.id,
                     name=name, kind=kind.value)

    def set_active(self, session: Session, template: ReplyTemplate, actor: Actor, active: bool) -> None:
        """Deactivate (agents no longer see it; replies already sent keep their text) or restore."""
        self._manager(actor)
        if template.active == active:
            return
        template.active = active
        audit.record(session, "template_reactivated" if active else "template_deactivated", actor,
                     object_type="reply_template", object_id=template.id, name=template.name)

    def save_variant(self, session: Session, template: ReplyTemplate, actor: Actor, *, channel: Channel | str,
                     language: str, body: str, subject: str = "", body_html: str | None = None) -> TemplateVariant:
        """Add or replace the variant for (channel, language); checked, and an SMS one measured."""
        self._manager(actor)
        channel, language = self._key(channel, language)
        body = (body or "").replace("\r\n", "\n").strip()
        subject = " ".join((subject or "").split())
        html = (body_html or "").strip() or None
        if not body:
            raise TemplateError(N_("A variant needs some text."), field="body", code="required")
        if len(body) > MAX_BODY or len(subject) > MAX_SUBJECT or len(html or "") > MAX_BODY:
            raise TemplateError(N_("The text is over the limit (subject %(s)s, text %(n)s characters)."),
                                field="body", code="too_long", s=MAX_SUBJECT, n=MAX_BODY)
        if html is not None and channel is not Channel.EMAIL:
            raise TemplateError(N_("Only an e-mail variant has an HTML part."), field="body_html",
                                code="html_not_email")
        for field, source, is_html in (("subject", subject, False), ("body", body, False),
                                       ("body_html", html or "", True)):
            try:
                rendering.check(source, html=is_html)
            except rendering.RenderError as exc:
                raise TemplateError(exc.template, field=field, code=exc.code, **exc.params) from None
        if channel is Channel.SMS:
            self._fits_one_sms(body, language)
        variant = next((v for v in template.variants if v.channel is channel and v.language == language), None)
        if variant is None:
            variant = TemplateVariant(channel=channel, language=language)
            template.variants.append(variant)
        variant.subject, variant.body, variant.body_html = subject, body, html
        session.flush()
        audit.record(session, "template_variant_saved", actor, object_type="reply_template", object_id=template.id,
                     channel=channel.value, language=language)
        return variant

    def remove_variant(self, session: Session, template: ReplyTemplate, actor: Actor, variant_id: int) -> bool:
        self._manager(actor)
        variant = next((v for v in template.variants if v.id == variant_id), None)
        if variant is None:
            return False
        template.variants.remove(variant)
        session.flush()
        audit.record(session, "template_variant_removed", actor, object_type="reply_template",
                     object_id=template.id, channel=variant.channel.value, language=variant.language)
        return True

    def _key(self, channel: Channel | str, language: str) -> tuple[Channel, str]:
        try:
            found = Channel(channel)
        except ValueError:
            found = None
        if found not in REPLY_CHANNELS:
            raise TemplateError(N_("A variant is for e-mail, web, WeChat or SMS."), field="channel", code="bad_channel")
        assert found is not None
        language = (language or "").strip().lower()
        if not LANGUAGE.match(language):
            raise TemplateError(N_("A language is a 2- or 3-letter code such as en or zh."), field="language",
                                code="bad_language")
        return found, language

    def _fits_one_sms(self, body: str, language: str) -> None:
        sample = SAMPLE.get(language, SAMPLE["en"])
        text = rendering.render(body, rendering.context(
            customer=sample["customer"], number=SAMPLE_NUMBER, subject=sample["subject"], agent=sample["customer"],
            centre=self.centre_name))
        measured = segments.measure(text)
        if not measured.fits_one:
            raise TemplateError(
                N_("An SMS variant must fit one SMS: with typical values it is %(units)s characters, over the "
                   "limit of %(limit)s (%(encoding)s)."), field="body", code="sms_too_long",
                units=measured.units, limit=measured.single_limit,
                encoding="GSM 7-bit" if measured.encoding == segments.GSM7 else "UCS-2")

    # -- using --------------------------------------------------------------------------------
    def listing(self, session: Session, *, active_only: bool = False) -> list[ReplyTemplate]:
        query = select(ReplyTemplate).order_by(ReplyTemplate.name)
        if active_only:
            query = query.where(ReplyTemplate.active)
        return list(session.scalars(query))

    def usable(self, session: Session, template_id: int) -> ReplyTemplate:
        """An active template by id, for a reply."""
        template = session.get(ReplyTemplate, template_id)
        if template is None or not template.active:
            raise TemplateError(N_("No such template."), field="template_id", code="not_found")
        return template

    @staticmethod
    def choose(template: ReplyTemplate, channel: Channel, language: str) -> TemplateVariant | None:
        """The variant for a reply on ``channel`` to a reader of ``language`` (see the module's docstring)."""
        by_key = {(v.channel, v.language): v for v in template.variants}
        for key in ((channel, language), (channel, "en"), (Channel.EMAIL, language), (Channel.EMAIL, "en")):
            if key in by_key:
                return by_key[key]
        return None

    def render(self, session: Session, template: ReplyTemplate, ticket: Ticket, agent: UserModel | None,
               channel: Channel) -> Rendered:
        """``template`` filled in for ``ticket``, in its customer's language, for a reply on ``channel``."""
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        language = language_of(customer.language if customer else ticket.language)
        variant = self.choose(template, channel, language)
        if variant is None:
            raise TemplateError(N_("The template %(name)s has no variant for this channel or for e-mail."),
                                field="template_id", code="no_variant", name=template.name)
        values = rendering.context(customer=customer.name if customer else "", number=ticket.number or "",
                                   subject=ticket.subject or "",
                                   agent=(agent.display_name or agent.username) if agent else "",
                                   centre=self.centre_name)
        try:
            subject = rendering.render(variant.subject, values)
            body = rendering.render(variant.body, values)
            html = rendering.render(variant.body_html, values, html=True) if variant.body_html else None
        except rendering.RenderError as exc:
            raise TemplateError(exc.template, field="template_id", code=exc.code, **exc.params) from None
        return Rendered(template, variant.channel, variant.language, subject, body,
                        html if channel is Channel.EMAIL else None)

    def apply(self, session: Session, template: ReplyTemplate, ticket: Ticket, actor: Actor) -> list[str]:
        """A macro's changes to the ticket (history, audit and events are the ticket service's): what changed."""
        if template.kind is not TemplateKind.MACRO:
            return []
        reason = say_later(N_("macro %(name)s"), name=template.name)
        values = {k: v for k, v in (("status", template.set_status), ("priority", template.set_priority)) if v}
        changed = [row.field for row in self.tickets.change(session, ticket, actor, reason=reason, **values)]
        changed += ["tags" for tag in template.add_tags or [] if self.tickets.tag(session, ticket, tag, actor, reason)]
        return changed
