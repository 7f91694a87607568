"""Articles in and out of files: JSON (categories and articles) or CSV (one article a line).

Everything goes through ``Articles``, so an imported article is checked,
revised, audited and indexed exactly like one typed in the editor.  An
article whose ``code`` already exists is updated (a new revision only if
its text, category, product or tags changed; questions it lacks are
added), so exporting, editing the file and importing it again is safe.
Each article is tried in its own savepoint: one pass reports every bad
one, and the caller commits only when none failed.

JSON::

    {"categories": [{"key": "billing", "name_en": "Billing", "name_zh": "账单",
                     "threshold": 0.75, "auto_reply": true}],
     "articles": [{"code": "1001", "category": "billing", "product": "fibre",
                   "tags": ["invoice"], "status": "published",
                   "en": {"title": "...", "body": "...", "short": "...", "questions": ["...", "..."]},
                   "zh": {"title": "...", "body": "...", "short": "...", "questions": ["..."]}}]}

(a bare list is a list of articles).  CSV columns (a header line; any
order; empty cells allowed): ``code, category, product, tags, status,
title_en, body_en, short_en, questions_en, title_zh, body_zh, short_zh,
questions_zh``; tags are separated by spaces or commas, questions by line
breaks inside the cell (or by ``|`` when the cell has none).
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import LOCALES, Article, ArticleStatus, KnowledgeCategory, VariantStatus
from ..reporting.exports import FORMULA_STARTS, csv_text
from .articles import Articles, KnowledgeError, VersionText

MAX_BYTES = 50 * 1024 * 1024
CODE = re.compile(r"^\d{1,20}$")
TEXT_FIELDS = ("title", "body", "short")
COLUMNS = ("code", "category", "product", "tags", "status", *(f"{f}_{loc}" for loc in LOCALES
                                                              for f in (*TEXT_FIELDS, "questions")))
STATUSES = {s.value: s for s in ArticleStatus}


@dataclass(frozen=True)
class Category:
    key: str
    name_en: str
    name_zh: str = ""
    threshold: float | None = None
    auto_reply: bool = True


@dataclass
class Item:
    """One article as the file has it; ``where`` names it in messages ("line 3", "article 2")."""

    where: str
    code: str = ""
    category: str | None = None
    product: str = ""
    tags: list[str] = field(default_factory=list)
    status: ArticleStatus = ArticleStatus.DRAFT
    versions: dict[str, VersionText] = field(default_factory=dict)
    questions: list[tuple[str, str]] = field(default_factory=list)  # (locale, text)


@dataclass(frozen=True)
class Outcome:
    where: str
    code: str
    action: str  # created, updated, unchanged, error
    error: str = ""


@dataclass(frozen=True)
class Parsed:
    categories: list[Category]
    items: list[Item]


def _refuse(template: str, **params: Any) -> KnowledgeError:
    return KnowledgeError(template, field="file", code="bad_file", **params)


# -- reading ------------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 as Chinese Windows saves it."""
    if len(data) > MAX_BYTES:
        raise _refuse(N_("The file is larger than %(size)s: split it."), size=f"{MAX_BYTES // 1024 // 1024} MB")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse(N_("The file is not in %(encoding)s: save it as “CSV UTF-8”, or choose its encoding."),
                  encoding="UTF-8 / GB18030")


def parse(data: bytes, name: str) -> Parsed:
    """A JSON file (by its name or its first character) or a CSV file, read into categories and articles."""
    text = decode(data)
    if name.lower().endswith(".json") or text.lstrip()[:1] in ("{", "["):
        return _from_json(text)
    return Parsed([], _from_csv(text))


def _from_json(text: str) -> Parsed:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(N_("Not valid JSON: %(why)s."), why=f"{exc.msg} (line {exc.lineno})") from None
    if isinstance(doc, list):
        doc = {"articles": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("articles", []), list) \
            or not isinstance(doc.get("categories", []), list):
        raise _refuse(N_("The JSON must be a list of articles, or an object with the lists \"categories\" and "
                         "\"articles\"."))
    categories = [_category(n, c) for n, c in enumerate(doc.get("categories", []), start=1)]
    items = []
    for number, raw in enumerate(doc.get("articles", []), start=1):
        where = f"article {number}"
        if not isinstance(raw, dict):
            raise _refuse(N_("%(where)s is not an object."), where=where)
        versions = {loc: raw[loc] for loc in LOCALES if isinstance(raw.get(loc), dict)}
        questions = [(loc, str(q)) for loc, v in versions.items() for q in _list(v.get("questions"))]
        items.append(_item(where, raw, {loc: {f: str(v.get(f) or "") for f in TEXT_FIELDS}
                                        for loc, v in versions.items()}, raw.get("tags"), questions))
    return Parsed(categories, items)


