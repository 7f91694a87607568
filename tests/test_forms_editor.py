"""The forms editor: every problem on its line and in the admin's language, a preview that saves
nothing, versions that are audited, new forms from a template, forms taken out of use."""
from __future__ import annotations

import re
import tomllib

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.forms import catalog, editing
from callcenter.forms.checks import check
from callcenter.forms.lines import key_lines
from callcenter.i18n import Refusal
from callcenter.models import AuditLog, FormDefinition

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

SUPPORT = (catalog.DEFINITIONS / "support.toml").read_text(encoding="utf-8")


def _no_wrapup(text: str) -> str:
    """A text valid in the editor's terms (the shipped files may still carry wrap-up codes)."""
    return re.sub(r"(?ms)^wrapup_codes = \[.*?^\]\n", "", text)


VALID = _no_wrapup(SUPPORT)
# The support form as versions stored before wrap-up codes became the centre's own list carried it.
OLDER = VALID.replace('category = "support"', 'category = "support"\nwrapup_codes = [\n'
                      '  { value = "follow_up", label = "Needs follow-up" },\n]', 1)
ADMIN = Actor.system("test-admin")


def _line(text: str, needle: str, after: int = 0) -> int:
    """The 1-based line of the first ``needle`` at or after line ``after``."""
    for n, line in enumerate(text.splitlines(), 1):
        if n >= after and needle in line:
            return n
    raise AssertionError(needle)


def _problems(text: str, slug: str | None = None, editor: bool = False) -> list[tuple[int, str]]:
    return [(p.line, p.refusal.code) for p in check(text, slug=slug, editor=editor).problems]


def test_the_shipped_forms_and_the_editor_text_are_valid() -> None:
    assert check(VALID, slug="support", editor=True).problems == []
    for path in catalog.DEFINITIONS.glob("*.toml"):
        assert check(path.read_text(encoding="utf-8")).spec is not None, path


def test_a_toml_syntax_error_has_its_line_and_column() -> None:
    text = VALID.replace('label = "Product"', 'label = Product')
    [problem] = check(text).problems
    assert (problem.line, problem.column) == (_line(text, "label = Product"), len("label = ") + 1)
    assert problem.refusal.code == "toml" and "quotes" in str(problem.refusal)
    unclosed = check('slug = "x\n').problems[0]
    assert (unclosed.line, str(unclosed.refusal)) == (1, "A text is missing its closing quote.")


def test_schema_errors_point_at_the_key_at_fault() -> None:
    wrong_type = VALID.replace('type = "date"', 'type = "datum"')
    assert _problems(wrong_type) == [(_line(wrong_type, '"datum"'), "literal_error")]
    twice = VALID.replace('name = "account_number"', 'name = "subject"')
    assert _problems(twice) == [(_line(twice, 'name = "subject"', after=5 + _line(twice, 'name = "subject"')),
                                 "duplicate_field")]
    bad_prefill = VALID.replace('prefill = "caller.number"', 'prefill = "caller.shoe_size"')
    assert _problems(bad_prefill) == [(_line(bad_prefill, "caller.shoe_size"), "bad_prefill")]
    no_choices = VALID.replace('name = "account_number"', 'name = "account_number"\ntype = "choice"')
    assert _problems(no_choices) == [(_line(no_choices, "account_number") + 1, "no_choices")]
    unknown = VALID.replace('max_length = 40', 'max_lenght = 40')
    assert _problems(unknown) == [(_line(unknown, "max_lenght"), "extra_forbidden")]
    empty_label = VALID.replace('label = "Product"', 'label = ""')
    assert _problems(empty_label) == [(_line(empty_label, 'label = ""'), "string_too_short")]
    choice_twice = VALID.replace('{ value = "tv"', '{ value = "mobile"', 1)
    assert _problems(choice_twice) == [(_line(choice_twice, 'value = "mobile", label = "TV"'), "duplicate_choice")]


