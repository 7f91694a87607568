"""Screen pop over server-sent events, the intake form, drafts and one ticket per call."""
from __future__ import annotations

from sqlalchemy import func, select

from callcenter.events import CallAnswered, CallEnded
from callcenter.models import AuditLog, FormSubmission, Ticket

from .deskdata import PASSWORD
from .support.deskstream import Stream
from .support.deskstream import ring as _ring
from .webtools import csrf_token, sign_in


def _desk(app, name: str) -> Stream:
    return Stream(app, name)


def test_ring_pops_the_form_on_the_right_agents_desk(app, container, shop) -> None:
    stream = _desk(app, "ann")
    try:
        _ring(container, "PJSIP/agent1001", "1700000000.1")
        kind, pop = stream.next_event()
        assert kind == "pop"
        assert pop["call_id"] == shop.call_id and pop["customer"]["name"] == "王芳"
        assert pop["customer"]["vip_tier"] == "gold" and pop["ivr"]["category"] == "support"
        assert [t["number"] for t in pop["open_tickets"]] == [shop.ticket_number]
        assert pop["wait_seconds"] == 12.5 and pop["caller_number"].startswith("+86")
    finally:
        stream.close()


def test_ring_answered_elsewhere_withdraws_and_pops_queue(app, container, shop) -> None:
    stream = _desk(app, "ann")
    try:
        _ring(container, "PJSIP/agent1001", "1700000000.50", caller_number="+12025550100")
        _ring(container, "PJSIP/agent1001", "1700000000.60", caller_number="+12025550101")
        assert [stream.next_event()[0] for _ in range(2)] == ["pop", "pop"]
        container.bus.publish(CallAnswered(pbx="lab", linkedid="1700000000.50", interface="PJSIP/agent1002"))
        kind, data = stream.next_event()
        assert (kind, data["key"], data["reason"]) == ("withdraw", "lab:1700000000.50", "answered_elsewhere")
        # The caller of the second ring gave up before anyone answered: that pop goes too.
        container.bus.publish(CallEnded(pbx="lab", linkedid="1700000000.60"))
        assert stream.next_event() == ("withdraw", {"key": "lab:1700000000.60", "reason": "ended"})
    finally:
        stream.close()


def test_a_transferred_call_leaves_the_first_agent_their_pop(app, container, shop) -> None:
    """ann answered, then bob answers her transfer: ann's pop (her browser phone's controls) stays to the end."""
    ann, bob = _desk(app, "ann"), _desk(app, "bob")
    try:
        _ring(container, "PJSIP/agent1001", "1700000000.80")
        assert ann.next_event()[0] == "pop"
        container.bus.publish(CallAnswered(pbx="lab", linkedid="1700000000.80", interface="PJSIP/agent1001"))
        assert ann.next_event()[0] == "answered"
        _ring(container, "PJSIP/agent1002", "1700000000.80")
        assert bob.next_event()[0] == "pop"
        container.bus.publish(CallAnswered(pbx="lab", linkedid="1700000000.80", interface="PJSIP/agent1002"))
        assert bob.next_event()[0] == "answered"
        container.bus.publish(CallEnded(pbx="lab", linkedid="1700000000.80"))
        assert ann.next_event() == ("ended", {"key": "lab:1700000000.80"}), "ann's pop was withdrawn"
        assert bob.next_event() == ("ended", {"key": "lab:1700000000.80"})
    finally:
        ann.close()
        bob.close()


def test_other_agents_do_not_get_the_pop(app, container, shop) -> None:
    bob = _desk(app, "bob")
    ann = _desk(app, "ann")
    try:
        _ring(container, "PJSIP/agent1001", "1700000000.70")
        _ring(container, "PJSIP/agent1002", "1700000000.71")
        assert ann.next_event()[1]["key"] == "lab:1700000000.70"
        assert bob.next_event()[1]["key"] == "lab:1700000000.71"
    finally:
        ann.close()
        bob.close()


