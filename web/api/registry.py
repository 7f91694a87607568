"""Declare an API endpoint once: its Flask route, token auth, role check and OpenAPI entry.

Bearer tokens only (never the session cookie), so the API is exempt from
CSRF without being open to it.  Refusals are audited like the UI's.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from callcenter import audit
from callcenter.accounts import token_digest
from callcenter.models import Role, User

from ..db import get_db
from . import bp
from .schemas import ErrorOut

SPEC_PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, type[BaseModel]] = {"Error": ErrorOut}


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.fields = status, error, message, fields or {}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):  # type: ignore[no-untyped-def]
    return jsonify(error=exc.error, message=exc.message, fields=exc.fields), exc.status


@bp.errorhandler(404)
def _not_found(_exc: Exception):  # type: ignore[no-untyped-def]
    return jsonify(error="not_found", message="no such resource", fields={}), 404


def _user_from_token() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <token>'")
    user = get_db().scalar(select(User).where(User.api_token_hash == token_digest(token.strip())))
    if user is None or not user.is_active:
        raise ApiError(401, "unauthorized", "unknown or revoked token")
    return user


def body(model: type[BaseModel]) -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "_": e["msg"] for e in exc.errors()}
        raise ApiError(422, "invalid", "some fields are not valid", fields) from None


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


def endpoint(method: str, path: str, *, roles: tuple[Role, ...], summary: str,
             request_model: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
             many: bool = False, status: int = 200,
             params: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``view`` at ``path`` (Flask syntax) with auth, roles and its OpenAPI entry."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = _user_from_token()
            if user.role not in roles:
                db = get_db()
                audit.record(db, "access_denied", actor=user, object_type="api", object_id=request.path,
                             ip=request.remote_addr, outcome="denied")
                db.commit()
                raise ApiError(403, "forbidden", "your role may not do this")
            g.api_user = user
            return view(*args, **kwargs)

        bp.add_url_rule(path, endpoint=view.__name__, view_func=wrapped, methods=[method])
        openapi_path = path.replace("<int:", "{").replace("<", "{").replace(">", "}")
        op: dict[str, Any] = {
            "summary": summary, "operationId": view.__name__,
            "description": "Roles: " + ", ".join(r.value for r in roles),
            "security": [{"bearer": []}],
            "parameters": [{"name": p.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
                           for p in openapi_path.split("/") if p.startswith("{")]
            + [{"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in params],
            "responses": {
                str(status): {"description": "OK", "content": {"application/json": {"schema": _ref(response, many)}}},
                **{str(code): {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}
                   for code, text in ((401, "no or bad token"), (403, "role not allowed"), (404, "not found"),
                                      (422, "invalid input"))},
            },
        }
        if request_model is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(request_model)}}}
        SPEC_PATHS.setdefault("/api/v1" + openapi_path, {})[method.lower()] = op
        return wrapped

    return decorator


def openapi_document() -> dict[str, Any]:
    schemas = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "Call Center API", "version": "1.0.0",
                 "description": "Calls, tickets, customers, callbacks and surveys for CRMs. "
                                "Authenticate with an API token from an administrator."},
        "servers": [{"url": "/"}],
        "paths": SPEC_PATHS,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
