"""Reply templates and macros on SQLite and PostgreSQL: variants per channel and language and their
fallback, the sandbox, macros changing the ticket with history, SMS variants that must fit one SMS,
and the reply service (the customer's address, one message queued, an internal note never a message)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.conversations import rendering
from callcenter.conversations.replies import default_channel, recipients
from callcenter.conversations.service import ConversationError
from callcenter.conversations.templates import TemplateError
from callcenter.db import transaction
from callcenter.models import (
    AuditLog,
    Channel,
    Customer,
    CustomerIdentity,
    CustomerPhone,
    DeliveryState,
    IdentityKind,
    Message,
    MessageDirection,
    Priority,
    ReplyTemplate,
    TemplateKind,
    Ticket,
    TicketChange,
    TicketNote,
    TicketStatus,
    User,
    utcnow,
)
from callcenter.wiring import Container
from tests.webtools import make_user


@pytest.fixture
def people(container) -> dict[str, int]:
    return {"sue": make_user(container.session_factory, "sue", "supervisor"),
            "ann": make_user(container.session_factory, "ann", "agent")}


def _actor(s: Session, user_id: int) -> Actor:
    user = s.get(User, user_id)
    assert user is not None
    return Actor.of(user)


def _ticket(container: Container, *, language: str = "zh", email: str | None = "wang@example.com",
            phone: str | None = None, bounced: bool = False) -> str:
    with transaction(container.session_factory) as s:
        customer = Customer(name="王芳", language=language)
        if email:
            customer.identities = [CustomerIdentity(kind=IdentityKind.EMAIL, value=email,
                                                    bounced_at=utcnow() if bounced else None)]
        if phone:
            customer.phones = [CustomerPhone(number=phone)]
        s.add(customer)
        s.flush()
        ticket = container.tickets.create(s, Actor.system("test"), subject="Router down", customer_id=customer.id)
        return str(ticket.number)


def _load(s: Session, number: str) -> Ticket:
    return s.scalars(select(Ticket).where(Ticket.number == number)).one()


def _greeting(container: Container, people: dict[str, int], **variants: str) -> int:
    """A template with the given variants, keyed "<channel>_<language>"."""
    with transaction(container.session_factory) as s:
        sue = _actor(s, people["sue"])
        template = container.templates.create(s, sue, name="Greeting")
        for key, body in variants.items():
            channel, language = key.split("_")
            container.templates.save_variant(s, template, sue, channel=channel, language=language, body=body,
                                             subject="Ticket {{ ticket.number }}" if channel == "email" else "")
        return template.id


def test_rendering_fills_the_variables_in_the_customers_language_and_falls_back(container, people) -> None:
    number = _ticket(container)
    template_id = _greeting(container, people, sms_zh="{{ customer.name }}您好，工单 {{ ticket.number }}。",
                            sms_en="Hello {{ customer.name }}", email_en="Dear {{ customer.name }}, {{ agent.name }} "
                            "from {{ centre.name }} about {{ ticket.subject }}.")
    with container.session_factory() as s:
        ticket, template, ann = _load(s, number), s.get(ReplyTemplate, template_id), s.get(User, people["ann"])
        assert template is not None
        sms = container.templates.render(s, template, ticket, ann, Channel.SMS)
        assert (sms.channel, sms.language, sms.body) == (Channel.SMS, "zh", f"王芳您好，工单 {number}。")
        # No WeChat variant and no Chinese e-mail one: the English e-mail text, subject and all.
        wechat = container.templates.render(s, template, ticket, ann, Channel.WECHAT)
        assert (wechat.channel, wechat.language) == (Channel.EMAIL, "en")
        assert wechat.body == "Dear 王芳, ann from Customer Service about Router down."
        assert container.templates.render(s, template, ticket, ann, Channel.EMAIL).subject == f"Ticket {number}"
    english = _ticket(container, language="en", email="li@example.com")
    with container.session_factory() as s:
        template = s.get(ReplyTemplate, template_id)
        assert template is not None
        # An English reader on SMS: the SMS variant in English, not the Chinese one.
        assert container.templates.render(s, template, _load(s, english), None, Channel.SMS).body == "Hello 王芳"


def test_the_same_channel_in_english_comes_before_the_email_variant(container, people) -> None:
    number = _ticket(container, language="fr")
    template_id = _greeting(container, people, wechat_en="WeChat English", email_en="E-mail English")
    with container.session_factory() as s:
        template = s.get(ReplyTemplate, template_id)
        assert template is not None
        rendered = container.templates.render(s, template, _load(s, number), None, Channel.WECHAT)
        assert (rendered.body, rendered.language) == ("WeChat English", "en")
        # Nothing for SMS and no e-mail in French: the English e-mail text.
        rendered = container.templates.render(s, template, _load(s, number), None, Channel.SMS)
        assert (rendered.body, rendered.channel, rendered.language) == ("E-mail English", Channel.EMAIL, "en")


def test_no_variant_at_all_is_a_clear_refusal(container, people) -> None:
    number = _ticket(container)
    template_id = _greeting(container, people, wechat_zh="只有微信")
    with container.session_factory() as s:
        template = s.get(ReplyTemplate, template_id)
        assert template is not None
        with pytest.raises(TemplateError) as refused:
            container.templates.render(s, template, _load(s, number), None, Channel.SMS)
        assert refused.value.code == "no_variant" and "Greeting" in str(refused.value)


def test_html_variants_autoescape_and_text_variants_do_not(container, people) -> None:
    number = _ticket(container)
    with transaction(container.session_factory) as s:
        s.scalars(select(Customer)).one().name = "<b>Wang</b> & Co"
        sue = _actor(s, people["sue"])
        template = container.templates.create(s, sue, name="Html")
        container.templates.save_variant(s, template, sue, channel="email", language="zh",
                                         body="Hi {{ customer.name }}", body_html="<p>Hi {{ customer.name }}</p>")
        rendered = container.templates.render(s, template, _load(s, number), None, Channel.EMAIL)
        assert rendered.body == "Hi <b>Wang</b> & Co"
        assert rendered.body_html == "<p>Hi &lt;b&gt;Wang&lt;/b&gt; &amp; Co</p>"
        with pytest.raises(TemplateError) as refused:
            container.templates.save_variant(s, template, sue, channel="sms", language="zh", body="x",
                                             body_html="<p>x</p>")
        assert refused.value.code == "html_not_email"


def test_a_missing_value_renders_empty_never_an_error(container, people) -> None:
    with transaction(container.session_factory) as s:
        ticket = container.tickets.create(s, Actor.system("test"), subject="No customer")
        sue = _actor(s, people["sue"])
        template = container.templates.create(s, sue, name="Blank")
        container.templates.save_variant(s, template, sue, channel="email", language="en",
                                         body="Dear {{ customer.name|default('customer', true) }},{{ agent.name }}.")
        assert container.templates.render(s, template, ticket, None, Channel.SMS).body == "Dear customer,."


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ customer.__init__ }}",
    "{{ customer.name.upper() }}", "{{ customer['name'] }}", "{% for x in range(99) %}x{% endfor %}",
    "{{ lipsum() }}", "{{ config }}", "{{ customer.name|attr('__class__') }}", "{% set x = 1 %}",
    "{% include 'base.html' %}", "{{ customer.nmae }}",
])
def test_the_sandbox_refuses_reaching_outside_the_variables(container, people, source: str) -> None:
    with transaction(container.session_factory) as s:
        sue = _actor(s, people["sue"])
        template = container.templates.create(s, sue, name="Evil")
        with pytest.raises(TemplateError) as refused:
            container.templates.save_variant(s, template, sue, channel="email", language="en", body=source)
        assert refused.value.field == "body" and refused.value.code in ("not_allowed", "unknown_variable", "syntax")
    # Even a template that got into the database another way is checked again, and the sandbox itself
    # gives nothing away.
    with pytest.raises(rendering.RenderError):
        rendering.render(source, rendering.context(customer="x"))
    assert rendering.TEXT.from_string("a{{ ''.__class__ }}b{{ x.__init__.__globals__ }}").render(x={}) == "ab"


def test_a_syntax_error_says_the_line(container, people) -> None:
    with transaction(container.session_factory) as s:
        sue = _actor(s, people["sue"])
        template = container.templates.create(s, sue, name="Broken")
        with pytest.raises(TemplateError) as refused:
            container.templates.save_variant(s, template, sue, channel="email", language="en",
                                             body="Hello\n{{ customer.name ")
        assert refused.value.code == "syntax" and refused.value.params["line"] == 2


def test_only_supervisors_and_admins_manage_and_names_are_unique(container, people) -> None:
    with transaction(container.session_factory) as s:
        with pytest.raises(TemplateError) as refused:
            container.templates.create(s, _actor(s, people["ann"]), name="Mine")
        assert refused.value.code == "forbidden"
        sue = _actor(s, people["sue"])
        container.templates.create(s, sue, name="Refund done")
        with pytest.raises(TemplateError) as taken:
            container.templates.create(s, sue, name="  refund   DONE ")
        assert taken.value.code == "taken"
        with pytest.raises(TemplateError) as bad:
            container.templates.create(s, sue, name="Macro", kind=TemplateKind.MACRO)
        assert bad.value.code == "macro_without_action"
        with pytest.raises(TemplateError) as acting:
            container.templates.create(s, sue, name="Plain", set_status="resolved")
        assert acting.value.code == "template_with_action"
        with pytest.raises(TemplateError) as language:
            template = container.templates.create(s, sue, name="Lang")
            container.templates.save_variant(s, template, sue, channel="email", language="english!", body="x")
        assert language.value.code == "bad_language"
    with container.session_factory() as s:
        actions = set(s.scalars(select(AuditLog.action).where(AuditLog.object_type == "reply_template")))
        assert actions == {"template_created"}


def test_a_macro_sets_status_priority_and_tags_with_history(container, people) -> None:
    number = _ticket(container)
    with transaction(container.session_factory) as s:
        sue = _actor(s, people["sue"])
        macro = container.templates.create(s, sue, name="Solved", kind=TemplateKind.MACRO, set_status="resolved",
                                           set_priority="low", add_tags=["refund", "done"])
        container.templates.save_variant(s, macro, sue, channel="email", language="zh", body="已处理。")
        macro_id = macro.id
    with transaction(container.session_factory) as s:
        ticket = _load(s, number)
        sent = container.replies.send(s, ticket, _actor(s, people["ann"]), channel="email", body="已处理。",
                                      template_id=macro_id)
        assert sorted(sent.changed) == ["priority", "status", "tags", "tags"]
    with container.session_factory() as s:
        ticket = _load(s, number)
        assert (ticket.status, ticket.priority, ticket.tags) == (TicketStatus.RESOLVED, Priority.LOW,
                                                                  ["refund", "done"])
        assert ticket.resolved_at is not None
        history = {(c.field, c.new_value) for c in s.scalars(select(TicketChange).where(
            TicketChange.ticket_id == ticket.id, TicketChange.reason == "macro Solved"))}
        assert history == {("status", "resolved"), ("priority", "low"), ("tags", "refund"), ("tags", "refund, done")}
        assert all(c.actor_id == people["ann"] for c in ticket.changes if c.reason == "macro Solved")


def test_a_deactivated_template_cannot_be_used(container, people) -> None:
    number = _ticket(container)
    template_id = _greeting(container, people, email_en="Hi")
    with transaction(container.session_factory) as s:
        template = s.get(ReplyTemplate, template_id)
        assert template is not None
        container.templates.set_active(s, template, _actor(s, people["sue"]), False)
    with transaction(container.session_factory) as s:
        with pytest.raises(TemplateError):
            container.replies.send(s, _load(s, number), _actor(s, people["ann"]), channel="email", body="Hi",
                                   template_id=template_id)
        assert container.templates.listing(s, active_only=True) == []


def test_an_sms_variant_over_one_sms_is_refused_with_its_length(container, people) -> None:
    with transaction(container.session_factory) as s:
        sue = _actor(s, people["sue"])
        template = container.templates.create(s, sue, name="Long")
        fits = "您好{{ customer.name }}，工单{{ ticket.number }}已处理。" + "谢" * 40
        container.templates.save_variant(s, template, sue, channel="sms", language="zh", body=fits)
        with pytest.raises(TemplateError) as refused:  # 23 with a typical name and number, +50: 73 UCS-2 units
            container.templates.save_variant(s, template, sue, channel="sms", language="zh", body=fits + "谢" * 10)
        assert refused.value.code == "sms_too_long" and refused.value.field == "body"
        assert refused.value.params["limit"] == 70 and refused.value.params["units"] == 73
        assert "73" in str(refused.value) and "70" in str(refused.value)
        with pytest.raises(TemplateError) as english:  # GSM: 150 + a 20-character name is over 160
            container.templates.save_variant(s, template, sue, channel="sms", language="en",
                                             body="Hi {{ customer.name }} " + "x" * 147)
        assert (english.value.params["units"], english.value.params["limit"]) == (171, 160)
        # The same text is fine for e-mail.
        container.templates.save_variant(s, template, sue, channel="email", language="zh", body=fits + "谢" * 10)


def test_the_recipient_comes_from_the_customers_identities(container) -> None:
    with transaction(container.session_factory) as s:
        customer = Customer(name="Li", identities=[
            CustomerIdentity(kind=IdentityKind.EMAIL, value="old@example.com", bounced_at=utcnow()),
            CustomerIdentity(kind=IdentityKind.EMAIL, value="li@example.com"),
            CustomerIdentity(kind=IdentityKind.WECHAT, value="oAbCdEf123456")],
            phones=[CustomerPhone(number="+8613800138000")])
        s.add(customer)
        s.flush()
        assert recipients(customer) == {Channel.EMAIL: "li@example.com", Channel.WEB: "li@example.com",
                                        Channel.WECHAT: "oAbCdEf123456", Channel.SMS: "+8613800138000"}
        assert recipients(None) == {}


def test_the_default_channel_is_the_last_one_the_customer_wrote_on(container) -> None:
    phone_only = _ticket(container, email=None, phone="+8613800138000")
    neither = _ticket(container, email=None, phone=None)
    written = _ticket(container, email="z@example.com", phone="+8613900139000")
    with transaction(container.session_factory) as s:
        ticket = _load(s, written)
        for key, channel in (("a", Channel.SMS), ("b", Channel.WECHAT)):
            container.conversations.record_inbound(s, ticket, channel=channel, channel_key=key, body="hi")
    with container.session_factory() as s:
        customer_of = lambda n: s.get(Customer, _load(s, n).customer_id)  # noqa: E731
        assert default_channel(s, _load(s, phone_only), customer_of(phone_only)) is Channel.SMS
        assert default_channel(s, _load(s, neither), customer_of(neither)) is Channel.EMAIL
        assert default_channel(s, _load(s, written), customer_of(written)) is Channel.WECHAT


def test_a_reply_queues_one_message_to_the_customers_address(container, people) -> None:
    number = _ticket(container, phone="+8613800138000")
    with transaction(container.session_factory) as s:
        sent = container.replies.send(s, _load(s, number), _actor(s, people["ann"]), channel="sms", body="您好",
                                      subject="left over from an e-mail template")
        assert sent.message is not None and sent.note is None
        assert sent.message.subject == ""  # an SMS has no subject line
    with container.session_factory() as s:
        message = s.scalars(select(Message)).one()
        assert (message.channel, message.direction, message.recipient, message.delivery_state, message.body) == (
            Channel.SMS, MessageDirection.OUTBOUND, "+8613800138000", DeliveryState.QUEUED, "您好")
        assert message.author_id == people["ann"]


def test_no_address_on_the_channel_is_refused_and_writes_nothing(container, people) -> None:
    number = _ticket(container, email="gone@example.com", bounced=True)
    with transaction(container.session_factory) as s:
        with pytest.raises(ConversationError) as refused:
            container.replies.send(s, _load(s, number), _actor(s, people["ann"]), channel="email", body="Hi")
        assert refused.value.code == "no_recipient"
        with pytest.raises(ConversationError) as phone:
            container.replies.send(s, _load(s, number), _actor(s, people["ann"]), channel="phone", body="Hi")
        assert phone.value.code == "not_a_reply_channel"
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_an_internal_note_from_the_reply_form_is_never_a_message(container, people) -> None:
    number = _ticket(container)
    with transaction(container.session_factory) as s:
        sent = container.replies.send(s, _load(s, number), _actor(s, people["ann"]), channel="email",
                                      body="Customer sounded upset.", internal=True)
        assert sent.message is None and sent.note is not None
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0
        note = s.scalars(select(TicketNote)).one()
        assert note.internal and note.body == "Customer sounded upset."
