"""How the web answers a failure: RFC 9457 problem JSON under /api/, an error page everywhere else.

Every status (400 to 500, and a bad filter value or path id) ends here, so no answer is ever
Werkzeug's default HTML, and no page or API call turns bad input into a 500.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import IntegerConverter, Map

from callcenter.inputs.parsers import MAX_ID, InvalidInput

from .messages import refusal

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# Our short codes for clients that switch on ``error`` (kept from before problem details).
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
         500: "server_error"}


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.fields = status, error, message, fields or {}


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: at most MAX_ID, so a 30-digit id is a 404, not a database overflow."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def problem(status: int, error: str, detail: str, fields: dict[str, str] | None = None) -> Response:
    """An RFC 9457 problem: type, title, status, detail; ``error``, ``message`` and ``fields`` as extensions."""
    resp = jsonify({"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status,
                    "detail": detail, "error": error, "message": detail, "fields": fields or {}})
    resp.status_code = status
    resp.mimetype = PROBLEM_JSON
    return resp


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _page(status: int, message: str | None = None) -> ResponseReturnValue:
    titles = {400: gettext("Bad request"), 403: gettext("Access denied"), 404: gettext("Page not found"),
              405: gettext("Method not allowed"), 413: gettext("Too much data"),
              429: gettext("Too many requests"), 500: gettext("Something went wrong")}
    texts = {400: gettext("The address or the form held something we cannot use."),
             403: gettext("Your role may not open this page."),
             404: gettext("There is no such page, or it is not yours to see."),
             405: gettext("This page cannot be used that way."),
             413: gettext("What you sent is too large."),
             429: gettext("Too many requests: wait a moment and try again."),
             500: gettext("Something went wrong on our side. It has been logged; please try again.")}
    family = status if status in titles else (500 if status >= 500 else 400)
    try:
        html = render_template("errors/error.html", status=status, title=titles[family],
                               text=message or texts[family])
    except Exception:  # the error page itself failed (database down?): still answer, never a traceback
        log.exception("rendering the %d page failed", status)
        html = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
    return html, status


def _served(methods: Iterable[str]) -> bool:
    """Whether another method really serves this URL.  An id out of range (``IdConverter``) matches no
    route, but werkzeug picks the route before converting, so a GET route of the same shape makes a PATCH
    to ``/users/99999999999`` a 405: it is a 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            adapter.match(method=method)
        except (NotFound, MethodNotAllowed):
            continue
        except HTTPException:  # a redirect (a missing slash): served
            return True
        return True
    return False


def _http_error(exc: HTTPException) -> Response:
    if isinstance(exc, MethodNotAllowed) and not _served(exc.valid_methods or ()):
        exc = NotFound()
    status = exc.code or 500
    if _is_api():
        detail = exc.description if status < 500 else "something went wrong on our side"
        resp = problem(status, CODES.get(status, "error"), str(detail or HTTP_STATUS_CODES.get(status, "")))
    else:
        resp = make_response(_page(status))
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def _server_error(exc: InternalServerError) -> ResponseReturnValue:
    # The original exception is logged by Flask; the answer never shows it.
    if _is_api():
        return problem(500, "server_error", "something went wrong on our side")
    return _page(500)


def _invalid_input(exc: InvalidInput) -> ResponseReturnValue:
    if _is_api():
        return problem(422, "invalid", f"{exc.field} is not valid", {exc.field: exc.message})
    return _page(400, gettext("%(field)s is not valid: %(message)s", field=exc.field, message=refusal(exc)))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(InvalidInput, _invalid_input)
    app.register_error_handler(ApiError, lambda exc: problem(exc.status, exc.error, exc.message, exc.fields))
