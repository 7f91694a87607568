"""The OpenAPI side of an endpoint: its parameters' schemas and the problem responses every one may give.

A query parameter is named once here with the schema its parser (``callcenter.inputs.parsers``)
accepts, so the document tells clients (and schemathesis) exactly what the server takes.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from callcenter import days
from callcenter.i18n import N_
from callcenter.inputs.parsers import MAX_ID, MAX_OFFSET

from ..errors import PROBLEM_JSON

MAX_PAGE = 500
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DAY = {"type": "string", "format": "date",
       "description": f"A day of the centre's time zone, YYYY-MM-DD, years {days.FIRST_YEAR} to {days.LAST_YEAR}"}
QUERY: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50},
    "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
    "from": DAY, "to": DAY,
    "queue": ID, "agent": ID,
    "assignee": {"oneOf": [ID, {"type": "string", "enum": ["me", "none"]}]},
    "q": {"type": "string", "maxLength": 100},
    "category": {"type": "string", "maxLength": 80},
    "tag": {"type": "string", "maxLength": 40},
    "phone": {"type": "string", "maxLength": 40},
}
ERRORS = ((400, N_("malformed request (not JSON, wrong content type)")), (401, N_("no or bad token")),
          (403, N_("role not allowed")), (404, N_("not found")), (405, N_("method not allowed")),
          (409, N_("conflict")), (413, N_("body too large")), (422, N_("invalid input")), (500, N_("server error")))
ERROR_RESPONSES = {str(code): {"description": text, "content": {PROBLEM_JSON: {
    "schema": {"$ref": "#/components/schemas/Problem"}}}} for code, text in ERRORS}


@dataclass(frozen=True)
class Param:
    """A query parameter whose schema is particular to one endpoint (a status filter's values)."""

    name: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False

    @classmethod
    def choice(cls, name: str, values: Iterable[str]) -> Param:
        return cls(name, {"type": "string", "enum": sorted(values)})


def parameters(path: str, params: Iterable[str | Param]) -> list[dict[str, Any]]:
    """OpenAPI parameters for a Flask ``path`` (``<int:x>`` is an id) and its query ``params``."""
    out = [{"name": name, "in": "path", "required": True,
            "schema": ID if kind == "int" else {"type": "string", "minLength": 1, "maxLength": 40}}
           for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", path)]
    for p in params:
        param = p if isinstance(p, Param) else Param(p, QUERY.get(p, {"type": "string"}))
        out.append({"name": param.name, "in": "query", "required": param.required, "schema": param.schema})
    return out