def test_the_editor_refuses_wrapup_codes_and_another_slug() -> None:
    problems = check(OLDER, slug="support", editor=True).problems
    assert [(p.line, p.refusal.code) for p in problems] == [(_line(OLDER, "wrapup_codes ="), "wrapup_codes")]
    assert "Administration › Wrap-up codes" in str(problems[0].refusal)
    assert check(OLDER).spec is not None  # stored versions and files still load
    moved = VALID.replace('slug = "support"', 'slug = "support2"')
    assert _problems(moved, slug="support", editor=True) == [(_line(moved, "support2"), "slug_changed")]


def test_several_problems_are_all_listed_in_line_order() -> None:
    text = 'slug = "Bad"\ntitle = ""\ncategory = "c"\ncolour = 1\n[[fields]]\nname = "x"\n'
    assert _problems(text) == [(1, "bad_slug"), (2, "string_too_short"), (4, "extra_forbidden"), (5, "missing")]


def test_an_overlong_text_is_refused_before_parsing() -> None:
    assert _problems("#" * 100_001) == [(1, "too_long")]


SCALARS = st.one_of(st.integers(-10**6, 10**6), st.booleans(), st.text(max_size=12),
                    st.floats(allow_nan=False, allow_infinity=False))
KEYS = st.text(st.sampled_from("abcxyz_-. 中"), min_size=1, max_size=5)
TABLES = st.recursive(st.dictionaries(KEYS, SCALARS, max_size=4),
                      lambda inner: st.dictionaries(KEYS, st.one_of(SCALARS, inner, st.lists(inner, max_size=3),
                                                                    st.lists(SCALARS, max_size=3)), max_size=4),
                      max_leaves=20)


def _paths(data: object, path: tuple[str | int, ...] = ()) -> set[tuple[str | int, ...]]:
    found = {path}
    if isinstance(data, dict):
        for key, value in data.items():
            found |= _paths(value, (*path, key))
    elif isinstance(data, list):
        for n, value in enumerate(data):
            found |= _paths(value, (*path, n))
    return found


@settings(max_examples=200, deadline=None)
@given(TABLES, st.booleans())
def test_every_key_of_any_toml_text_has_a_line(data: dict[str, object], multiline: bool) -> None:
    text = tomli_w.dumps(data, multiline_strings=multiline)
    assert tomllib.loads(text) == data
    lines = key_lines(text)
    assert _paths(data) <= set(lines)
    rows = text.split("\n")  # TOML's lines (str.splitlines would also break at \x85 and the like)
    for path, line in lines.items():
        assert 1 <= line <= len(rows), (path, line)
        if path and isinstance(path[-1], str):  # the line names the key: bare, or quoted with escapes
            assert path[-1] in rows[line - 1] or '"' in rows[line - 1], (path, line, rows[line - 1])


# -- the services, on both engines --

def _versions(session_factory, slug: str) -> list[int]:
    with session_factory() as s:
        return list(s.scalars(select(FormDefinition.version).where(FormDefinition.slug == slug)
                              .order_by(FormDefinition.version)))


def _audit(session_factory, action: str) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_save_keeps_the_text_and_makes_an_audited_version(session_factory) -> None:
    with transaction(session_factory) as s:
        catalog.sync_files(s)
        first = catalog.latest(s, "support")
        assert first is not None and first.source == SUPPORT
    commented = VALID.replace("[[fields]]", "# asked first\n[[fields]]", 1)
    with transaction(session_factory) as s:
        row = editing.save(s, "support", commented, ADMIN)
        assert row.version == 2
    assert _versions(session_factory, "support") == [1, 2]
    with session_factory() as s:
        old, new = (s.scalar(select(FormDefinition).where(FormDefinition.slug == "support",
                                                         FormDefinition.version == v)) for v in (1, 2))
        assert not old.is_active and old.source == SUPPORT  # old tickets keep their version, as it was
        assert new.is_active and catalog.to_toml(new) == commented and new.schema["wrapup_codes"] == []
    [audited] = [a for a in _audit(session_factory, "form_changed") if a.detail.get("source") == "ui"]
    assert audited.object_id == "support" and audited.detail["version"] == 2
    with transaction(session_factory) as s:
        assert editing.save(s, "support", commented, ADMIN).version == 2  # nothing changed: no version
    with pytest.raises(catalog.FormDefinitionError) as refused, transaction(session_factory) as s:
        editing.save(s, "support", OLDER, ADMIN)
    assert refused.value.problems[0].refusal.code == "wrapup_codes"
    assert _versions(session_factory, "support") == [1, 2]


