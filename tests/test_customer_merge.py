"""One person across channels, on SQLite and PostgreSQL: merging two customers moves every row that
points at one (found from the schema), erasure removes every identifier, and the history across
channels lists calls, e-mails and WeChat messages newest first, only as far as the viewer may see."""
from __future__ import annotations

import datetime as dt
import queue
import threading
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from callcenter.access.audit import Actor
from callcenter.bus import Message as BusMessage
from callcenter.channels.base import Inbound, Sender
from callcenter.customers.history import customer_history
from callcenter.customers.merge import MergeError, merged_into, references
from callcenter.db import transaction
from callcenter.models import (
    AuditLog,
    Call,
    Callback,
    CallbackSource,
    CallStatus,
    Channel,
    ChannelAttempt,
    ClickCall,
    Customer,
    CustomerIdentity,
    CustomerPhone,
    Disposition,
    Message,
    Survey,
    SurveyChannel,
    Ticket,
    User,
)
from tests.deskdata import T0

MAIL = "Wang.Fang@Example.com"
OPENID = "oWx1-Fang_2026abc"


def _user(container, name: str) -> User:
    with container.session_factory() as s:
        user: User = s.scalars(select(User).where(User.username == name)).one()
        s.expunge(user)
        return user


def _actor(container, name: str) -> Actor:
    return Actor.of(_user(container, name))


def _receive(container, inbound: Inbound) -> tuple[int, str]:
    """A message through the real intake: (its customer's id, its ticket's number)."""
    with transaction(container.session_factory) as s:
        got = container.channel_intake.receive(s, inbound)
        assert got.ticket.customer_id is not None and got.ticket.number is not None
        return got.ticket.customer_id, got.ticket.number


def _mail(key: str, at: dt.datetime, sender: str = MAIL) -> Inbound:
    return Inbound(channel=Channel.EMAIL, channel_key=key, sender=Sender("email", sender, "Wang Fang"),
                   subject="Invoice question", body="Why two charges?", received_at=at)


def _wechat(key: str, at: dt.datetime) -> Inbound:
    return Inbound(channel=Channel.WECHAT, channel_key=key, sender=Sender("wechat", OPENID, "", verified=True),
                   body="路由器还是红灯", received_at=at, meta={"MsgType": "text", "FromUserName": OPENID})


def _events(container) -> queue.Queue[BusMessage[Any]]:
    got: queue.Queue[BusMessage[Any]] = queue.Queue()
    container.bus.subscribe("customers_merged", got.put)
    return got


def _other_with_everything(container, shop) -> int:
    """A second record of 王芳: an e-mail (customer, ticket, message), a phone, a call, a callback, a survey
    and a click-to-call, each pointing at it."""
    other_id, _ = _receive(container, _mail("<m1@example.com>", T0 + dt.timedelta(hours=1)))
    with transaction(container.session_factory) as s:
        other = s.get(Customer, other_id)
        assert other is not None
        other.phones.append(CustomerPhone(number="+12025550199"))
        other.external_ref = "CRM-7"
        call = Call(pbx="lab", linkedid="1700009000.1", caller_number="+12025550199", customer_id=other_id,
                    started_at=T0 - dt.timedelta(days=1), status=CallStatus.COMPLETE,
                    disposition=Disposition.ANSWERED, agent_id=shop.users["ann"])
        s.add(call)
        s.flush()
        s.add_all([Callback(number="+12025550199", source=CallbackSource.API, customer_id=other_id, due_at=T0),
                   Survey(channel=SurveyChannel.IVR, call_id=call.id, customer_id=other_id),
                   ClickCall(idempotency_key="k-merge", agent_id=shop.users["ann"], number="+12025550199",
                             customer_id=other_id, pbx="lab", originate_key="o-merge")])
    return other_id


def _pointing_at(s, customer_id: int) -> dict[str, int]:
    return {f"{c.table.name}.{c.name}": s.scalar(select(func.count()).select_from(c.table).where(c == customer_id))
            or 0 for c in references()}


def test_every_foreign_key_to_customers_is_one_the_merge_moves(container) -> None:
    """Read from the migrated database itself, so a table a migration adds without a model fails here."""
    db = inspect(container.engine)
    in_database = {(table, column) for table in db.get_table_names() for fk in db.get_foreign_keys(table)
                   if fk["referred_table"] == "customers" for column in fk["constrained_columns"]}
    moved = {(c.table.name, c.name) for c in references()}
    assert moved == in_database
    assert {"tickets", "calls", "messages", "customer_phones", "customer_identities", "callbacks",
            "surveys", "click_calls"} <= {table for table, _ in moved}


