"""The admin's Customer erasure and Retention pages: preview, typed confirmation, CSRF, roles, audit."""
from __future__ import annotations

import re

from sqlalchemy import select

from callcenter.models import AuditLog, Call, Customer, JobRun, Recording

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in


def _cells(html: str, table_id: str) -> dict[str, str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return {k.strip(): v.strip() for k, v in re.findall(r"<th>([^<]+)</th><td>([^<]+)</td>", body)}


def test_erasure_preview_confirm_and_audit(app, shop, session_factory, container) -> None:
    recordings = container.settings.recordings_dir()
    ada = app.test_client()
    sign_in(ada, "ada", PASSWORD)
    found = ada.get("/admin/erasure?q=%2B86%20138%200013%208000").get_data(as_text=True)  # by number
    assert "王芳" in found and f"/admin/erasure/{shop.customer_id}" in found
    assert "No customer matches." in ada.get("/admin/erasure?q=nobody").get_data(as_text=True)
    page = ada.get(f"/admin/erasure/{shop.customer_id}")
    assert page.status_code == 200
    preview = _cells(page.get_data(as_text=True), "erasure-preview")
    assert preview == {"Calls anonymised": "1", "Recordings removed": "1 (1 files)", "Transcripts removed": "0",
                       "Tickets blanked": "1", "Identifiers removed (phones, e-mail, WeChat)": "1"}
    assert (recordings / "1700000000.1-1700000000.2.wav").exists()  # the preview touched nothing
    token = csrf_token(ada, f"/admin/erasure/{shop.customer_id}")
    url = f"/admin/erasure/{shop.customer_id}"
    assert ada.post(url, data={"confirm_id": str(shop.customer_id), "reason": "x"}).status_code == 400  # no CSRF
    wrong = ada.post(url, data={"csrf_token": token, "confirm_id": "1" + str(shop.customer_id), "reason": "DSR-1"})
    assert wrong.status_code == 400 and "to confirm" in wrong.get_data(as_text=True)
    no_reason = ada.post(url, data={"csrf_token": token, "confirm_id": str(shop.customer_id), "reason": " "})
    assert no_reason.status_code == 400
    with session_factory() as s:
        assert s.get(Customer, shop.customer_id).erased_at is None
    done = ada.post(url, data={"csrf_token": token, "confirm_id": str(shop.customer_id), "reason": "DSR-1"})
    assert done.status_code == 200
    assert _cells(done.get_data(as_text=True), "erasure-result")["Recordings removed"] == "1 (1 files)"
    assert not (recordings / "1700000000.1-1700000000.2.wav").exists()
    assert (recordings / "1700000000.9-1700000000.10.wav").exists()
    with session_factory() as s:
        assert s.get(Customer, shop.customer_id).name == "[erased]"
        assert s.get(Call, shop.call_id).caller_number is None
        assert s.get(Recording, shop.recording_id).purged_at is not None
        rows = {a.action: a for a in s.scalars(select(AuditLog).where(AuditLog.object_type == "customer"))}
        assert rows["customer_erased"].actor_name == "ada" and rows["customer_erased"].detail["reason"] == "DSR-1"
        assert rows["customer_erasure_refused"].outcome == "refused"
    zh = ada.get(f"/admin/erasure/{shop.customer_id}", headers={"Accept-Language": "zh-CN"})
    assert "将被删除的内容" in zh.get_data(as_text=True)


def test_supervisor_may_look_not_erase_or_purge(app, shop, session_factory) -> None:
    sue = app.test_client()
    sign_in(sue, "sue", PASSWORD)
    page = sue.get(f"/admin/erasure/{shop.customer_id}").get_data(as_text=True)
    assert "Only an administrator can erase a customer." in page and 'name="confirm_id"' not in page
    token = csrf_token(sue, "/admin/retention")
    assert sue.post(f"/admin/erasure/{shop.customer_id}",
                    data={"csrf_token": token, "confirm_id": str(shop.customer_id), "reason": "x"}).status_code == 403
    assert sue.post("/admin/retention/purge", data={"csrf_token": token}).status_code == 403
    retention = sue.get("/admin/retention").get_data(as_text=True)
    assert "Run purge now" not in retention and "No purge has run yet." in retention
    with session_factory() as s:
        assert s.get(Customer, shop.customer_id).erased_at is None


def test_retention_page_and_purge_now(app, shop, session_factory, container) -> None:
    container.settings.retention.queues = {"sales": container.settings.retention.default.model_copy(
        update={"recordings_days": 1})}
    ada = app.test_client()
    sign_in(ada, "ada", PASSWORD)
    html = ada.get("/admin/retention").get_data(as_text=True)
    policies = html.split('id="retention-policies"', 1)[1].split("</table>", 1)[0]
    days = "<td>{}</td><td>0</td><td>0</td><td>0</td>\\s*<td class=\"muted\">{}"
    assert re.search(days.format("sales</td><td>1", "own policy"), policies)
    assert re.search(days.format("support</td><td>0", "default"), policies)
    token = csrf_token(ada, "/admin/retention")
    assert ada.post("/admin/retention/purge", data={}).status_code == 400  # no CSRF
    resp = ada.post("/admin/retention/purge", data={"csrf_token": token})
    assert resp.status_code == 303
    after = ada.get("/admin/retention").get_data(as_text=True)
    assert "Purge done: 1 recordings, 0 transcripts and 0 call records removed." in after
    runs = after.split('id="retention-runs"', 1)[1].split("</table>", 1)[0]
    assert "<td>ada</td><td>Done</td><td>1</td>" in runs
    with session_factory() as s:
        assert s.get(Recording, shop.other_recording_id).purged_at is not None  # bob's sales call, 2026-11-23
        assert s.get(Recording, shop.recording_id).purged_at is None
        run = s.scalar(select(JobRun).where(JobRun.kind == "retention_purge"))
        assert run.detail["actor"] == "ada" and run.detail["queues"]["sales"]["recordings"] == 1
        actions = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.object_type == "retention"))]
        assert sorted(actions) == ["retention_purge", "retention_purge_requested"]