def test_a_version_stored_without_its_text_is_shown_as_toml(session_factory) -> None:
    with transaction(session_factory) as s:
        catalog.sync_files(s)
        row = catalog.latest(s, "billing")
        assert row is not None
        row.source = None  # as versions stored before the text was kept
        text = catalog.to_toml(row)
    assert "wrapup_codes" not in text and "max_length = 500\n" not in text and "required = false" not in text
    assert check(text, slug="billing", editor=True).spec == catalog.spec_of(row).model_copy(update={"wrapup_codes": []})
    with transaction(session_factory) as s:
        catalog.sync_files(s)  # the next start: the same form, so no new version; it gains its text
    assert _versions(session_factory, "billing") == [1]
    with session_factory() as s:
        again = catalog.latest(s, "billing")
        assert again is not None and again.source == (catalog.DEFINITIONS / "billing.toml").read_text(encoding="utf-8")


def test_create_from_the_starter_or_a_copy(session_factory) -> None:
    with transaction(session_factory) as s:
        catalog.sync_files(s)
        new = editing.create(s, "complaints", "  Complaint  ", editing.STARTER, ADMIN)
        assert (new.version, new.is_active, new.title, new.category) == (1, False, "Complaint", "complaints")
        assert "# A new intake form" in catalog.to_toml(new)
        copy = editing.create(s, "sales_b2b", "Business sales", "sales", ADMIN)
        sales = catalog.latest(s, "sales")
        assert sales is not None and copy.schema["fields"] == sales.schema["fields"]
        assert copy.schema["wrapup_codes"] == [] and copy.category == "sales_b2b"
        assert "complaints" not in {f.slug for f in catalog.active_forms(s)}
    for slug, title, template, field in (("complaints", "Again", editing.STARTER, "slug"),
                                         ("Bad Slug", "x", "", "slug"), ("fine", " ", editing.STARTER, "title"),
                                         ("fine", "x", "nope", "template")):
        with pytest.raises(Refusal) as refused, transaction(session_factory) as s:
            editing.create(s, slug, title, template, ADMIN)
        assert refused.value.field == field
    assert [a.object_id for a in _audit(session_factory, "form_created")] == ["complaints", "sales_b2b"]


def test_deactivate_and_activate(session_factory) -> None:
    with transaction(session_factory) as s:
        catalog.sync_files(s)
        editing.set_active(s, "sales", False, ADMIN)
    with transaction(session_factory) as s:
        assert "sales" not in {f.slug for f in catalog.active_forms(s)}
        sales = catalog.latest(s, "sales")
        assert sales is not None
        editing.save(s, "sales", _no_wrapup(catalog.to_toml(sales)).replace("Sales enquiry", "Sales"), ADMIN)
        edited = catalog.latest(s, "sales")
        assert edited is not None and edited.version == 2 and not edited.is_active  # an edit does not put it back
        for slug in ("billing", "general"):
            editing.set_active(s, slug, False, ADMIN)
    with pytest.raises(Refusal) as refused, transaction(session_factory) as s:
        editing.set_active(s, "support", False, ADMIN)
    assert refused.value.code == "last_form"
    with transaction(session_factory) as s:
        editing.set_active(s, "sales", True, ADMIN)
        assert {f.slug for f in catalog.active_forms(s)} == {"sales", "support"}
    assert [a.object_id for a in _audit(session_factory, "form_deactivated")] == ["sales", "billing", "general"]
    assert [a.object_id for a in _audit(session_factory, "form_activated")] == ["sales"]


# -- the pages --

def _editor(app):
    ada = app.test_client()
    sign_in(ada, "ada", PASSWORD)
    return ada, csrf_token(ada, "/admin/forms/support")