def test_a_merge_moves_everything_with_one_audit_row_and_one_event(container, shop) -> None:
    other_id = _other_with_everything(container, shop)
    events = _events(container)
    sue = _actor(container, "sue")
    with container.session_factory() as s:
        before = _pointing_at(s, other_id)
        preview = container.customer_merge.preview(s, sue, shop.customer_id, other_id)
        kept_before = _pointing_at(s, shop.customer_id)
    assert preview.of("tickets") == 1 and preview.of("calls") == 1 and preview.of("messages") == 1
    assert preview.of("identifiers") == 2  # the phone and the e-mail address
    assert preview.total == sum(before.values()) == 8
    with transaction(container.session_factory) as s:
        moved = container.customer_merge.merge(s, sue, shop.customer_id, other_id)
    assert moved.counts == preview.counts

    with container.session_factory() as s:
        assert s.get(Customer, other_id) is None
        assert sum(_pointing_at(s, other_id).values()) == 0
        after = _pointing_at(s, shop.customer_id)
        assert {k: after[k] - kept_before[k] for k in after} == before
        kept = s.get(Customer, shop.customer_id)
        assert kept is not None
        assert kept.name == "王芳" and kept.vip_tier.value == "gold"  # the kept customer's own values stay
        assert kept.email == "wang.fang@example.com" and kept.external_ref == "CRM-7"  # empty ones are filled
        assert sorted(p.number for p in kept.phones) == ["+12025550199", "+8613800138000"]
        assert [(i.kind.value, i.value) for i in kept.identities] == [("email", "wang.fang@example.com")]
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "customers_merged")).all()
        assert len(rows) == 1 and rows[0].actor_name == "sue" and rows[0].object_id == str(other_id)
        assert rows[0].detail["customer_id"] == shop.customer_id and rows[0].detail["merged_id"] == other_id
        assert rows[0].detail["moved"]["tickets"] == 1 and rows[0].detail["moved"]["customer_identities"] == 1
        assert merged_into(s, other_id) == shop.customer_id
    event = events.get(timeout=10).event
    assert (event.customer_id, event.merged_id, event.actor) == (shop.customer_id, other_id, "sue")
    with pytest.raises(queue.Empty):
        events.get(timeout=0.5)
    # The next e-mail from that address finds the kept customer.
    assert _receive(container, _mail("<m2@example.com>", T0 + dt.timedelta(hours=3)))[0] == shop.customer_id


def test_the_form_may_take_the_other_customers_values(container, shop) -> None:
    other_id, _ = _receive(container, _mail("<m1@example.com>", T0))
    with transaction(container.session_factory) as s:
        kept = s.get(Customer, shop.customer_id)
        assert kept is not None
        kept.external_ref = "CRM-1"
        other = s.get(Customer, other_id)
        assert other is not None
        other.external_ref, other.company = "CRM-2", "Acme"
    with transaction(container.session_factory) as s:
        container.customer_merge.merge(s, _actor(container, "ada"), shop.customer_id, other_id,
                                       take=("name", "external_ref"))
    with container.session_factory() as s:
        kept = s.get(Customer, shop.customer_id)
        assert kept is not None
        assert (kept.name, kept.external_ref, kept.company) == ("Wang Fang", "CRM-2", "Acme")


@pytest.mark.parametrize("who, same, erased, code", [
    ("ann", False, False, "forbidden"), ("quinn", False, False, "forbidden"),
    ("sue", True, False, "same"), ("sue", False, True, "erased")])
def test_refusals_change_nothing(container, shop, who: str, same: bool, erased: bool, code: str) -> None:
    other_id, _ = _receive(container, _mail("<m1@example.com>", T0))
    if erased:
        container.erasure.erase(other_id, reason="request #1", actor=Actor.system("test"))
    target = shop.customer_id if same else other_id
    with container.session_factory() as s:
        with pytest.raises(MergeError) as refused:
            container.customer_merge.merge(s, _actor(container, who), shop.customer_id, target)
        s.rollback()
    assert refused.value.code == code
    with container.session_factory() as s:
        assert s.get(Customer, other_id) is not None
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customers_merged")) == 0


def test_unknown_customers_and_fields_are_refused(container, shop) -> None:
    sue = _actor(container, "sue")
    other_id, _ = _receive(container, _mail("<m1@example.com>", T0))
    with container.session_factory() as s:
        with pytest.raises(LookupError):
            container.customer_merge.merge(s, sue, shop.customer_id, 999_999)
        with pytest.raises(MergeError) as bad:
            container.customer_merge.merge(s, sue, shop.customer_id, other_id, take=("id",))
        assert bad.value.code == "bad_field"


def test_erasure_removes_every_identifier_and_the_next_message_makes_a_new_customer(container, shop) -> None:
    customer_id, _ = _receive(container, _mail("<m1@example.com>", T0))
    with transaction(container.session_factory) as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None
        assert container.customers.add_identity(s, customer, Actor.system("test"), kind="wechat", value=OPENID,
                                                verified=True)
        s.add(ChannelAttempt(channel=Channel.WEB, key="wang.fang@example.com"))
    _receive(container, _wechat("wx-1", T0 + dt.timedelta(hours=1)))  # finds the same customer by OpenID
    removed = container.erasure.erase(customer_id, reason="request #9", actor=Actor.system("test"))
    assert removed.identifiers == 2
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(CustomerIdentity)) == 0
        assert s.scalar(select(func.count()).select_from(ChannelAttempt)) == 0
        customer = s.get(Customer, customer_id)
        assert customer is not None and customer.email is None and customer.erased_at is not None
        for m in s.scalars(select(Message)):
            assert (m.sender, m.body, m.meta, m.customer_id) == (None, "[erased]", {}, None)
    new_mail_customer, _ = _receive(container, _mail("<m2@example.com>", T0 + dt.timedelta(hours=2)))
    new_wechat_customer, _ = _receive(container, _wechat("wx-2", T0 + dt.timedelta(hours=3)))
    assert customer_id not in (new_mail_customer, new_wechat_customer)
    with container.session_factory() as s:
        fresh = s.get(Customer, new_mail_customer)
        assert fresh is not None and fresh.name == "Wang Fang" and fresh.erased_at is None


