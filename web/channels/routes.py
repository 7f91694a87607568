"""Thin HTTP for the channels' callers: read the request, call the channel's inbox, answer as it expects.

No sign-in: the callers are WeChat and the SMS gateway, and each request is
signed (checked by the inbox before anything is read).  A channel that is
off answers 404, as if the route were not there.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from callcenter.channels.sms import MAX_WEBHOOK_BYTES, WebhookRefused
from callcenter.channels.wechat import MAX_CALLBACK_BYTES, SUCCESS, CallbackRefused
from callcenter.wiring import Container

from ..db import get_db

bp = Blueprint("channels", __name__, url_prefix="/channels")


def _container() -> Container:
    container: Container = current_app.extensions["container"]
    return container


def _body(limit: int) -> bytes:
    """The raw body, read no further than one byte past ``limit`` (the inbox refuses what is over)."""
    return request.stream.read(limit + 1)


def _plain(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/plain")


@bp.route("/wechat/callback", methods=["GET", "POST"])
def wechat_callback() -> ResponseReturnValue:
    container = _container()
    if not container.settings.channels.wechat.enabled:
        abort(404)
    args = request.args
    signed = (args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    try:
        if request.method == "GET":
            return _plain(container.wechat_inbox.echo(*signed, args.get("echostr", "")))
        db = get_db()
        container.wechat_inbox.receive(db, *signed, _body(MAX_CALLBACK_BYTES))
        db.commit()
    except CallbackRefused as refused:
        return _plain(str(refused), refused.status)
    return _plain(SUCCESS)


def _sms(receipt: bool) -> ResponseReturnValue:
    container = _container()
    if not container.settings.channels.sms.enabled:
        abort(404)
    inbox, db = container.sms_inbox, get_db()
    body, header = _body(MAX_WEBHOOK_BYTES), request.headers.get("X-Signature", "")
    try:
        message = inbox.receipt(db, body, header) if receipt else inbox.receive(db, body, header).message
        db.commit()
    except WebhookRefused as refused:
        resp = jsonify(error=refused.code, message=str(refused), field=refused.field)
        resp.status_code = refused.status
        return resp
    return jsonify(status="ok", message_id=message.id)


@bp.route("/sms/inbound", methods=["POST"])
def sms_inbound() -> ResponseReturnValue:
    return _sms(receipt=False)


@bp.route("/sms/status", methods=["POST"])
def sms_status() -> ResponseReturnValue:
    return _sms(receipt=True)
