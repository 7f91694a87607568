"""``/contact`` through Flask's client: anonymous, CSRF-protected, errors in the visitor's language that keep
what they typed, the rate limit's page, and a 404 when the form is configured off."""
from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import func, select

from callcenter.models import Ticket

from .webtools import csrf_token

NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def _fields(client: Any, **kw: Any) -> dict[str, Any]:
    html = client.get("/contact").get_data(as_text=True)
    match = NONCE.search(html)
    assert match
    values = {"csrf_token": csrf_token(client, "/contact"), "nonce": match.group(1), "category": "technical",
              "name": "Wang Fang", "email": "wang@example.com", "phone": "",
              "description": "The router blinks red since this morning.", "website": ""}
    values.update(kw)
    return values


def _tickets(container: Any) -> int:
    with container.session_factory() as s:
        return s.scalar(select(func.count()).select_from(Ticket)) or 0


def test_an_anonymous_visitor_sends_the_form_and_sees_the_ticket_number(client, container) -> None:
    page = client.get("/contact")
    assert page.status_code == 200 and 'name="website"' in page.get_data(as_text=True)
    resp = client.post("/contact", data=_fields(client), content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'class="ticket-number"' in html
    with container.session_factory() as s:
        ticket = s.scalars(select(Ticket)).one()
    assert ticket.number in html and "acknowledgement is on its way" in html


def test_errors_are_in_the_visitors_language_next_to_their_fields_and_keep_what_was_typed(client, container) -> None:
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client, "/contact")})
    data = _fields(client, email="not an address", description="太短了", name="王芳",
                   attachments=(io.BytesIO(b"photo"), "router.jpg"))
    resp = client.post("/contact", data=data, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert '<p class="error" id="email-error">这不是一个可以联系的电子邮件地址。</p>' in html
    assert 'aria-describedby="contact-hint email-error" aria-invalid="true"' in html
    assert 'id="description-error">请用 10 到 5,000 个字符描述您的问题。' in html
    assert 'value="王芳"' in html and ">太短了</textarea>" in html and 'value="not an address"' in html
    assert "请重新选择您的文件。" in html and _tickets(container) == 0


def test_a_post_without_the_csrf_token_is_refused(client, container) -> None:
    data = _fields(client)
    del data["csrf_token"]
    assert client.post("/contact", data=data).status_code == 400
    assert _tickets(container) == 0


def test_the_rate_limit_has_its_own_page_in_the_visitors_language(client, container) -> None:
    container.settings.channels.webform.per_address_per_hour = 2
    for i in range(2):
        assert client.post("/contact", data=_fields(client, email=f"v{i}@example.com")).status_code == 200
    resp = client.post("/contact", data=_fields(client, email="v3@example.com"),
                       headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert resp.status_code == 429 and "来自您地址的留言过多" in resp.get_data(as_text=True)
    assert _tickets(container) == 2


def test_the_form_configured_off_is_not_there(client, container) -> None:
    token = csrf_token(client)
    container.settings.channels.webform.enabled = False
    assert client.get("/contact").status_code == 404
    assert client.post("/contact", data={"csrf_token": token}).status_code == 404
