"""The live wallboard: queues, agents, callbacks and SLA risk, pushed every two seconds."""
from __future__ import annotations

from flask import Flask

from callcenter.wiring import Container

from . import monitor, routes
from .state import Wallboard


def init_app(app: Flask) -> None:
    container: Container = app.extensions["container"]
    # Its figures are reads: on SQLite they never hold the write lock the AMI writer needs.
    app.extensions["wallboard"] = Wallboard(container.bus, container.read_session_factory, container.settings.timezone,
                                            container.settings.transcribe.behind_alert_minutes)
    app.register_blueprint(routes.bp)
    app.register_blueprint(monitor.bp)
