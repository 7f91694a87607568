"""The article editor's form: what was typed, read into the service's arguments, and shown again as typed.

Plain ``request.form`` reading (the admin pages' way): the service checks
every value and names the field at fault, so the page shows its refusal
beside that field and keeps everything else the author typed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from callcenter.knowledge.articles import MAX_BODY, MAX_TITLE, MAX_VARIANT, VersionText
from callcenter.models import LOCALES, Article, VariantStatus

TEXTS = ("title", "body", "short")
LIMITS = {"title": MAX_TITLE * 2, "body": MAX_BODY + 1000, "short": 2000}
ACTIONS = ("save", "preview", "publish")
MAX_ROWS = 100


@dataclass
class Editor:
    """One filling-in of the editor: the texts per language, the article's place, its questions, the note."""

    texts: dict[str, str] = field(default_factory=dict)  # "title_en", "body_zh" ...
    category: str = ""
    product: str = ""
    tags: str = ""
    variants: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    action: str = "save"

    def text(self, name: str, locale: str) -> str:
        return self.texts.get(f"{name}_{locale}", "")

    @property
    def versions(self) -> dict[str, VersionText]:
        """The languages the author wrote something in."""
        return {loc: VersionText(*(self.text(n, loc) for n in TEXTS)) for loc in LOCALES
                if any(self.text(n, loc).strip() for n in TEXTS)}

    @property
    def tag_list(self) -> list[str]:
        return [t for t in re.split(r"[\s,，、]+", self.tags) if t]

    @property
    def locales(self) -> list[str]:
        """Languages with something written (the preview shows each)."""
        return list(self.versions)


def read(form: MultiDict[str, str]) -> Editor:
    """The posted editor (over-long values cut: the service refuses what is still too long)."""
    texts = {f"{n}_{loc}": form.get(f"{n}_{loc}", "")[:LIMITS[n]] for n in TEXTS for loc in LOCALES}
    locales, questions = form.getlist("variant_locale"), form.getlist("variant_text")
    variants = [(loc if loc in LOCALES else "en", text[:MAX_VARIANT * 2].strip())
                for loc, text in zip(locales, questions, strict=False) if text.strip()][:MAX_ROWS]
    action = form.get("action", "save")
    return Editor(texts, form.get("category", "")[:80].replace("\x00", "").strip(), form.get("product", "")[:200],
                  form.get("tags", "")[:1000], variants, form.get("note", "")[:200],
                  action if action in ACTIONS else "save")


def of_article(article: Article) -> Editor:
    """The editor filled in with an article as it is saved."""
    texts = {f"{n}_{v.locale}": getattr(v, n) for v in article.versions for n in TEXTS}
    variants = [(v.locale, v.text) for v in article.variants if v.status is VariantStatus.APPROVED]
    return Editor(texts, article.category.key if article.category else "", article.product,
                  ", ".join(article.tags or []), variants)
