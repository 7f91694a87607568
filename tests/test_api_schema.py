"""Schemathesis against the OpenAPI document through the WSGI app: every operation, as every role.

No operation may answer 5xx, and every answer must match the document (status code, content
type, headers, body).  SQLite only, and ~20 examples per operation, so the file stays short.
The document is the one ``/api/v1/openapi.json`` serves (checked below); it is loaded from the
registry at collection time because every test gets its own app and database.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import web.api  # noqa: F401  # declares every endpoint on the registry
from web.api.registry import document

ROLES = ("ann", "sue", "quinn", "ada")  # agent, supervisor, qa, admin
# What the brief asks of every answer: no 5xx, and conformance to the document.  Left out:
# positive_data_acceptance (a schema-valid body may still name an unknown customer or a number
# the dialling policy refuses: a documented 422) and ignored_auth (its probe goes through
# requests, not the WSGI app, in this schemathesis; the unauthenticated call is checked below).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
schema = schemathesis.openapi.from_dict(document())


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only (overrides the conftest's SQLite-and-PostgreSQL fixture) to keep the run short."""
    yield f"sqlite:///{tmp_path / 'schema.db'}"


def test_the_document_tested_is_the_one_served(client) -> None:
    assert client.get("/api/v1/openapi.json").get_json() == document()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_as_every_role(case: Any, app, shop) -> None:
    for who in ROLES:
        case.call_and_validate(app=app, base_url="http://localhost", checks=CHECKS,
                               headers={"Authorization": f"Bearer {shop.tokens[who]}"})
    anonymous = case.call_and_validate(app=app, base_url="http://localhost", checks=CHECKS)
    if case.method.upper() == case.operation.method.upper():  # the coverage phase also tries other methods
        assert anonymous.status_code in (401, 404)  # 404: a path the routes do not take (an id out of range)
        assert anonymous.headers["content-type"] == ["application/problem+json"]
