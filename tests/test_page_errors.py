"""Finding 10 (pages): error pages in the user's language with the site navigation; bad filters never a 500."""
from __future__ import annotations

import pytest

from tests.deskdata import PASSWORD
from tests.webtools import csrf_token, sign_in

BIG = "1" * 30


def signed(app, who: str, lang: str | None = None):
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    if lang:
        client.post("/language", data={"lang": lang, "csrf_token": csrf_token(client, "/")})
    return client


def _page(resp, status: int) -> str:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "text/html"
    html: str = resp.get_data(as_text=True)
    assert f'id="error-{status}"' in html and 'class="topbar"' in html, html[:500]
    assert "Werkzeug" not in html and "<title>404 Not Found</title>" not in html
    return html


def test_unknown_page_is_a_404_page_with_the_navigation(app, shop) -> None:
    html = _page(signed(app, "sue").get("/no/such/page"), 404)
    assert "Page not found" in html and 'href="/tickets/"' in html


def test_error_pages_speak_chinese(app, shop) -> None:
    client = signed(app, "sue", "zh")
    assert "页面不存在" in _page(client.get("/no/such/page"), 404)
    assert "不允许" in _page(client.get("/auth/logout"), 405)
    assert "请求有误" in _page(client.post("/auth/logout"), 400)  # no CSRF token
    assert "拒绝" in _page(signed(app, "ann", "zh").get("/reports/"), 403)
    assert "忽略" in client.get(f"/tickets/?queue={BIG}").get_data(as_text=True)


def test_403_405_and_400_pages(app, shop) -> None:
    _page(signed(app, "ann").get("/reports/"), 403)
    _page(signed(app, "ann").get("/auth/logout"), 405)
    _page(signed(app, "ann").post("/auth/logout"), 400)


def test_huge_ids_in_page_paths_are_404_pages(app, shop) -> None:
    client = signed(app, "ada")
    for url in (f"/tickets/{BIG}", f"/qa/calls/{BIG}", f"/recordings/{BIG}", f"/desk/calls/{BIG}/form",
                f"/admin/erasure/{BIG}"):
        assert client.get(url).status_code == 404, url


def test_500_is_a_page_not_a_traceback(app, shop, monkeypatch: pytest.MonkeyPatch) -> None:
    from web.main import homes

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom-secret-detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(homes, "render_template", boom)
    html = _page(signed(app, "sue").get("/"), 500)
    assert "boom-secret-detail" not in html


BAD_FILTERS = [
    f"/tickets/?queue={BIG}", f"/tickets/?assignee={BIG}", "/tickets/?assignee=%C2%B2", f"/tickets/?page={BIG}",
    "/tickets/?from=0000-01-01&to=9999-12-31", "/tickets/?status=cosmic&priority=cosmic&sla=cosmic",
    "/tickets/?category=a%00b&q=a%00b", "/tickets/?_method=POST",
    "/review/?day=9999-12-31", "/review/?day=0000-01-01", "/review/?day=2026-02-30",
    f"/reports/?from=9999-12-31&to=0000-01-01&queue={BIG}&team={BIG}&agent={BIG}",
    "/reports/?queue=%C2%B2&team=x", f"/reports/export/csat_agent.csv?from=9999-12-31&agent={BIG}",
    f"/qa/?q=cancel&agent={BIG}&offset={BIG}&from=9999-12-31", "/qa/?q=a%00b&tag=%00",
    "/admin/audit?action=a%00b&actor=%00", "/admin/erasure?q=a%00b",
    "/wallboard/?x=%00", "/desk/?queue=" + BIG, "/desk/calls/{call}/form?form=a%00b&category=%00",
]


@pytest.mark.parametrize("url", BAD_FILTERS)
def test_bad_page_filters_are_ignored_never_a_500(app, shop, url: str) -> None:
    resp = signed(app, "ada").get(url.format(call=shop.call_id))
    assert resp.status_code in (200, 400, 404), (url, resp.status_code)  # 404: no form of that name


def test_an_ignored_filter_is_said_on_the_page(app, shop) -> None:
    html = signed(app, "sue").get(f"/tickets/?queue={BIG}&from=9999-12-31").get_data(as_text=True)
    assert "“queue”" in html and "“from”" in html and "ignored" in html
