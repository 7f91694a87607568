"""Declare an API endpoint once: its Flask route, token auth, role and scope checks, and OpenAPI entry.

Bearer tokens only (never the session cookie), so the API is exempt from
CSRF without being open to it.  A revoked, expired or unknown token is a 401;
a role or a token scope that does not allow the endpoint is a 403.  Refusals
are audited like the UI's (through ``callcenter.access``); a record outside
the caller's visibility is answered 404.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, ParamSpec, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, select

from callcenter.access import audit, tokens
from callcenter.access import scopes as scope_rules
from callcenter.access.audit import Actor
from callcenter.inputs.parsers import MAX_OFFSET, Args
from callcenter.models import ApiToken, Role, User
from callcenter.wiring import Container

from ..db import get_db
from ..errors import ApiError, problem
from .schemas import ProblemOut
from .spec import ERROR_RESPONSES, MAX_PAGE, Param, parameters

bp = Blueprint("api", __name__, url_prefix="/api/v1")
SPEC_PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, type[BaseModel]] = {"Problem": ProblemOut}
P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)
View = Callable[P, ResponseReturnValue]
__all__ = ["ApiError", "api_actor", "api_user", "args", "body", "container", "endpoint", "page", "refused"]


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    return problem(exc.status, exc.error, exc.message, exc.fields)


def args() -> Args:
    """This request's query string, read strictly: a bad value is a 422 naming its parameter."""
    return Args(request.args, strict=True)


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


def _json_body() -> Any:
    if request.mimetype != "application/json":
        raise ApiError(400, "bad_request", "send the body as application/json",
                       {"Content-Type": "must be application/json"})
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "bad_request", "the body is not UTF-8", {"body": "not valid UTF-8"}) from None
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise ApiError(400, "bad_request", "the body is not JSON", {"body": "not valid JSON"}) from None


def body(model: type[M]) -> M:
    data = _json_body()
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object", {"body": "must be a JSON object"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "_": e["msg"] for e in exc.errors()}
        raise ApiError(422, "invalid", "some fields are not valid", fields) from None


def page(query: Select[Any], dump: Callable[[Any], BaseModel]) -> Response:
    """One page of ``query`` (``limit``/``offset`` from the query string), with the total."""
    db = get_db()
    read = args()
    limit = read.whole("limit", 1, MAX_PAGE) or 50
    offset = read.whole("offset", 0, MAX_OFFSET) or 0
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
             many: bool = False, status: int = 200, binary: bool = False,
             params: tuple[str | Param, ...] = ()) -> Callable[[View[P]], View[P]]:
    """Register ``view`` at ``path`` (Flask syntax) with auth, roles, the token scope it needs and its OpenAPI entry.

    ``binary``: the view answers with a file (any type), not JSON.

    Mark ``summary`` with ``N_``: the API reference page shows it in the reader's language (the
    document stays English).  The first segment of ``path`` is the operation's tag (its resource)."""
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
            "summary": summary, "operationId": view.__name__, "tags": [path.strip("/").split("/")[0]],
            "description": f"Scope: {scope}. Roles: " + ", ".join(r.value for r in allowed),
            "security": [{"bearer": [scope]}], "x-scope": scope, "x-roles": [r.value for r in allowed],
            "parameters": parameters(path, params),
            "responses": {
                str(status): {"description": "OK", "content": (
                    {"*/*": {"schema": {"type": "string", "format": "binary"}}} if binary
                    else {"application/json": {"schema": _ref(response, many)}})},
                **ERROR_RESPONSES,
            },
        }
        if request_model is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(request_model)}}}
        SPEC_PATHS.setdefault("/api/v1" + openapi_path, {})[method.lower()] = op
        return wrapped

    return decorator


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every endpoint declared so far."""
    schemas: dict[str, Any] = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "Call Center API", "version": "1.0.0",
                 "description": "Calls, tickets, customers, callbacks, surveys and transcripts for CRMs. "
                                "Authenticate with an API token from an administrator. Each operation "
                                "names the token scope it needs (security, x-scope)."},
        "servers": [{"url": "/"}],
        "paths": SPEC_PATHS,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
