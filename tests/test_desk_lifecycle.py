"""The desk without dead ends, on SQLite and PostgreSQL: pops listed from the server (a reload, a second
tab), "no ticket needed" with a reason, attaching to a ticket found by search, the centre's wrap-up codes,
the caller-ID name pre-filled, and a pop said in the agent's language."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from callcenter.access import accounts
from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.events import CallAnswered
from callcenter.forms import catalog
from callcenter.models import (
    AuditLog,
    Call,
    DeskPop,
    FormDefinition,
    PopState,
    Queue,
    Ticket,
    TicketChange,
    WrapupCode,
)

from .deskdata import PASSWORD
from .support.deskstream import Stream, ring
from .support.rows import row
from .webtools import csrf_token, sign_in

SUPPORT = {"_form": "support", "subject": "Router down again", "product": "broadband",
           "description": "Red light", "priority": "normal"}


def _client(app: Any, name: str, lang: str = "en") -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    sign_in(client, name, PASSWORD)
    return client, {"X-CSRFToken": csrf_token(client, "/desk/")}


def _zh(container: Any, shop: Any, name: str) -> None:
    with transaction(container.session_factory) as s:
        accounts.set_language(s, shop.users[name], "zh")


def _name_support(container: Any) -> None:
    """The admin gave the support queue its names (a queue without them is shown by its code)."""
    with transaction(container.session_factory) as s:
        support = s.scalars(select(Queue).where(Queue.name == "support")).one()
        support.display_name, support.display_name_zh = "Support line", "支持热线"


def _call(container: Any, linkedid: str, **fields: Any) -> int:
    with transaction(container.session_factory) as s:
        return ensure_call(s, "lab", linkedid, **fields).id


def test_the_open_pops_come_from_the_server_in_every_tab_and_in_the_agents_language(app, container, shop) -> None:
    _name_support(container)
    stream = Stream(app, "ann")
    try:
        ring(container, "PJSIP/agent1001", "1700000000.1")  # the shop's customer, a gold VIP, calls again
        ring(container, "PJSIP/agent1001", "1700001000.2", caller_number="+12025550190", ivr={}, queue="sales")
        assert [stream.next_event()[0] for _ in range(2)] == ["pop", "pop"]
    finally:
        stream.close()
    first, _ = _client(app, "ann")  # the tab reloaded ...
    second, _ = _client(app, "ann")  # ... and another tab
    listed = [c.get("/desk/pops").get_json()["pops"] for c in (first, second)]
    assert listed[0] == listed[1]
    assert [p["key"] for p in listed[0]] == ["lab:1700000000.1", "lab:1700001000.2"]  # oldest first
    view = listed[0][0]["view"]
    assert view["vip"] == "Gold VIP" and view["meta"] == "Support line · waited 12 s"
    assert view["ivr"] == ["Menu: 1 · Technical support"]
    assert view["tickets"] == [f"{shop.ticket_number} · Router down (New)"]
    _zh(container, shop, "ann")
    chinese, _ = _client(app, "ann")
    view = chinese.get("/desk/pops").get_json()["pops"][0]["view"]
    assert view["vip"] == "金卡VIP" and view["ivr"] == ["菜单：1 · 技术支持"]
    assert view["meta"] == "支持热线 · 等待 12 秒"


def test_a_pops_history_and_ivr_read_as_words_not_codes(app, container, shop) -> None:
    _name_support(container)
    _call(container, "1700001001.1", caller_number="+8613800138000", customer_id=shop.customer_id)
    _zh(container, shop, "ann")
    stream = Stream(app, "ann")
    try:
        ring(container, "PJSIP/agent1001", "1700001001.1", ivr={
            "keys": ["7", "2"], "category": "sales", "language": "zh", "survey_optin": True, "queue": "sales"})
        stream.next_event()
    finally:
        stream.close()
    client, _ = _client(app, "ann")
    view = client.get("/desk/pops").get_json()["pops"][0]["view"]
    assert view["ivr"] == ["菜单：2 · 销售咨询", "语言：简体中文", "同意通话后参加满意度调查"]
    assert view["history"] == ["电话 · 2026年11月23日 09:00 · 支持热线 · 已接听"]  # the shop's answered call
    assert view["history_links"] == [f"/qa/calls/{shop.call_id}"]  # ann answered it: its page opens for her


def test_no_ticket_needed_wants_a_reason_then_stores_audits_and_handles_the_pop(app, container, shop) -> None:
    stream = Stream(app, "ann")
    try:
        ring(container, "PJSIP/agent1001", "1700000000.1")  # the shop's call, answered by ann, popped on her desk
        assert stream.next_event()[0] == "pop"
    finally:
        stream.close()
    ann, headers = _client(app, "ann")
    url = f"/desk/calls/{shop.call_id}/no-ticket"
    review, _ = _client(app, "sue")
    assert "Answered calls without a ticket (1)" in review.get("/review/").get_data(as_text=True)
    for bad, field in (({}, "reason"), ({"reason": "resolved_first_call"}, "reason"),  # a ticket's code
                       ({"reason": "wrong_number", "note": "x" * 201}, "note"),
                       ({"reason": "wrong_number", "note": "a\x00b"}, "note")):
        resp = ann.post(url, json=bad, headers=headers)
        assert resp.status_code == 422 and field in resp.get_json()["errors"], (bad, resp.get_json())
    assert ann.post(url, json={}, headers=headers).get_json()["errors"]["reason"] == \
        "Choose why this call needs no ticket."
    ok = ann.post(url, json={"reason": "wrong_number", "note": " Wanted\nthe pizza place "}, headers=headers)
    assert ok.status_code == 200 and ok.get_json() == {"outcome": "no_ticket", "reason": "wrong_number",
                                                       "label": "Wrong number"}
    with container.session_factory() as s:
        call = row(s, Call, shop.call_id)
        assert (call.no_ticket_reason, call.no_ticket_note, call.no_ticket_by_id) == (
            "wrong_number", "Wanted the pizza place", shop.users["ann"])
        assert call.no_ticket_at is not None and call.ticket_id is None
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "call_no_ticket")).one()
        assert (audit.actor_name, audit.object_id, audit.detail["reason"]) == ("ann", str(shop.call_id),
                                                                                 "wrong_number")
        pop = s.scalars(select(DeskPop).where(DeskPop.call_id == shop.call_id)).one()
        assert (pop.user_id, pop.state, pop.outcome) == (shop.users["ann"], PopState.HANDLED, "no_ticket")
    # Counted once: no longer a call "without a ticket" for the supervisor's review.
    assert "Answered calls without a ticket (0)" in review.get("/review/").get_data(as_text=True)


def test_no_ticket_is_refused_once_the_call_has_a_ticket_in_the_agents_language(app, container, shop) -> None:
    _zh(container, shop, "ann")
    ann, headers = _client(app, "ann", "zh")
    url = f"/desk/calls/{shop.call_id}"
    refused = ann.post(f"{url}/no-ticket", json={}, headers=headers)
    assert refused.get_json()["errors"]["reason"] == "请选择此来电无需工单的原因。"
    # A mistaken "no ticket needed", then a ticket after all: the call counts as ticketed, once.
    assert ann.post(f"{url}/no-ticket", json={"reason": "silent_call"}, headers=headers).status_code == 200
    number = ann.post(f"{url}/submit", json=SUPPORT, headers=headers).get_json()["ticket_number"]
    with container.session_factory() as s:
        call = row(s, Call, shop.call_id)
        assert call.ticket_id is not None and call.no_ticket_reason is None
    again = ann.post(f"{url}/no-ticket", json={"reason": "wrong_number"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"] == "has_ticket"
    assert again.get_json()["message"] == f"此来电已有工单 {number}：请关联或更新该工单。"
    with container.session_factory() as s:
        assert row(s, Call, shop.call_id).no_ticket_reason is None


def test_the_pop_handled_in_one_tab_leaves_every_tab(app, container, shop) -> None:
    tabs = [Stream(app, "ann"), Stream(app, "ann")]
    try:
        ring(container, "PJSIP/agent1001", "1700001002.1", caller_number="+12025550191", ivr={})
        pops = [tab.next_event() for tab in tabs]
        call_id = pops[0][1]["call_id"]
        container.bus.publish(CallAnswered(pbx="lab", linkedid="1700001002.1", interface="PJSIP/agent1001"))
        assert [tab.next_event()[0] for tab in tabs] == ["answered", "answered"]
        client, headers = _client(app, "ann")
        resp = client.post(f"/desk/calls/{call_id}/no-ticket", json={"reason": "silent_call"}, headers=headers)
        assert resp.status_code == 200
        for tab in tabs:
            kind, data = tab.next_event()
            assert (kind, data["key"], data["outcome"]) == ("handled", "lab:1700001002.1", "no_ticket")
        assert client.get("/desk/pops").get_json()["pops"] == []
    finally:
        for tab in tabs:
            tab.close()


def test_attach_finds_only_tickets_the_agent_may_update(app, container, shop) -> None:
    stream = Stream(app, "ann")
    try:
        ring(container, "PJSIP/agent1001", "1700000000.1")  # the customer's follow-up call pops on ann's desk
        assert stream.next_event()[0] == "pop"
    finally:
        stream.close()
    ann, headers = _client(app, "ann")

    def found(q: str, client: Any = ann) -> list[str]:
        return [t["number"] for t in client.get("/desk/tickets", query_string={"q": q}).get_json()["tickets"]]

    assert found("Router") == [shop.ticket_number]
    assert found(shop.ticket_number) == [shop.ticket_number]
    assert found("138 0013 8000") == [shop.ticket_number]  # the customer's number, typed as read out
    assert found("王芳") == [shop.ticket_number]
    assert found("New contract") == [] and found(shop.other_ticket_number) == []  # bob's, in sales
    bob, _ = _client(app, "bob")
    assert found("New contract", bob) == [shop.other_ticket_number] and found("Router", bob) == []
    hit = ann.get("/desk/tickets?q=Router").get_json()["tickets"][0]
    assert (hit["customer"], hit["status"]) == ("王芳", "New")
    with container.session_factory() as s:
        mine = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one().id
        theirs = s.scalars(select(Ticket).where(Ticket.number == shop.other_ticket_number)).one().id
    url = f"/desk/calls/{shop.call_id}/attach"
    refused = ann.post(url, json={"ticket_id": str(theirs)}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"ticket_id": "Not a ticket you can update."}
    ok = ann.post(url, json={"ticket_id": str(mine)}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["ticket_number"] == shop.ticket_number
    with container.session_factory() as s:
        assert row(s, Call, shop.call_id).ticket_id == mine
        assert s.scalar(select(func.count()).select_from(TicketChange).where(
            TicketChange.ticket_id == mine, TicketChange.reason == "follow-up call attached")) == 1
        pop = s.scalars(select(DeskPop).where(DeskPop.call_id == shop.call_id)).one()
        assert (pop.state, pop.outcome, pop.ticket_id) == (PopState.HANDLED, "attached", mine)
    sue, sue_headers = _client(app, "sue")
    moved = sue.post(url, json={"ticket_id": str(_supervisors_ticket(container, shop))}, headers=sue_headers)
    assert moved.status_code == 409 and moved.get_json()["error"] == "has_ticket"


def _supervisors_ticket(container: Any, shop: Any) -> int:
    """Another ticket of ann's team, which sue may update: the call is already on ann's."""
    from callcenter.access.audit import Actor

    with transaction(container.session_factory) as s:
        ticket: Ticket = container.tickets.create(s, Actor.system("test"), subject="Other", category="support",
                                                  assignee_id=shop.users["ann"])
        s.flush()
        return ticket.id


def test_wrap_up_codes_are_the_centres_own_list(app, container, shop) -> None:
    ann, headers = _client(app, "ann")
    html = ann.get(f"/desk/calls/{shop.call_id}/form").get_data(as_text=True)
    assert 'value="engineer_visit"' in html and "Engineer visit booked" in html
    assert 'value="order_placed"' in html  # one list for every form: the sales code too
    assert '<option value="wrong_number">Wrong number</option>' in html  # as a reason for no ticket only
    form = html.split('name="wrapup_code"', 1)[1].split("</select>", 1)[0]
    assert "wrong_number" not in form
    with transaction(container.session_factory) as s:
        s.scalars(select(WrapupCode).where(WrapupCode.code == "escalated")).one().is_active = False
    url = f"/desk/calls/{shop.call_id}/submit"
    for code in ("wrong_number", "escalated", "nonsense"):
        resp = ann.post(url, json={**SUPPORT, "wrapup_code": code}, headers=headers)
        assert resp.status_code == 422 and resp.get_json()["errors"] == {
            "wrapup_code": "Not one of the centre's wrap-up codes."}
    done = ann.post(url, json={**SUPPORT, "wrapup_code": "engineer_visit"}, headers=headers)
    number = done.get_json()["ticket_number"]
    assert "Engineer visit booked" in ann.get(f"/tickets/{number}").get_data(as_text=True)
    _zh(container, shop, "ann")
    chinese, _ = _client(app, "ann", "zh")
    assert "已预约上门" in chinese.get(f"/tickets/{number}").get_data(as_text=True)


def test_forms_no_longer_carry_wrap_up_codes_but_old_versions_still_load(container) -> None:
    with transaction(container.session_factory) as s:
        catalog.sync_files(s)
        current = catalog.latest(s, "general")
        assert current is not None and catalog.spec_of(current).wrapup_codes == []  # the shipped files have none
        old_schema = {**current.schema, "wrapup_codes": [{"value": "follow_up", "label": "Needs follow-up"}]}
        s.add(FormDefinition(slug="general", version=0, title="General enquiry", category="general",
                             schema=old_schema, is_active=False))
    with container.session_factory() as s:
        old = s.scalars(select(FormDefinition).where(FormDefinition.version == 0)).one()
        assert catalog.spec_of(old).wrapup_codes[0].value == "follow_up"
    assert "wrapup_codes" not in catalog.to_toml(old)  # edited again, it leaves them out


def test_the_caller_id_name_starts_the_new_customer_and_the_summary_starts_empty(app, container, shop) -> None:
    named = _call(container, "1700001003.1", caller_number="+12025550192", caller_name="Li Lei",
                  queue_name="support", agent_id=shop.users["ann"], ivr={"category": "general"})
    anonymous = _call(container, "1700001003.2", caller_number="+12025550193", caller_name="Anonymous",
                      queue_name="support", agent_id=shop.users["ann"], ivr={"category": "general"})
    ann, _ = _client(app, "ann")
    html = ann.get(f"/desk/calls/{named}/form").get_data(as_text=True)
    assert 'name="name" maxlength="200" required value="Li Lei"' in html
    assert "General enquiry" in html and 'id="f-subject" name="subject" value=""' in html
    html = ann.get(f"/desk/calls/{anonymous}/form").get_data(as_text=True)
    assert 'name="name" maxlength="200" required value=""' in html
