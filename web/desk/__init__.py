"""The agent's desk: calls pop as they ring (``pops``, said in the agent's language by ``present``), the
intake form becomes a ticket (``routes``), or the call joins a ticket or needs none (``lifecycle``), the
agent's browser phone gets its own settings (``phone``), the state bar signs in to queues and pauses
(``presence``), the knowledge panel suggests articles as the agent types (``knowledge``), and the CRM
panel shows what the company's CRM knows of the caller (``crm``)."""
from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import IntegrityError

from callcenter.db import transaction
from callcenter.forms import catalog
from callcenter.wiring import Container

from . import callcontrol, crm, knowledge, lifecycle, phone, presence, routes
from .pops import PopHub


def _load_forms(container: Container) -> None:
    """Make sure the shipped intake forms exist as versions (idempotent)."""
    try:
        with transaction(container.session_factory) as session:
            catalog.sync_files(session)
    except IntegrityError:
        pass  # another web process stored the same version a moment earlier


def init_app(app: Flask) -> None:
    container: Container = app.extensions["container"]
    hub = PopHub(container.bus, container.session_factory, container.pops, container.settings.phone.default_region)
    hub.start()
    app.extensions["pops"] = hub
    _load_forms(container)
    app.register_blueprint(routes.bp)
    app.register_blueprint(lifecycle.bp)
    app.register_blueprint(phone.bp)
    app.register_blueprint(presence.bp)
    app.register_blueprint(callcontrol.bp)
    app.register_blueprint(knowledge.bp)
    app.register_blueprint(crm.bp)
