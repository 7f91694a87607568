"""The channels' public webhooks: WeChat's callback and the SMS gateway's texts and receipts."""
from __future__ import annotations

from flask import Flask

from ..extensions import csrf
from . import routes


def init_app(app: Flask) -> None:
    csrf.exempt(routes.bp)  # called by WeChat and the gateway, which sign each request instead of a cookie
    app.register_blueprint(routes.bp)
