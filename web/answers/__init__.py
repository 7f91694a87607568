"""The customer's "Did this solve it? Yes / No" pages for an auto-reply: public, no sign-in, a token instead."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.add_template_global(routes.auto_reply_of, "auto_reply_of")
