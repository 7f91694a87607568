"""Declare an API endpoint once: its Flask route, token auth, role and scope checks, and OpenAPI entry.

Bearer tokens only (never the session cookie), so the API is exempt from
CSRF without being open to it.  A revoked, expired or unknown token is a 401;
a role or a token scope that does not allow the endpoint is a 403.  Refusals
are audited like the UI's (through ``callcenter.access``); a record outside
the caller's visibility is answered 404.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, ParamSpec, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, select

from callcenter.access import audit, tokens
from callcenter.access import scopes as scope_rules
from callcenter.access.audit import Actor
from callcenter.models import ApiToken, Role, User
from callcenter.wiring import Container

from ..db import get_db
from .schemas import ErrorOut

bp = Blueprint("api", __name__, url_prefix="/api/v1")
SPEC_PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, type[BaseModel]] = {"Error": ErrorOut}
MAX_PAGE = 500
P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)
View = Callable[P, ResponseReturnValue]


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.fields = status, error, message, fields or {}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    return jsonify(error=exc.error, message=exc.message, fields=exc.fields), exc.status


@bp.errorhandler(404)
def _not_found(_exc: Exception) -> ResponseReturnValue:
    return jsonify(error="not_found", message="no such resource", fields={}), 404


def container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


def api_user() -> User:
    found: User = g.api_user
    return found


def api_actor() -> Actor:
    return Actor.of(api_user(), ip=request.remote_addr, via="api")


def refused(kind: str, ident: object) -> NoReturn:
    """Someone asked for a record outside their scope: answer 404, but remember it."""
    db = get_db()
    audit.denied(db, api_actor(), kind, ident)
    db.commit()
    raise ApiError(404, "not_found", f"no such {kind}")


def _token() -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <token>'")
    db = get_db()
    try:
        return tokens.authenticate(db, secret, request.remote_addr)
    except tokens.TokenInvalid as exc:
        db.commit()  # the refusal's audit row
        raise ApiError(401, "unauthorized", exc.reason) from None


def body(model: type[M]) -> M:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "_": e["msg"] for e in exc.errors()}
        raise ApiError(422, "invalid", "some fields are not valid", fields) from None


def page(query: Select[Any], dump: Callable[[Any], BaseModel]) -> Response:
    """One page of ``query`` (``limit``/``offset`` from the query string), with the total."""
    db = get_db()
    limit = min(max(request.args.get("limit", 50, type=int) or 50, 1), MAX_PAGE)
    offset = max(request.args.get("offset", 0, type=int) or 0, 0)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = [dump(row).model_dump(mode="json") for row in db.scalars(query.limit(limit).offset(offset))]
    return jsonify(items=items, total=total, limit=limit, offset=offset)


def _ref(model: type[BaseModel] | None, many: bool = False) -> dict[str, Any]:
    if model is None:
        return {"type": "object"}
    SCHEMAS[model.__name__] = model
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    if many:
        return {"type": "object", "properties": {"items": {"type": "array", "items": ref},
                                                  "total": {"type": "integer"}, "limit": {"type": "integer"},
                                                  "offset": {"type": "integer"}}}
    return ref


def endpoint(method: str, path: str, *, roles: Iterable[Role], scope: str, summary: str,
             request_model: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
             many: bool = False, status: int = 200,
             params: tuple[str, ...] = ()) -> Callable[[View[P]], View[P]]:
    """Register ``view`` at ``path`` (Flask syntax) with auth, roles, the token scope it needs and its OpenAPI entry."""
    allowed = tuple(roles)
    if scope not in scope_rules.ALL:
        raise ValueError(f"{path}: unknown scope {scope!r}")

    def decorator(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            token = _token()
            g.api_user = user = token.user
            db = get_db()
            if user.role not in allowed:
                audit.denied(db, api_actor(), "api", request.path)
                db.commit()
                raise ApiError(403, "forbidden", "your role may not do this")
            if not tokens.check_scope(db, token, scope, api_actor(), request.path):
                db.commit()
                raise ApiError(403, "insufficient_scope", f"this token lacks the scope {scope}")
            return view(*args, **kwargs)

        bp.add_url_rule(path, endpoint=view.__name__, view_func=wrapped, methods=[method])
        openapi_path = path.replace("<int:", "{").replace("<", "{").replace(">", "}")
        op: dict[str, Any] = {
            "summary": summary, "operationId": view.__name__,
            "description": f"Scope: {scope}. Roles: " + ", ".join(r.value for r in allowed),
            "security": [{"bearer": [scope]}], "x-scope": scope,
            "parameters": [{"name": p.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
                           for p in openapi_path.split("/") if p.startswith("{")]
            + [{"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in params],
            "responses": {
                str(status): {"description": "OK", "content": {"application/json": {"schema": _ref(response, many)}}},
                **{str(code): {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}
                   for code, text in ((401, "no, unknown, revoked or expired token"),
                                      (403, "role or token scope not allowed"), (404, "not found"),
                                      (422, "invalid input"))},
            },
        }
        if request_model is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(request_model)}}}
        SPEC_PATHS.setdefault("/api/v1" + openapi_path, {})[method.lower()] = op
        return wrapped

    return decorator


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    schemas: dict[str, Any] = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return jsonify({
        "openapi": "3.1.0",
        "info": {"title": "Call Center API", "version": "1.0.0",
                 "description": "Calls, tickets, customers, callbacks, surveys and transcripts for CRMs. "
                                "Authenticate with an API token from an administrator. Each operation "
                                "names the token scope it needs (security, x-scope)."},
        "servers": [{"url": "/"}],
        "paths": SPEC_PATHS,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    })
