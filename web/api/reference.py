"""The API reference: the OpenAPI document as a page people read, in their language, under the strict CSP.

Rendered on the server from ``registry.document()``, so every endpoint
declared with ``endpoint`` appears without anyone editing a page.  Why not
a JavaScript viewer (measured in Chromium under our CSP): Redoc 3.0.1
injects <style> elements (styled-components), which the CSP blocks, and
then renders nothing; RapiDoc 9.3.8 needs inline styles and Google Fonts
(514 violations); Swagger UI 5.36.0 works, but is 1.8 MB and speaks
English only.  This page is a template: translated, no script, no vendor
file.  It is public, like the document it shows (integrators often hold a
token but no account); it says nothing the document does not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from ..messages import say
from .registry import document

bp = Blueprint("reference", __name__)
METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/"


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    scope: str
    roles: list[str]
    parameters: list[dict[str, Any]]
    request: Markup | None
    request_schema: dict[str, Any]
    status: str
    response: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)


@bp.route("/api-reference")
def api() -> ResponseReturnValue:
    doc = document()
    schemas = doc["components"]["schemas"]
    return render_template("api/reference.html", info=doc["info"], groups=groups(doc, schemas),
                           schemas=sorted(schemas.items()), rows=rows, kind=kind, rules=rules)


def groups(doc: dict[str, Any], schemas: dict[str, Any]) -> list[tuple[str, list[Operation]]]:
    """Operations by resource (their tag), in the order the document declares them."""
    out: dict[str, list[Operation]] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                out.setdefault((op.get("tags") or ["api"])[0], []).append(operation(method, path, op, schemas))
    return list(out.items())


def operation(method: str, path: str, op: dict[str, Any], schemas: dict[str, Any]) -> Operation:
    """One operation as the page shows it; the request body's fields are listed in place (a client writes them)."""
    ok = next(code for code in op["responses"] if code.startswith("2"))
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    named = schemas.get(body.get("$ref", "").removeprefix(REF), {}) if body else {}
    return Operation(
        method=method.upper(), path=path, anchor=op["operationId"], summary=say(op.get("summary", "")),
        scope=op.get("x-scope", ""), roles=op.get("x-roles", []), parameters=op.get("parameters", []),
        request=kind(body) if body else None, request_schema=named or body or {}, status=ok,
        # A file download answers with any type (``*/*``): its schema is a binary string.
        response=next(iter(op["responses"][ok]["content"].values()))["schema"],
        errors=[(code, say(r["description"])) for code, r in op["responses"].items() if not code.startswith("2")])


def kind(schema: dict[str, Any]) -> Markup:
    """What a value is, in a few words: a type, a link to a named schema, a list of them, or one of several."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF)
        return Markup('<a href="#schema-{0}"><code>{0}</code></a>').format(name)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            shown = Markup(" | ").join(kind(s) for s in options)
            return Markup(_("%(type)s or null", type=shown)) if len(options) < len(schema[key]) else shown
    if schema.get("type") == "array":
        return Markup(_("list of %(item)s", item=kind(schema.get("items", {}))))
    text = Markup("<code>{}</code>").format(schema.get("type", "object"))
    if "format" in schema:
        text += Markup(" <span class=\"muted\">({})</span>").format(schema["format"])
    return text


def rules(schema: dict[str, Any]) -> list[str]:
    """The limits a value must keep, said in the reader's language."""
    schema = next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)
    said = []
    if "enum" in schema:
        said.append(_("one of: %(values)s", values=", ".join(map(str, schema["enum"]))))
    if "minLength" in schema or "maxLength" in schema:
        said.append(_("%(min)s to %(max)s characters", min=schema.get("minLength", 0),
                      max=schema.get("maxLength", "…")))
    if "minimum" in schema:
        said.append(_("at least %(n)s", n=schema["minimum"]))
    if "maximum" in schema:
        said.append(_("at most %(n)s", n=schema["maximum"]))
    if "minItems" in schema or "maxItems" in schema:
        said.append(_("%(min)s to %(max)s items", min=schema.get("minItems", 0), max=schema.get("maxItems", "…")))
    if "pattern" in schema:
        said.append(_("pattern %(p)s", p=schema["pattern"]))
    if "default" in schema:
        said.append(_("default %(v)s", v=schema["default"]))
    return said


def rows(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """An object schema's properties as table rows: name, kind, required, rules, description."""
    required = set(schema.get("required", []))
    return [{"name": name, "kind": kind(prop), "required": name in required, "rules": rules(prop),
             "description": say(prop["description"]) if prop.get("description") else ""}
            for name, prop in schema.get("properties", {}).items()]