def test_preview_checks_and_renders_without_saving(app, shop, session_factory) -> None:
    ada, token = _editor(app)
    before = _versions(session_factory, "support")
    url = "/admin/forms/support/preview"
    good = ada.post(url, json={"definition": VALID.replace("Account number", "Contract number")},
                    headers={"X-CSRFToken": token})
    assert good.status_code == 200 and good.json["valid"]
    assert 'for="f-account_number">Contract number' in good.json["preview"]
    zh = ada.post(url, json={"definition": VALID, "lang": "zh"}, headers={"X-CSRFToken": token})
    assert "故障现象及已尝试的操作" in zh.json["preview"] and 'title="必填"' in zh.json["preview"]
    bad = ada.post(url, json={"definition": VALID.replace('type = "date"', 'type = "datum"')},
                   headers={"X-CSRFToken": token})
    assert bad.status_code == 200 and not bad.json["valid"] and "preview" not in bad.json
    assert bad.json["problems"] == [{"line": _line(VALID, 'type = "date"'), "column": None,
                                     "message": "type must be one of 'text', 'textarea', 'choice', 'multichoice', "
                                                "'number', 'date', 'phone', 'email', 'checkbox'."}]
    for odd in ([VALID], {"definition": ["x"]}, "text"):  # not what the script sends: checked as an empty text
        answer = ada.post(url, json=odd, headers={"X-CSRFToken": token})
        assert answer.status_code == 200 and not answer.json["valid"], odd
    assert ada.post(url, json={"definition": VALID}).status_code == 400  # no CSRF header
    assert _versions(session_factory, "support") == before


def test_problems_are_said_in_the_admins_language(app, shop) -> None:
    ada, token = _editor(app)
    ada.post("/language", data={"lang": "zh", "csrf_token": token})
    bad = ada.post("/admin/forms/support/preview", json={"definition": OLDER}, headers={"X-CSRFToken": token})
    [problem] = bad.json["problems"]
    assert problem["line"] == _line(OLDER, "wrapup_codes") and "管理 › 结束代码" in problem["message"]


def test_save_from_the_page(app, shop, session_factory) -> None:
    ada, token = _editor(app)
    page = ada.get("/admin/forms/support").get_data(as_text=True)
    assert 'class="gutter"' in page and "name = &#34;subject&#34;" in page  # the file's text, as written
    broken = VALID.replace("[[fields]]", "[[fields]", 1)
    refused = ada.post("/admin/forms/support", data={"csrf_token": token, "definition": broken})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert f'<li data-line="{_line(VALID, "[[fields]]")}"' in html and "Expected ]] to close" in html
    assert _versions(session_factory, "support") == [1]
    changed = VALID.replace("[[fields]]", "# asked first\n[[fields]]", 1)
    saved = ada.post("/admin/forms/support", data={"csrf_token": token, "definition": changed})
    assert saved.status_code == 303 and _versions(session_factory, "support") == [1, 2]
    assert "Saved as version 2." in ada.get("/admin/forms/support").get_data(as_text=True)


def test_new_form_and_deactivate_from_the_pages(app, shop, session_factory) -> None:
    ada, token = _editor(app)
    bad = ada.post("/admin/forms", data={"csrf_token": token, "slug": "support", "title": "Again"})
    assert bad.status_code == 400 and "A form support exists already." in bad.get_data(as_text=True)
    assert 'value="Again"' in bad.get_data(as_text=True)  # what was typed stays
    made = ada.post("/admin/forms", data={"csrf_token": token, "slug": "complaints", "title": "Complaints",
                                          "template": editing.STARTER})
    assert made.status_code == 303 and made.headers["Location"].endswith("/admin/forms/complaints")
    assert "not in use" in ada.get("/admin/forms").get_data(as_text=True)
    assert ada.post("/admin/forms/complaints/active", data={"csrf_token": token, "active": "1"}).status_code == 303
    assert ada.post("/admin/forms/sales/active", data={"csrf_token": token, "active": "0"}).status_code == 303
    with session_factory() as s:
        active = {f.slug for f in catalog.active_forms(s)}
        assert "complaints" in active and "sales" not in active
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("form_%activated"))) == 2
    assert ada.post("/admin/forms/nope/active", data={"csrf_token": token, "active": "0"}).status_code == 404
