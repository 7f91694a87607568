"""API: the knowledge base's suggestions for a question, a ticket or a call, as the desk shows them.

The question is the ``q`` given plus what the ticket says or what the caller
said on the call (a finished transcript), as at the desk.  Nothing is logged:
a CRM asking is not an agent being offered articles.
"""
from __future__ import annotations

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from callcenter.access import roles, visibility
from callcenter.i18n import N_
from callcenter.knowledge import desk
from callcenter.knowledge.suggest import Hit
from callcenter.models import Call

from ..db import get_db
from .registry import ApiError, api_user, args, container, endpoint, refused
from .spec import Param
from .tickets import visible_ticket

MAX_Q = 2000
NUMBER = {"type": "string", "pattern": "^[0-9]{1,20}$", "description": N_("A ticket number")}


class SuggestionOut(BaseModel):
    article_id: int
    code: str = Field(description=N_("The article's code (callers key it in the IVR)"))
    locale: str = Field(description=N_("The language of the title and short answer: en or zh"))
    title: str
    short: str = Field(description=N_("The short answer, safe to say or send by SMS"))
    category: str
    probability: float = Field(ge=0, le=1, description=N_("Calibrated probability that the article answers"))
    percent: int = Field(ge=0, le=100)
    calibrated: bool = Field(description=N_("False until a calibration was fitted: the probability is a guess"))
    matched: list[str] = Field(description=N_("The words of the question the article matched"))
    rank: int
    url: str = Field(description=N_("The article's page in the web UI"))

    @classmethod
    def of(cls, hit: Hit) -> SuggestionOut:
        return cls(article_id=hit.article_id, code=hit.code, locale=hit.locale, title=hit.title, short=hit.short,
                   category=hit.category, probability=hit.probability, percent=round(hit.probability * 100),
                   calibrated=hit.calibrated, matched=list(hit.matched), rank=hit.rank,
                   url=url_for("knowledge.article_page", article_id=hit.article_id, lang=hit.locale))


class SuggestionsOut(BaseModel):
    category: str | None = Field(description=N_("The category whose articles were lifted"))
    items: list[SuggestionOut]
    total: int


@endpoint("GET", "/knowledge/suggest", roles=roles.DESK, scope="knowledge:read",
          summary=N_("The articles that best answer a question, a ticket or a call, most likely first"),
          response=SuggestionsOut,
          params=(Param("q", {"type": "string", "maxLength": MAX_Q}), "category", Param("ticket", NUMBER),
                  Param("call", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
                  Param.choice("locale", ("en", "zh")),
                  Param("limit", {"type": "integer", "minimum": 1, "maximum": 10, "default": 3})))
def suggest_articles() -> ResponseReturnValue:
    read = args()
    typed, number, call_id = read.text("q", MAX_Q), read.text("ticket", 20), read.ident("call")
    locale, limit = read.choice("locale", ("en", "zh")), read.whole("limit", 1, 10)
    if not typed and not number and call_id is None:
        raise ApiError(422, "invalid", "ask something: q, ticket or call", {"q": "required without ticket or call"})
    db = get_db()
    ticket, call = visible_ticket(number) if number else None, None
    if ticket is None and call_id is not None:
        # What the caller said is the transcript's: asked only by those who may open it.
        if not visibility.can_open_call(db, api_user(), call_id):
            refused("call", call_id)
        call = db.get(Call, call_id)
    asked = desk.question(db, typed=typed, category=read.text("category", 80) or None, call=call, ticket=ticket)
    hits = container().suggester.suggest(db, asked.text, category=asked.category, locale=locale or asked.locale,
                                         k=limit, cut=asked.cut) if not asked.said.empty() else []
    items = [SuggestionOut.of(h) for h in hits]
    return jsonify(SuggestionsOut(category=asked.category, items=items, total=len(items)).model_dump(mode="json"))
