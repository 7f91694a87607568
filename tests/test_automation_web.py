"""The automation pages with the test client, on both engines: an admin writes, checks, orders, switches off
and deletes rules (each audited); a supervisor approves or rejects what a rule left waiting."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from callcenter.automation.rules import STARTER
from callcenter.db import transaction
from callcenter.models import Approval, ApprovalStatus, AuditLog, AutomationRule, Ticket, TicketNote

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

BAD_OP = STARTER.replace('op = "is"', 'op = "equals"')
SECOND = STARTER.replace("Refunds wait for a supervisor", "Urgent for VIPs")


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _client(app: Any, username: str, path: str = "/") -> tuple[Any, str]:
    client = app.test_client()
    sign_in(client, username, PASSWORD)
    return client, csrf_token(client, path)


def _audits(session_factory: Any, action: str) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _rules(session_factory: Any) -> list[tuple[str, int, bool]]:
    with session_factory() as s:
        return [(r.name, r.position, r.active) for r in
                s.scalars(select(AutomationRule).order_by(AutomationRule.position, AutomationRule.id))]


def test_an_admin_writes_a_rule_and_a_bad_one_is_refused_on_its_line(app, shop, session_factory) -> None:
    ada, token = _client(app, "ada", "/admin/rules/new")
    listing = ada.get("/admin/rules").get_data(as_text=True)
    assert 'id="no-rules"' in listing and 'id="no-runs"' in listing
    page = ada.get("/admin/rules/new").get_data(as_text=True)
    assert "name = &#34;Refunds wait for a supervisor&#34;" in page and "When a ticket is created" in page

    good = ada.post("/admin/rules/preview", json={"definition": STARTER}, headers={"X-CSRFToken": token})
    assert good.status_code == 200 and good.json["valid"] and good.json["problems"] == []
    words = good.json["preview"]
    assert "When a ticket is created" in words and "set the priority to High" in words
    assert '<code translate="no">ticket.category</code> is <code translate="no">return</code>' in words
    assert "ask a supervisor&#39;s approval" in words and "Once approved, then:" in words
    bad = ada.post("/admin/rules/preview", json={"definition": BAD_OP}, headers={"X-CSRFToken": token})
    assert bad.status_code == 200 and not bad.json["valid"] and "preview" not in bad.json
    [problem] = bad.json["problems"]
    assert problem["line"] == _line(BAD_OP, 'op = "equals"') and "op" in problem["message"]

    refused = ada.post("/admin/rules/new", data={"csrf_token": token, "definition": BAD_OP})
    assert refused.status_code == 400
    assert f'<li data-line="{_line(BAD_OP, "op = ")}"' in refused.get_data(as_text=True)
    assert _rules(session_factory) == []

    saved = ada.post("/admin/rules/new", data={"csrf_token": token, "definition": STARTER})
    assert saved.status_code == 303
    [(name, position, active)] = _rules(session_factory)
    assert (name, position, active) == ("Refunds wait for a supervisor", 1, True)
    assert "Rule saved." in ada.get(saved.headers["Location"]).get_data(as_text=True)
    [created] = _audits(session_factory, "automation_rule_created")
    assert created.actor_name == "ada"

    ada.post("/language", data={"lang": "zh", "csrf_token": token})
    zh = ada.post("/admin/rules/preview", json={"definition": BAD_OP}, headers={"X-CSRFToken": token})
    assert zh.json["problems"][0]["line"] == problem["line"] and zh.json["problems"][0]["message"] != problem["message"]
    assert "工单创建时" in ada.get(saved.headers["Location"]).get_data(as_text=True)


def test_reorder_switch_off_and_delete_are_audited(app, shop, session_factory) -> None:
    ada, token = _client(app, "ada", "/admin/rules/new")
    for text in (STARTER, SECOND):
        assert ada.post("/admin/rules/new", data={"csrf_token": token, "definition": text}).status_code == 303
    with session_factory() as s:
        first, second = s.scalars(select(AutomationRule.id).order_by(AutomationRule.position)).all()
    listing = ada.get("/admin/rules").get_data(as_text=True)
    assert listing.index(f'data-rule="{first}"') < listing.index(f'data-rule="{second}"')

    assert ada.post(f"/admin/rules/{second}/move", data={"csrf_token": token, "step": "-1"}).status_code == 303
    assert [n for n, _, _ in _rules(session_factory)] == ["Urgent for VIPs", "Refunds wait for a supervisor"]
    assert ada.post(f"/admin/rules/{second}/move", data={"csrf_token": token, "step": "2"}).status_code == 400
    assert ada.post(f"/admin/rules/{first}/active", data={"csrf_token": token, "active": "0"}).status_code == 303
    assert {n: a for n, _, a in _rules(session_factory)}["Refunds wait for a supervisor"] is False
    changes = _audits(session_factory, "automation_rule_changed")
    assert {"position", "active"} <= {key for a in changes for key in (a.detail or {})}

    assert ada.post(f"/admin/rules/{second}/delete", data={"csrf_token": token}).status_code == 303
    assert [n for n, _, _ in _rules(session_factory)] == ["Refunds wait for a supervisor"]
    assert [a.object_id for a in _audits(session_factory, "automation_rule_deleted")] == [str(second)]
    assert ada.post(f"/admin/rules/{second}/delete", data={"csrf_token": token}).status_code == 404


def test_an_agent_is_refused(app, shop) -> None:
    ann, token = _client(app, "ann")
    assert ann.get("/admin/rules").status_code == 403
    assert ann.get("/admin/rules/new").status_code == 403
    assert ann.post("/admin/rules/preview", json={"definition": STARTER},
                    headers={"X-CSRFToken": token}).status_code == 403
    assert ann.get("/approvals/").status_code == 403
    assert 'id="nav-approvals"' not in ann.get("/").get_data(as_text=True)


def _waiting(session_factory: Any, number: str, text: str = "ok") -> int:
    with transaction(session_factory) as s:
        ticket_id = s.scalar(select(Ticket.id).where(Ticket.number == number))
        assert ticket_id is not None
        approval = Approval(rule_name="Refunds wait for a supervisor", ticket_id=ticket_id, role="supervisor",
                            reason="A refund goes to the ERP only when a supervisor agrees.",
                            actions=[{"do": "add_note", "text": text}])
        s.add(approval)
        s.flush()
        return approval.id


def _notes(session_factory: Any, number: str) -> list[str]:
    with session_factory() as s:
        return list(s.scalars(select(TicketNote.body).join(Ticket, Ticket.id == TicketNote.ticket_id)
                              .where(Ticket.number == number).order_by(TicketNote.id)))


def _status(session_factory: Any, approval_id: int) -> ApprovalStatus:
    with session_factory() as s:
        found = s.get(Approval, approval_id)
        assert found is not None
        return ApprovalStatus(found.status)


def test_a_supervisor_approves_and_the_waiting_actions_run(app, shop, session_factory) -> None:
    approval_id = _waiting(session_factory, shop.ticket_number, "Refund approved: the ERP is told.")
    sue, token = _client(app, "sue", "/approvals/")
    page = sue.get("/approvals/").get_data(as_text=True)
    assert f'data-approval="{approval_id}"' in page and shop.ticket_number in page
    assert "add an internal note" in page and "Refund approved: the ERP is told." in page
    assert 'id="nav-approvals"' in page and 'class="badge warn"' in page
    quinn, _ = _client(app, "quinn")
    assert f'data-approval="{approval_id}"' not in quinn.get("/approvals/").get_data(as_text=True)  # not QA's

    done = sue.post(f"/approvals/{approval_id}", data={"csrf_token": token, "decision": "approve"})
    assert done.status_code == 303
    assert _status(session_factory, approval_id) is ApprovalStatus.APPROVED
    assert "Refund approved: the ERP is told." in _notes(session_factory, shop.ticket_number)
    [audit] = _audits(session_factory, "approval_approved")
    assert audit.actor_name == "sue" and audit.object_id == shop.ticket_number
    after = sue.get("/approvals/").get_data(as_text=True)
    assert "Approved: the waiting actions ran." in after and 'id="no-approvals"' in after and 'id="decided"' in after
    again = sue.post(f"/approvals/{approval_id}", data={"csrf_token": token, "decision": "approve"})
    assert again.status_code == 400 and "Someone has decided this approval already." in again.get_data(as_text=True)


def test_a_rejection_needs_a_comment(app, shop, session_factory) -> None:
    approval_id = _waiting(session_factory, shop.ticket_number)
    sue, token = _client(app, "sue", "/approvals/")
    bare = sue.post(f"/approvals/{approval_id}", data={"csrf_token": token, "decision": "reject", "comment": " "})
    assert bare.status_code == 400 and "Say why you reject it." in bare.get_data(as_text=True)
    assert _status(session_factory, approval_id) is ApprovalStatus.PENDING and _audits(session_factory,
                                                                                        "approval_rejected") == []
    assert sue.post(f"/approvals/{approval_id}", data={"csrf_token": token, "decision": "maybe"}).status_code == 400
    sue.post("/language", data={"lang": "zh", "csrf_token": token})
    zh = sue.post(f"/approvals/{approval_id}", data={"csrf_token": token, "decision": "reject"})
    assert zh.status_code == 400 and "请说明驳回原因。" in zh.get_data(as_text=True)

    said = sue.post(f"/approvals/{approval_id}", data={"csrf_token": token, "decision": "reject",
                                                       "comment": "Not a refund case"})
    assert said.status_code == 303 and _status(session_factory, approval_id) is ApprovalStatus.REJECTED
    [audit] = _audits(session_factory, "approval_rejected")
    assert audit.actor_name == "sue" and (audit.detail or {}).get("comment") == "Not a refund case"
    assert "ok" not in _notes(session_factory, shop.ticket_number)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("approval_%"))) == 1