def _category(number: int, raw: Any) -> Category:
    if not isinstance(raw, dict) or not raw.get("key"):
        raise _refuse(N_("Category %(n)s needs at least a key and an English name."), n=number)
    threshold = raw.get("threshold")
    if threshold is not None and not isinstance(threshold, (int, float)):
        raise _refuse(N_("Category %(n)s: the threshold is a number between 0 and 1."), n=number)
    return Category(str(raw["key"]), str(raw.get("name_en") or raw["key"]), str(raw.get("name_zh") or ""),
                    None if threshold is None else float(threshold), bool(raw.get("auto_reply", True)))


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def _from_csv(text: str) -> list[Item]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if not header or unknown:
        raise _refuse(N_("Unknown columns: %(names)s. The columns are %(known)s."),
                      names=", ".join(unknown) or "-", known=", ".join(COLUMNS))
    reader.fieldnames = header
    items = []
    for row in reader:
        cells = {k: _cell(v) for k, v in row.items() if k in COLUMNS}
        if not any(cells.values()):
            continue
        versions = {loc: {f: cells.get(f"{f}_{loc}", "") for f in TEXT_FIELDS} for loc in LOCALES
                    if any(cells.get(f"{f}_{loc}") for f in (*TEXT_FIELDS, "questions"))}
        questions = [(loc, q) for loc in LOCALES for q in _questions(cells.get(f"questions_{loc}", ""))]
        items.append(_item(f"line {reader.line_num}", cells, versions, cells.get("tags", ""), questions))
    return items


def _cell(value: str | None) -> str:
    """A cell as typed: the apostrophe our exports put before a would-be formula (``reporting.exports``) goes."""
    value = (value or "").strip()
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_STARTS and value[1:2] else value


def _questions(cell: str) -> list[str]:
    parts = cell.splitlines() if "\n" in cell or "\r" in cell else cell.split("|")
    return [p.strip() for p in parts if p.strip()]


def _item(where: str, raw: Mapping[str, Any], versions: Mapping[str, Mapping[str, str]], tags: Any,
          questions: list[tuple[str, str]]) -> Item:
    status = str(raw.get("status") or "draft").strip().lower()
    if status not in STATUSES:
        raise _refuse(N_("%(where)s: the status is draft, published or archived."), where=where)
    tag_list = re.split(r"[\s,;]+", tags) if isinstance(tags, str) else _list(tags)
    return Item(where=where, code=str(raw.get("code") or "").strip(), category=str(raw.get("category") or "") or None,
                product=str(raw.get("product") or ""), tags=[t for t in tag_list if t], status=STATUSES[status],
                versions={loc: VersionText(v.get("title", ""), v.get("body", ""), v.get("short", ""))
                          for loc, v in versions.items()},
                questions=list(dict.fromkeys(questions)))


