"""The pages' query strings, read with the safe parsers: a bad filter value is ignored, and said so."""
from __future__ import annotations

from flask import flash, request
from flask_babel import gettext

from callcenter.inputs.parsers import Args


def page_args() -> Args:
    """This request's query string, read leniently (a bad value is dropped and noted)."""
    return Args(request.args, strict=False)


def note_ignored(read: Args) -> None:
    """Tell the user, in their language, which filter values could not be used."""
    for name in read.problems:
        flash(gettext("The filter “%(name)s” had a value we cannot use; it was ignored.", name=name), "warning")