def test_form_is_prefilled_drafts_survive_and_submit_twice_makes_one_ticket(client, shop, session_factory) -> None:
    sign_in(client, "ann", PASSWORD)
    html = client.get(f"/desk/calls/{shop.call_id}/form").get_data(as_text=True)
    assert 'value="+8613800138000"' in html and "Technical support" in html
    token = csrf_token(client, "/desk/")
    headers = {"X-CSRFToken": token}
    draft = {"_form": "support", "subject": "No internet since 8am", "product": "broadband"}
    assert client.post(f"/desk/calls/{shop.call_id}/draft", json=draft, headers=headers).status_code == 200
    # The tab was closed: the draft comes back.
    assert "No internet since 8am" in client.get(f"/desk/calls/{shop.call_id}/form").get_data(as_text=True)
    bad = client.post(f"/desk/calls/{shop.call_id}/submit", json={**draft, "priority": "cosmic"}, headers=headers)
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"priority", "description"}
    full = {**draft, "description": "Modem lights red", "priority": "high", "wrapup_code": "follow_up"}
    first = client.post(f"/desk/calls/{shop.call_id}/submit", json=full, headers=headers)
    second = client.post(f"/desk/calls/{shop.call_id}/submit", json=full, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.get_json()["created"] and not second.get_json()["created"]
    number = first.get_json()["ticket_number"]
    assert second.get_json()["ticket_number"] == number
    with session_factory() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.origin_call_id == shop.call_id and ticket.priority.value == "high"
        assert ticket.customer_id == shop.customer_id and ticket.subject == "No internet since 8am"
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.origin_call_id == shop.call_id)) == 1
        sub = s.scalar(select(FormSubmission).where(FormSubmission.ticket_id == ticket.id))
        assert sub.data["product"] == "broadband" and sub.wrapup_code == "follow_up"
        # The desk's submit audits the new ticket (the shop's own two tickets are audited too).
        created = s.scalars(select(AuditLog).where(AuditLog.action == "ticket_created",
                                                   AuditLog.object_id == number)).all()
        assert len(created) == 1 and created[0].actor_name == "ann"
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "Modem lights red" in page and "Broadband" in page  # the label, not the stored code


def test_follow_up_call_attaches_to_open_ticket(client, shop, session_factory) -> None:
    sign_in(client, "ann", PASSWORD)
    headers = {"X-CSRFToken": csrf_token(client, "/desk/")}
    with session_factory() as s:
        ticket_id = s.scalar(select(Ticket.id).where(Ticket.number == shop.ticket_number))
    resp = client.post(f"/desk/calls/{shop.call_id}/submit", headers=headers, json={
        "_form": "general", "subject": "Still down", "priority": "normal", "attach_to": str(ticket_id)})
    assert resp.status_code == 200 and resp.get_json()["ticket_number"] == shop.ticket_number
    assert not resp.get_json()["created"]
    page = client.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert "Follow-up call" in page and "follow-up call attached" in page
    # The recorded call leads on to its transcript and QA review.
    assert f'href="/qa/calls/{shop.call_id}"' in page and page.count("/qa/calls/") == 1


def test_bad_input_changes_nothing(client, shop, session_factory) -> None:
    sign_in(client, "ann", PASSWORD)
    headers = {"X-CSRFToken": csrf_token(client, "/desk/")}
    url = f"/desk/calls/{shop.call_id}/submit"
    cases = [
        {"_form": "support", "subject": "x" * 201, "product": "tv", "description": "d", "priority": "low"},
        {"_form": "support", "subject": "a\r\nb", "product": "tv", "description": "d", "priority": "low"},
        {"_form": "support", "subject": "ok", "product": ["tv", "mobile"], "description": "d", "priority": "low"},
        {"_form": "support", "subject": "ok", "product": "tv", "description": "\x00", "priority": "low"},
        {"_form": "support", "subject": "ok", "product": "tv", "description": "d", "priority": "low",
         "outage_since": "yesterday"},
    ]
    for case in cases:
        assert client.post(url, json=case, headers=headers).status_code == 422, case
    assert client.post(url, data="not json", headers={**headers, "Content-Type": "application/json"}).status_code == 400
    assert client.post(url, json={"_form": "../../etc"}, headers=headers).status_code == 404
    # No CSRF token: refused.
    assert client.post(url, json=cases[0]).status_code == 400
    # Another agent's call (bob's, in sales): refused and audited.
    other = client.post(f"/desk/calls/{shop.other_call_id}/submit", json=cases[0], headers=headers)
    assert other.status_code == 403
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 2
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.outcome == "denied")) == 1