def _history_world(container, shop) -> tuple[str, str]:
    """王芳's call (09:00, ann's support queue), then an e-mail (10:00) and a WeChat message (11:00) that
    arrived as other customers and were merged into her; returns the two tickets' numbers."""
    mail_customer, mail_ticket = _receive(container, _mail("<m1@example.com>", T0 + dt.timedelta(hours=1)))
    wechat_customer, wechat_ticket = _receive(container, _wechat("wx-1", T0 + dt.timedelta(hours=2)))
    sue = _actor(container, "sue")
    with transaction(container.session_factory) as s:
        for other in (mail_customer, wechat_customer):
            container.customer_merge.merge(s, sue, shop.customer_id, other)
        # Both channel tickets go to ann's support queue, so her team sees them; bob's does not.
        support = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one().queue_id
        for number in (mail_ticket, wechat_ticket):
            s.scalars(select(Ticket).where(Ticket.number == number)).one().queue_id = support
    return mail_ticket, wechat_ticket


def test_history_across_channels_newest_first(container, shop) -> None:
    mail_ticket, wechat_ticket = _history_world(container, shop)
    with container.session_factory() as s:
        sue = s.scalars(select(User).where(User.username == "sue")).one()
        history = customer_history(s, shop.customer_id, sue)
        assert [(c.channel, c.at, c.ticket_number) for c in history.contacts] == [
            ("wechat", T0 + dt.timedelta(hours=2), wechat_ticket),
            ("email", T0 + dt.timedelta(hours=1), mail_ticket),
            ("phone", T0, None)]
        assert history.contacts[2].call_id == shop.call_id and history.contacts[2].queue == "support"
        assert {t.number for t in history.tickets} == {shop.ticket_number, mail_ticket, wechat_ticket}
        # The ticket page leaves out its own ticket's messages and the ticket itself.
        on_mail = customer_history(s, shop.customer_id, sue, except_ticket=s.scalars(
            select(Ticket.id).where(Ticket.number == mail_ticket)).one())
        assert [c.channel for c in on_mail.contacts] == ["wechat", "phone"]
        assert mail_ticket not in {t.number for t in on_mail.tickets}


def test_history_shows_only_what_the_viewer_may_see(container, shop) -> None:
    _history_world(container, shop)
    with transaction(container.session_factory) as s:  # a call of 王芳's in bob's sales queue
        sales_call = s.get(Call, shop.other_call_id)
        assert sales_call is not None
        sales_call.customer_id = shop.customer_id
    with container.session_factory() as s:
        bob = s.scalars(select(User).where(User.username == "bob")).one()
        ann = s.scalars(select(User).where(User.username == "ann")).one()
        seen_by_bob = customer_history(s, shop.customer_id, bob)
        assert [(c.channel, c.call_id, c.call_openable) for c in seen_by_bob.contacts] == [
            ("phone", shop.other_call_id, True)]
        assert seen_by_bob.tickets == []
        seen_by_ann = customer_history(s, shop.customer_id, ann)
        assert [c.channel for c in seen_by_ann.contacts] == ["wechat", "email", "phone"]
        assert shop.other_call_id not in {c.call_id for c in seen_by_ann.contacts}
        nobody = customer_history(s, 999_999, ann)
        assert nobody.empty


def test_two_merges_of_the_same_customer_at_once_move_it_once(container, shop) -> None:
    """Merged into two customers at the same moment: one merge wins, the other finds it gone."""
    other_id, _ = _receive(container, _mail("<m1@example.com>", T0))
    third_id, _ = _receive(container, _mail("<m3@example.com>", T0, sender="li@example.com"))
    sue = _actor(container, "sue")
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def merge_into(keep_id: int) -> None:
        start.wait()
        try:
            with transaction(container.session_factory) as s:
                container.customer_merge.merge(s, sue, keep_id, other_id)
            outcomes[keep_id] = "merged"
        except LookupError:
            outcomes[keep_id] = "gone"

    threads = [threading.Thread(target=merge_into, args=(k,)) for k in (shop.customer_id, third_id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["gone", "merged"]
    winner = next(k for k, v in outcomes.items() if v == "merged")
    with container.session_factory() as s:
        owner = s.scalars(select(CustomerIdentity.customer_id).where(
            CustomerIdentity.value == "wang.fang@example.com")).one()
        assert owner == winner and s.get(Customer, other_id) is None
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customers_merged")) == 1
