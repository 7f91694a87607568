"""``/contact``: the form, its per-field errors, the rate limit's page and the thank-you page.

The page only turns the request into a ``Submission`` and the service's answer into a page:
checking, counting and storing are ``callcenter.channels.webform``'s.  The thank-you page is
the POST's own answer; posting it again (a reload) is the same ticket, by the form's nonce.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from callcenter.channels.webform import NONCE, RateLimited, Submission, WebFormError, mint_nonce
from callcenter.conversations.attachments import IncomingFile
from callcenter.wiring import Container

from .. import labels
from ..db import get_db
from ..messages import field_errors, refusal

bp = Blueprint("contact", __name__)
FIELDS = ("category", "name", "email", "phone", "description")
# Room for the form's text beside its files (the app's default request limit is far smaller).
FORM_TEXT_BYTES = 1024 * 1024


def _container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


@bp.before_request
def _open() -> None:
    """Configure-off is a 404; when on, a request may carry the files the form allows."""
    settings = _container().settings
    if not settings.channels.webform.enabled:
        abort(404)
    request.max_content_length = (settings.channels.webform.max_files * settings.conversations.max_attachment_bytes
                                  + FORM_TEXT_BYTES)


def _topics() -> list[tuple[str, str]]:
    return [(code, labels.category(code))
            for code in _container().settings.channels.webform.categories]


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200,
          reattach: bool = False) -> ResponseReturnValue:
    settings = _container().settings
    return render_template("contact/form.html", values=values, errors=errors, topics=_topics(), reattach=reattach,
                           max_files=settings.channels.webform.max_files,
                           max_bytes=f"{settings.conversations.max_attachment_bytes:,}"), status


def _files() -> list[IncomingFile]:
    """The files chosen (an empty file input sends a nameless, empty part: not a file)."""
    found = []
    for upload in request.files.getlist("attachments"):
        data = upload.read()
        if upload.filename or data:
            found.append(IncomingFile(upload.filename or "", upload.mimetype or "", data))
    return found


@bp.route("/contact", methods=["GET", "POST"])
def form() -> ResponseReturnValue:
    if request.method == "GET":
        return _page({"nonce": mint_nonce()}, {})
    values = {name: request.form.get(name, "") for name in (*FIELDS, "nonce")}
    files = _files()
    submission = Submission(
        nonce=values["nonce"], category=values["category"], name=values["name"], email=values["email"],
        phone=values["phone"], description=values["description"], address=request.remote_addr or "unknown",
        language=str(get_locale()), files=files, trap=request.form.get("website", ""))
    db = get_db()
    try:
        accepted = _container().webform.submit(db, submission)
    except WebFormError as exc:
        db.rollback()
        if not NONCE.match(values["nonce"]):
            values["nonce"] = mint_nonce()
        # A browser never keeps a chosen file: the visitor is asked to choose them again.
        return _page(values, field_errors(dict(exc.refusals)), 400, reattach=bool(files))
    except RateLimited as exc:
        db.rollback()
        return render_template("contact/limited.html", text=refusal(exc)), 429
    db.commit()
    return render_template("contact/thanks.html", number=accepted.ticket_number,
                           email=bool(values["email"].strip()))
