"""The whole UI in Chinese: stored codes by their labels, refusals, system notes, CSV headers, the e-mail.

Each test reads what a person would read, in both languages, from the real
services and pages (SQLite and PostgreSQL).
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.background.worker import BackgroundWorker
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.dispatch.assigner import Assigner
from callcenter.forms import catalog
from callcenter.forms.validate import FormErrors, clean
from callcenter.i18n import N_, Message, Refusal, at, coded, say_later
from callcenter.models import Call, Queue, Ticket, TicketChange, TicketNote, User
from callcenter.reporting import daily
from callcenter.reporting import mail as summary_mail
from callcenter.tickets import export
from tests import deskdata
from tests.deskdata import PASSWORD
from tests.webtools import csrf_token, sign_in
from web import audit_labels, labels, messages

ZONE = "Asia/Shanghai"  # eight hours ahead of UTC: a time shown in UTC would be caught


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(instance_dir=tmp_path / "instance", database={"url": db_url}, lab={"enabled": False},
                    web={"secret_key": "test-secret-key", "port": 0}, recordings={"dir": tmp_path / "recordings"},
                    timezone=ZONE)


def _names(container) -> None:
    with transaction(container.session_factory) as s:
        catalog.sync_files(s)
        for queue in s.scalars(select(Queue)):
            queue.display_name, queue.display_name_zh = {"support": ("Technical support", "技术支持"),
                                                         "sales": ("Sales", "销售")}[queue.name]


def _client(app, who: str, lang: str):
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    client.post("/language", data={"lang": lang, "csrf_token": csrf_token(client, "/")})
    return client


def _ticket(container, number: str) -> int:
    with container.session_factory() as s:
        found: int = s.scalars(select(Ticket.id).where(Ticket.number == number)).one()
        return found


# -- labels ----------------------------------------------------------------------------------------
def test_stored_codes_read_as_labels_in_each_language(app, shop, container) -> None:
    _names(container)
    ivr = {"path": "queue", "keys": ["2", "1"], "category": "support", "language": "zh", "vip": "gold",
           "survey_optin": "1", "timed_out": False}
    seen = {}
    for lang in ("en", "zh"):
        with app.test_request_context(), force_locale(lang):
            seen[lang] = (labels.category("support"), labels.category("sales"), labels.queue("support"),
                          labels.queue(99999), labels.code("vip", "gold"),
                          labels.code("disposition", "callback_requested"),
                          labels.wrapup("wrong_number"), labels.code("language", "zh"), labels.ivr_lines(ivr),
                          audit_labels.actor("dispatcher"), labels.code("audit_action", "ticket_created"))
    assert seen["en"][:9] == ("Technical support", "Sales enquiry", "Technical support", "99999", "Gold",
                              "Callback requested", "Wrong number", "简体中文",
                              [("Menu", "Queue"), ("Keys pressed", "2 › 1"), ("Category", "Technical support"),
                               ("Language", "简体中文"), ("VIP", "Gold"), ("Survey", "yes")])
    assert seen["zh"][:9] == ("技术支持", "销售咨询", "技术支持", "99999", "金卡", "请求回拨", "打错电话", "简体中文",
                              [("菜单", "队列"), ("按键", "2 › 1"), ("类别", "技术支持"), ("语言", "简体中文"),
                               ("VIP", "金卡"), ("满意度调查", "是")])
    assert seen["zh"][9:] == ("调度程序", "已创建工单") and seen["en"][9:] == ("dispatcher", "Ticket created")
    with app.test_request_context(), force_locale("zh"):
        assert labels.category("no_such_category") == "No such category"  # no name anywhere: readable, not hidden


def test_ticket_page_in_chinese_shows_labels_not_codes(app, shop, container) -> None:
    _names(container)
    with transaction(container.session_factory) as s:
        call = s.get(Call, shop.call_id)
        assert call is not None
        call.ivr = {"path": "queue", "keys": ["1"], "category": "support", "language": "zh"}
        call.ticket_id = s.scalars(select(Ticket.id).where(Ticket.number == shop.ticket_number)).one()
    html = _client(app, "ann", "zh").get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    for shown in ("技术支持", "金卡", "已接听", "菜单", "队列", "简体中文", "双方"):
        assert shown in html, shown
    for raw in ("gold", "answered", "path:", "category:", "mixed"):
        assert raw not in html, raw


# -- refusals ----------------------------------------------------------------------------------------
def test_form_validation_is_said_in_the_readers_language(app) -> None:
    spec = catalog.parse((catalog.DEFINITIONS / "support.toml").read_text(encoding="utf-8"))
    with pytest.raises(FormErrors) as caught:
        clean(spec, {"contact_number": "not a number", "subject": "x" * 1000})
    errors = caught.value.errors
    assert all(isinstance(e, Refusal) for e in errors.values())
    assert str(errors["contact_number"]) == "not a phone number"  # the API's English ``fields``
    product, subject = errors["product"], errors["subject"]
    assert isinstance(product, Refusal) and isinstance(subject, Refusal)
    assert product.code == "required" and subject.params == {"n": 200}
    with app.test_request_context(), force_locale("zh"):
        said = messages.field_errors(errors)
    assert said["contact_number"] == "不是电话号码" and said["product"] == "必填"
    assert said["subject"] == "最多 200 个字符"


def test_service_refusals_on_pages_are_in_chinese(app, shop) -> None:
    client = _client(app, "ann", "zh")
    token = csrf_token(client, f"/tickets/{shop.ticket_number}")
    page = client.post(f"/tickets/{shop.ticket_number}/notes", data={"body": "  ", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "备注不能为空。" in page and "a note needs some text" not in page.lower()
    quinn = _client(app, "quinn", "zh")
    page = quinn.post("/qa/rules", data={"name": "", "phrases": "refund", "tag": "refund",
                                         "csrf_token": csrf_token(quinn, "/qa/rules")}).get_data(as_text=True)
    assert "名称须为 1-80 个字符。" in page
    page = quinn.post("/qa/scorecards", data={"slug": "basic", "title": "Basic", "items": "greeting | Hi",
                                              "csrf_token": csrf_token(quinn, "/qa/scorecards")}).get_data(as_text=True)
    assert "请写成“键 | 名称 | 权重 [| 一票否决]”" in page


def test_the_chinese_fail_all_word_works_in_the_scorecard_editor(app, shop) -> None:
    quinn = _client(app, "quinn", "zh")
    resp = quinn.post("/qa/scorecards", data={"slug": "basic", "title": "Basic",
                                              "items": "chenghu | 称呼 | 1\nshenfen | 核实身份 | 2 | 一票否决",
                                              "csrf_token": csrf_token(quinn, "/qa/scorecards")})
    assert resp.status_code == 303
    assert "一票否决" in quinn.get("/qa/scorecards/basic").get_data(as_text=True)


def test_wrong_password_is_said_in_chinese(app, shop) -> None:
    client = _client(app, "sue", "zh")
    page = client.post("/auth/password", data={"current": "not-the-password", "new": "another-one-1",
                                                "confirm": "another-one-1",
                                                "csrf_token": csrf_token(client, "/auth/password")})
    assert page.status_code == 400 and "当前密码不正确。" in page.get_data(as_text=True)


def test_sign_in_form_errors_are_chinese(app, shop) -> None:
    client = app.test_client()
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client)})
    page = client.post("/auth/login", data={"csrf_token": csrf_token(client)}).get_data(as_text=True)
    assert "该字段是必填字段。" in page and "This field is required" not in page  # WTForms' own catalogue


def test_too_many_requests_page_from_the_rate_limiter_is_chinese(app, shop) -> None:
    from web.extensions import limiter

    client = app.test_client()
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client)})
    form = {"csrf_token": csrf_token(client)}  # past the CSRF check: the limiter counts what it lets through
    away = {"REMOTE_ADDR": "10.99.0.1"}  # an address of its own: no other test shares its count
    try:
        statuses = {client.post("/auth/login", data=form, environ_base=away).status_code for _ in range(1001)}
        resp = client.post("/auth/login", data=form, environ_base=away)
    finally:
        limiter.reset()
    assert 429 in statuses and resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert 'id="error-429"' in html and "请求过于频繁" in html and 'class="topbar"' in html


# -- system notes and the history's reasons ------------------------------------------------------------
def test_system_notes_and_reasons_are_read_in_chinese_at_the_centres_time(app, shop, container) -> None:
    _names(container)
    tid = _ticket(container, shop.ticket_number)
    due = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)  # 17:30 in Shanghai
    with transaction(container.session_factory) as s:
        ticket = s.get(Ticket, tid)
        container.callbacks.request(s, "+12025550143", source="agent", ticket_id=tid, due_at=due)
        agents = frozenset(s.scalars(select(User.id).where(User.role == "agent")))
        Assigner(container.settings.dispatch.assignment, container.tickets).assign(
            s, tid, due, exclude=agents, why=Message(N_("not accepted within %(minutes)s min"), {"minutes": 15}))
        container.tickets.change(s, ticket, Actor.system("dispatcher"), priority="high",
                                 reason=say_later(N_("priority raised to %(priority)s"),
                                                  priority=coded("priority", "high")))
    with container.session_factory() as s:
        note = s.scalars(select(TicketNote).where(TicketNote.ticket_id == tid, TicketNote.template.is_not(None))).one()
        moved = s.scalars(select(TicketChange).where(TicketChange.ticket_id == tid,
                                                     TicketChange.field == "assignee_id")).all()[-1]
    # The English text is kept beside the template for the API and exports, as before.
    assert note.body.startswith("Callback promised to +12025550143 at 2026-11-26T09:30:00+00:00 (agent)")
    assert note.params["due"] == at(due) and moved.reason.startswith("dispatcher (supervisor): not accepted within")
    zh = _client(app, "ann", "zh").get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert "已承诺在 2026年11月26日 17:30 回拨 +1 202-555-0143（坐席承诺）" in zh
    assert "调度程序（主管）：15 分钟内未被接手：没有尚有余量的空闲坐席；后备团队无人空闲；交给主管" in zh
    assert "优先级已提高为高" in zh and "2026-11-26T" not in zh
    en = _client(app, "ann", "en").get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert "Callback promised to +1 202-555-0143 at Nov 26, 2026 17:30 (Promised by an agent)" in en


def test_a_failed_background_job_says_why_in_chinese(app, shop, container) -> None:
    from callcenter.background import jobs

    with transaction(container.session_factory) as s:
        sue = s.scalars(select(User).where(User.username == "sue")).one()
        job_id = jobs.submit(s, Actor.of(sue), "no_such_kind", {}, "x").id
    assert BackgroundWorker(container.session_factory, {}).run_once()
    page = html.unescape(_client(app, "sue", "zh").get(f"/jobs/{job_id}").get_data(as_text=True))
    assert "失败：没有处理 'no_such_kind' 类任务的程序。" in page


# -- CSV headers -----------------------------------------------------------------------------------------
def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_headers_are_in_the_requesters_language(app, shop, container) -> None:
    for lang, first in (("en", ["Number", "Subject", "Status"]), ("zh", ["编号", "主题", "状态"])):
        client = _client(app, "sue", lang)
        rows = _rows(client.post("/tickets/export", data={"csrf_token": csrf_token(client, "/tickets/")})
                     .get_data(as_text=True))
        assert rows[0][:3] == first and len(rows[0]) == len(export.HEADER)
        assert rows[1][2] in ("new", "open")  # values stay machine-readable codes
        trend = _rows(client.get(f"/qa/agents/{shop.users['ann']}.csv").get_data(as_text=True))
        assert trend[0][0] == {"en": "Reviewed", "zh": "评审时间"}[lang]


def test_a_background_export_writes_the_header_in_the_language_it_was_asked_in(app, shop, container,
                                                                              tmp_path) -> None:
    container.settings.background.inline_export_rows = 0  # every export is a job
    client = _client(app, "sue", "zh")
    job = client.post("/tickets/export", data={"csrf_token": csrf_token(client, "/tickets/")})
    assert job.status_code == 303
    worker = BackgroundWorker(container.session_factory, {
        export.KIND: lambda work: export.run(work, container.settings.exports_dir(), 100)})
    assert worker.run_once()
    download = client.get(job.headers["Location"].rstrip("/") + "/download")
    assert _rows(download.get_data(as_text=True))[0] == export.header("zh") == \
        ["编号", "主题", "状态", "优先级", "类别", "队列", "处理人", "客户编号", "创建时间", "更新时间"]


# -- the daily summary e-mail ------------------------------------------------------------------------------
def test_the_daily_summary_mail_in_chinese(shop, container) -> None:
    _names(container)
    with container.session_factory() as s:
        built = daily.build(s, deskdata.T0.date(), ZONE)
    zh = summary_mail.message(built, "zh", "cc@example.com", "sam@example.com")
    en = summary_mail.message(built, "en", "cc@example.com", "sue@example.com")
    assert zh["Subject"] == "每日摘要 2026年11月23日" and zh["Content-Language"] == "zh-CN"
    assert en["Subject"] == "Daily summary Nov 23, 2026"
    for part in (_body(zh, "html"), _body(zh, "plain")):
        assert "全中心" in part and "技术支持" in part and "销售" in part and "服务水平" in part
        assert "2026-11-23" not in part and "Technical support" not in part
    assert "Technical support" in _body(en, "html")


def _body(message: Any, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    text: str = part.get_content()
    return text
