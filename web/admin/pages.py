"""What the people pages share: a record or 404, a refusal said in the reader's language, the services."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, flash, redirect
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from callcenter.i18n import Refusal
from callcenter.people.profiles import Profiles

from ..db import get_db
from ..messages import field_errors, refusal

M = TypeVar("M")
PAGE = 50
MAX_PAGES = 100_000
# The secret on the page (a one-time password): no browser or proxy may keep a copy.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def row_or_404(model: type[M], ident: int) -> M:
    found = get_db().get(model, ident)
    if found is None:
        abort(404)
    return found


def profiles() -> Profiles:
    found: Profiles = current_app.extensions["container"].profiles
    return found


def refused(db: Session, exc: Refusal) -> dict[str, str]:
    """Roll back, flash the refusal in the reader's language; its field -> message, for the form."""
    db.rollback()
    flash(refusal(exc), "error")
    errors: dict[str, Refusal | str] = dict(getattr(exc, "errors", {}) or {exc.field or "_": exc})
    return field_errors(errors)


def pages(total: int) -> int:
    return max(1, -(-total // PAGE))


def with_status(page: Any, failed: bool) -> ResponseReturnValue:
    """A page re-shown after a refused form answers 400, so scripts and tests see it failed."""
    return (page, 400) if failed else page


def saved(work: Callable[[], Any], page: Callable[[dict[str, str]], ResponseReturnValue], message: str,
          then: Callable[[], str]) -> ResponseReturnValue:
    """Run a service call; on a refusal show the page again with the error (what was typed kept), else commit,
    say ``message`` and go to ``then()`` (a callable: the place may be known only after the work)."""
    db = get_db()
    try:
        work()
    except Refusal as exc:
        return page(refused(db, exc))
    db.commit()
    flash(message, "success")
    return redirect(then(), 303)
