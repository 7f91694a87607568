"""The API reference page shows every operation and schema of the OpenAPI document, in English and Chinese.

The test walks the document itself, so an endpoint added later is checked without anyone editing it.
"""
from __future__ import annotations

import html
import re

from flask_babel import force_locale, gettext

from web.api.reference import METHODS
from web.api.registry import document

from .deskdata import PASSWORD
from .webtools import sign_in


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start:page.index("</section>", start)]


def test_every_operation_and_schema_is_on_the_page(client) -> None:
    resp = client.get("/api-reference")  # public, like the document: no sign-in
    assert resp.status_code == 200
    page = html.unescape(resp.get_data(as_text=True))
    doc = document()
    operations = 0
    for path, item in doc["paths"].items():
        assert set(item) <= set(METHODS), path  # the page shows every method the document has
        for method, op in item.items():
            part = _section(page, op["operationId"])
            assert method.upper() in part and f"<code>{path}</code>" in part, (method, path)
            assert op["summary"] in part and f"<code>{op['x-scope']}</code>" in part, (method, path)
            for param in op.get("parameters", []):
                assert f"<code>{param['name']}</code>" in part, (method, path, param["name"])
            for code in op["responses"]:
                assert f"<code>{code}</code>" in part, (method, path, code)
            assert f'href="#{op["operationId"]}"' in page  # in the contents
            operations += 1
    assert operations >= 14  # the API of this start: none may go missing
    for name, schema in doc["components"]["schemas"].items():
        part = _section(page, f"schema-{name}")
        for prop in schema.get("properties", {}):
            assert f"<code>{prop}</code>" in part, (name, prop)
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None and "style=" not in page


def test_the_page_speaks_chinese(app, client) -> None:
    page = client.get("/api-reference", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    with app.test_request_context(), force_locale("zh"):
        for item in document()["paths"].values():
            for op in item.values():
                assert gettext(op["summary"]) != op["summary"], op["summary"]  # every summary is translated
                assert html.escape(gettext(op["summary"]), quote=False) in page
    assert "API 参考" in page and "入门" in page and "坐席" in page  # headings and role names


def test_admins_find_it_in_the_menu(app, shop) -> None:
    ada = app.test_client()
    sign_in(ada, "ada", PASSWORD)
    assert 'href="/admin/"' in ada.get("/admin/forms").get_data(as_text=True)  # the menu's one Administration link
    assert 'href="/api-reference"' in ada.get("/admin/").get_data(as_text=True)  # ... has the reference's card
    ann = app.test_client()
    sign_in(ann, "ann", PASSWORD)
    assert 'href="/api-reference"' not in ann.get("/").get_data(as_text=True)