# -- storing ------------------------------------------------------------------------------------------
def apply(session: Session, service: Articles, actor: Actor, parsed: Parsed,
          progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """Categories, then each article in its own savepoint; the caller commits (or rolls back)."""
    outcomes = []
    for number, category in enumerate(parsed.categories, start=1):
        try:
            with session.begin_nested():
                service.save_category(session, actor, key=category.key, name_en=category.name_en,
                                      name_zh=category.name_zh, threshold=category.threshold,
                                      auto_reply=category.auto_reply)
        except Refusal as exc:
            outcomes.append(Outcome(f"category {number}", category.key, "error", _why(exc)))
    # Articles with a code first: a new article's code (the highest so far + 1) then never takes one the
    # file gives to another article.
    done: dict[int, Outcome] = {}
    for index in sorted(range(len(parsed.items)), key=lambda i: not parsed.items[i].code):
        item = parsed.items[index]
        try:
            with session.begin_nested():
                done[index] = _one(session, service, actor, item)
        except Refusal as exc:
            done[index] = Outcome(item.where, item.code, "error", _why(exc))
        if progress is not None:
            progress(1)
    outcomes += [done[i] for i in range(len(parsed.items))]
    counted = {a: sum(o.action == a for o in outcomes) for a in ("created", "updated", "unchanged", "error")}
    audit.record(session, "knowledge_imported", actor, object_type="article", categories=len(parsed.categories),
                 counts=counted)
    return outcomes


def _why(exc: Refusal) -> str:
    """The refusal in English, with the field it is about ("title_zh: ...")."""
    return f"{exc.field}: {exc}" if exc.field else str(exc)


def _one(session: Session, service: Articles, actor: Actor, item: Item) -> Outcome:
    if item.code and not CODE.match(item.code):
        raise KnowledgeError(N_("An article code is 1-20 digits."), field="code", code="bad_code")
    found = session.scalar(select(Article).where(Article.code == item.code)) if item.code else None
    if found is None:
        article = service.create(session, actor, versions=item.versions, category=item.category,
                                 product=item.product, tags=item.tags, variants=item.questions,
                                 publish=item.status is ArticleStatus.PUBLISHED, note="imported")
        if item.code:
            article.code = item.code
        if item.status is ArticleStatus.ARCHIVED:
            service.set_status(session, actor, article.id, item.status)
        session.flush()
        return Outcome(item.where, article.code, "created")
    changed = False
    if found.status is not item.status and found.status is ArticleStatus.PUBLISHED:
        service.set_status(session, actor, found.id, item.status)  # out of print first: a draft may lack a short
        changed = True
    if _differs(found, item):
        service.save(session, actor, found.id, versions=item.versions, category=item.category, product=item.product,
                     tags=item.tags, note="imported")
        changed = True
    have = {(v.locale, v.text.casefold()) for v in found.variants if v.status is VariantStatus.APPROVED}
    for locale, text in item.questions:
        if (locale, " ".join(text.split()).casefold()) not in have:
            service.add_variant(session, actor, found.id, locale, text)
            changed = True
    if found.status is not item.status:
        service.set_status(session, actor, found.id, item.status)
        changed = True
    return Outcome(item.where, found.code, "updated" if changed else "unchanged")


def _differs(article: Article, item: Item) -> bool:
    now = {v.locale: VersionText(v.title, v.body, v.short) for v in article.versions}
    key = article.category.key if article.category else None
    wanted = (item.category or "").strip().lower() or None
    return (now != {loc: VersionText(" ".join(t.title.split()), t.body.replace("\x00", "").strip(),
                                     " ".join(t.short.split())) for loc, t in item.versions.items()}
            or key != wanted
            or article.product != " ".join(item.product.split())
            or sorted(article.tags) != sorted({t.strip().casefold() for t in item.tags if t.strip()}))


# -- writing ------------------------------------------------------------------------------------------
def dump(session: Session, statuses: Iterable[ArticleStatus] = tuple(ArticleStatus)) -> dict[str, Any]:
    """Every category and every article of these statuses, in the JSON format above (approved questions only)."""
    categories = [{"key": c.key, "name_en": c.name_en, "name_zh": c.name_zh, "threshold": c.threshold,
                   "auto_reply": c.auto_reply}
                  for c in session.scalars(select(KnowledgeCategory).order_by(KnowledgeCategory.key))]
    articles = []
    for article in session.scalars(select(Article).where(Article.status.in_(list(statuses))).order_by(Article.id)):
        entry: dict[str, Any] = {"code": article.code, "category": article.category.key if article.category else "",
                                 "product": article.product, "tags": list(article.tags),
                                 "status": article.status.value}
        for version in article.versions:
            entry[version.locale] = {"title": version.title, "body": version.body, "short": version.short,
                                     "questions": [v.text for v in article.variants if v.locale == version.locale
                                                   and v.status is VariantStatus.APPROVED]}
        articles.append(entry)
    return {"categories": categories, "articles": articles}


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def to_csv(doc: Mapping[str, Any]) -> str:
    """The articles one a line (categories are not in a CSV: they are set up first, or with JSON)."""
    rows = []
    for entry in doc["articles"]:
        row: list[Any] = [entry["code"], entry["category"], entry["product"], " ".join(entry["tags"]),
                          entry["status"]]
        for locale in LOCALES:
            version = entry.get(locale) or {}
            row += [version.get("title", ""), version.get("body", ""), version.get("short", ""),
                    "\n".join(version.get("questions", []))]
        rows.append(row)
    return csv_text(COLUMNS, rows)
