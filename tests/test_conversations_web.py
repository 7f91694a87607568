"""The ticket page's one timeline and the timeline API: internal notes marked, files by id, scoping."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from callcenter.models import AuditLog, TicketNote

from .deskdata import PASSWORD, add_conversation
from .webtools import csrf_token, sign_in


def _entries(html: str) -> list[str]:
    return re.findall(r'<li class="conv-entry ([^"]+)">', html)


def test_the_page_shows_one_timeline_with_internal_notes_marked(app, container, shop) -> None:
    ids = add_conversation(container, shop.ticket_number)
    client = app.test_client()
    sign_in(client, "ann", PASSWORD)
    html = client.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    classes = _entries(html)
    kinds = [c.split()[0] for c in classes]
    assert kinds.index("kind-call") < kinds.index("kind-message")  # the call at T0 comes first
    messages = [c for c in classes if c.startswith("kind-message")]
    assert messages == ["kind-message public inbound", "kind-message public outbound"]
    assert "kind-note internal note" in classes
    note = html[html.index("Engineer booked for 14:00.") - 800:html.index("Engineer booked for 14:00.")]
    assert 'class="badge internal">Internal<' in note
    assert "It blinks red." in html and "An engineer calls today." in html and "Waiting to be sent" in html
    assert f"/tickets/{shop.ticket_number}/attachments/{ids['photo']}" in html
    assert f"attachments/{ids['clip']}" not in html and "not kept: larger than the size limit" in html
    assert f'href="/qa/calls/{shop.call_id}"' in html and f"/recordings/{shop.recording_id}" in html


def test_the_page_in_chinese(app, container, shop) -> None:
    add_conversation(container, shop.ticket_number)
    client = app.test_client()
    sign_in(client, "ann", PASSWORD)
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client, "/")})
    html = client.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    for shown in ("沟通记录", "内部", "电子邮件", "收到", "回复", "等待发送", "添加内部备注"):
        assert shown in html, shown
    for english in (">Internal<", "Conversation", "Waiting to be sent"):
        assert english not in html, english


def test_an_empty_timeline_says_so(app, shop) -> None:
    client = app.test_client()
    sign_in(client, "bob", PASSWORD)
    html = client.get(f"/tickets/{shop.other_ticket_number}").get_data(as_text=True)
    assert "Nothing yet: calls, messages and notes" in html
    assert [c.split()[0] for c in _entries(html)] == ["kind-change"]  # only the ticket's own history


def test_a_note_from_the_page_is_internal(app, container, shop) -> None:
    client = app.test_client()
    sign_in(client, "ann", PASSWORD)
    token = csrf_token(client, f"/tickets/{shop.ticket_number}")
    client.post(f"/tickets/{shop.ticket_number}/notes", data={"body": "Only for us.", "public": "on",
                                                              "csrf_token": token})
    with container.session_factory() as s:
        note = s.scalars(select(TicketNote).where(TicketNote.body == "Only for us.")).one()
        assert note.internal


def test_a_file_is_served_by_id_to_those_who_see_the_ticket(app, container, shop) -> None:
    ids = add_conversation(container, shop.ticket_number)
    ann = app.test_client()
    sign_in(ann, "ann", PASSWORD)
    resp = ann.get(f"/tickets/{shop.ticket_number}/attachments/{ids['photo']}")
    assert resp.status_code == 200 and resp.data == b"\xff\xd8 photo" and resp.mimetype == "image/jpeg"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert ann.get(f"/tickets/{shop.ticket_number}/attachments/{ids['clip']}").status_code == 410  # not kept
    # Through another ticket's number, the id is not found: a file belongs to its own ticket only.
    ada = app.test_client()
    sign_in(ada, "ada", PASSWORD)
    assert ada.get(f"/tickets/{shop.other_ticket_number}/attachments/{ids['photo']}").status_code == 404
    bob = app.test_client()
    sign_in(bob, "bob", PASSWORD)
    assert bob.get(f"/tickets/{shop.ticket_number}/attachments/{ids['photo']}").status_code == 403
    with container.session_factory() as s:
        downloads = s.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "attachment_downloaded"))
        assert downloads == 1


def test_the_timeline_api(client, container, shop) -> None:
    ids = add_conversation(container, shop.ticket_number)
    ann = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    body = client.get(f"/api/v1/tickets/{shop.ticket_number}/timeline", headers=ann).get_json()
    items = body["items"]
    assert body["total"] == len(items) and [i["at"] for i in items] == sorted(i["at"] for i in items)
    by_id = {(i["kind"], i["id"]): i for i in items}
    inbound, reply = by_id[("message", ids["inbound"])], by_id[("message", ids["reply"])]
    assert inbound["direction"] == "inbound" and inbound["visibility"] == "public" and inbound["channel"] == "email"
    assert [a["refused"] for a in inbound["attachments"]] == [None, "too_large"]
    assert reply["direction"] == "outbound" and reply["delivery_state"] == "queued"
    assert by_id[("note", ids["note"])]["visibility"] == "internal"
    call = next(i for i in items if i["kind"] == "call")
    assert call["recording_ids"] == [shop.recording_id] and call["channel"] == "phone"
    assert all(i["visibility"] == "internal" for i in items if i["kind"] in ("note", "change"))


def test_a_file_through_the_api_by_id_audited(client, container, shop) -> None:
    ids = add_conversation(container, shop.ticket_number)
    ann = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    url = f"/api/v1/tickets/{shop.ticket_number}/attachments"
    resp = client.get(f"{url}/{ids['photo']}", headers=ann)
    assert resp.status_code == 200 and resp.data == b"\xff\xd8 photo" and resp.mimetype == "image/jpeg"
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"{url}/{ids['clip']}", headers=ann).get_json()["error"] == "gone"
    other = f"/api/v1/tickets/{shop.other_ticket_number}/attachments/{ids['photo']}"
    ada = {"Authorization": f"Bearer {shop.tokens['ada']}"}
    assert client.get(other, headers=ada).status_code == 404  # a file belongs to its own ticket only
    bob = {"Authorization": f"Bearer {shop.tokens['bob']}"}
    assert client.get(f"{url}/{ids['photo']}", headers=bob).status_code in (403, 404)
    with container.session_factory() as s:
        downloads = s.scalars(select(AuditLog).where(AuditLog.action == "attachment_downloaded")).all()
        assert len(downloads) == 1 and downloads[0].object_id == str(ids["photo"])


def test_a_note_through_the_api_is_internal(client, container, shop) -> None:
    ann = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    resp = client.post(f"/api/v1/tickets/{shop.ticket_number}/notes", headers=ann, json={"body": "Call at noon."})
    assert resp.status_code == 201
    made = resp.get_json()
    assert made["kind"] == "note" and made["visibility"] == "internal" and made["body"] == "Call at noon."
    timeline = client.get(f"/api/v1/tickets/{shop.ticket_number}/timeline", headers=ann).get_json()["items"]
    assert ("note", made["id"]) in {(i["kind"], i["id"]) for i in timeline}
    empty = client.post(f"/api/v1/tickets/{shop.ticket_number}/notes", headers=ann, json={"body": "   "})
    assert empty.status_code == 422 and "body" in empty.get_json()["fields"]


@pytest.mark.parametrize("who, status", [("bob", 404), ("quinn", 403)])
def test_the_api_refuses_who_may_not(client, shop, who: str, status: int) -> None:
    headers = {"Authorization": f"Bearer {shop.tokens[who]}"}
    resp = client.post(f"/api/v1/tickets/{shop.ticket_number}/notes", headers=headers, json={"body": "x"})
    assert resp.status_code == status
    if who == "bob":
        assert client.get(f"/api/v1/tickets/{shop.ticket_number}/timeline", headers=headers).status_code == 404