def test_unknown_caller_can_become_a_customer(client, shop, session_factory, container) -> None:
    from callcenter.calls.records import ensure_call
    from callcenter.db import transaction
    from callcenter.models import Call

    with transaction(session_factory) as s:
        call = ensure_call(s, "lab", "1700000001.1", caller_number="+12025550188", queue_name="support",
                           agent_id=shop.users["ann"])
        call_id = call.id
    sign_in(client, "ann", PASSWORD)
    assert "Unknown caller" in client.get(f"/desk/calls/{call_id}/form").get_data(as_text=True)
    headers = {"X-CSRFToken": csrf_token(client, "/desk/")}
    bad = client.post(f"/desk/calls/{call_id}/customer", json={"name": "", "language": "xx"}, headers=headers)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"name", "language"}
    ok = client.post(f"/desk/calls/{call_id}/customer", json={"name": "Li Lei", "language": "zh"}, headers=headers)
    assert ok.status_code == 201
    with session_factory() as s:
        assert s.get(Call, call_id).customer_id == ok.get_json()["customer_id"]
    dup = client.post(f"/desk/calls/{call_id}/customer", json={"name": "Again", "language": "en"}, headers=headers)
    assert dup.status_code == 422 and "number" in dup.get_json()["errors"]


def test_the_form_offers_similar_tickets_and_links_the_new_one_on_submit(client, shop, session_factory,
                                                                        container) -> None:
    from callcenter.access.audit import Actor
    from callcenter.db import transaction
    from callcenter.models import Call, User

    from .support.parcels import STUCK

    with transaction(session_factory) as s:
        ann = s.scalar(select(User).where(User.username == "ann"))
        assert ann is not None
        made = [container.tickets.create(s, Actor.system("test"), subject=subject, description=description,
                                         assignee_id=ann.id) for subject, description in STUCK[:6]]
        s.flush()
        target_id, target_number = made[1].id, made[1].number
    with transaction(session_factory) as s:  # this caller heard an incident of that problem in the IVR
        call = s.get(Call, shop.call_id)
        assert call is not None
        call.ivr = {**(call.ivr or {}), "incident": {"id": 1, "problem_id": target_id, "subscribed": True}}
    sign_in(client, "ann", PASSWORD)
    form = client.get(f"/desk/calls/{shop.call_id}/form").get_data(as_text=True)
    assert "similar-panel" in form and 'id="incident-link"' in form and f'value="{target_id}" checked' in form
    found = client.get(f"/desk/calls/{shop.call_id}/similar", query_string={"text": "快递卡在中转站，物流不更新"})
    numbers = [t["number"] for t in found.get_json()["tickets"]]
    assert found.status_code == 200 and target_number in numbers and len(numbers) <= 5
    headers = {"X-CSRFToken": csrf_token(client, "/desk/")}
    resp = client.post(f"/desk/calls/{shop.call_id}/submit", headers=headers, json={
        "_form": "general", "subject": "快递卡住了", "priority": "normal", "link_to": str(target_id)})
    assert resp.status_code == 200 and resp.get_json()["created"]
    with session_factory() as s:
        new = s.get(Ticket, resp.get_json()["ticket_id"])
        target = s.get(Ticket, target_id)
        assert new is not None and target is not None and target.is_problem and new.problem_id == target_id
