"""What the desk's softphone needs to register: the signed-in agent's own endpoint, nobody else's.

The password is derived (``pbx.webrtc.password``), never stored, and never
logged: ``PhoneSettings.__repr__`` leaves it out, so a stray log line or a
traceback cannot show it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..models import User
from ..pbx import webrtc

# Seconds a registration lasts before JsSIP renews it (Asterisk's default maximum is 7200).
REGISTER_EXPIRES = 300


class NoSoftphone(LookupError):
    """This user has no browser softphone; ``reason`` says why, for the desk and the logs."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PhoneSettings:
    extension: str
    ws_url: str
    uri: str
    authorization_user: str
    password: str = dataclasses.field(repr=False)
    display_name: str
    ice_servers: list[dict[str, Any]]
    register_expires: int

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def extension_of(user: User) -> str | None:
    return user.agent.extension if user.agent is not None and user.agent.extension else None


def check(settings: Settings, user: User) -> str:
    """The user's softphone extension, or NoSoftphone (no secret needed: the desk page asks this)."""
    soft = settings.softphone
    if not soft.enabled:
        raise NoSoftphone("disabled", "the browser softphone is turned off ([softphone] enabled = false)")
    extension = extension_of(user)
    if extension is None:
        raise NoSoftphone("no_extension", "you have no phone extension; your desk phone rings as before")
    if extension not in soft.extensions:
        raise NoSoftphone("unknown_extension",
                          f"extension {extension} has no browser endpoint ([softphone] extensions)")
    return extension


def ice_servers(urls: list[str]) -> list[dict[str, Any]]:
    """RTCPeerConnection's iceServers from the configured URLs (stun:/turn:, user:password@ for TURN)."""
    servers: list[dict[str, Any]] = []
    for url in urls:
        scheme, _, rest = url.partition(":")
        if "@" in rest:
            auth, _, host = rest.rpartition("@")
            username, _, credential = auth.partition(":")
            servers.append({"urls": f"{scheme}:{host}", "username": username, "credential": credential})
        else:
            servers.append({"urls": url})
    return servers


def for_user(settings: Settings, user: User) -> PhoneSettings:
    """The signed-in agent's softphone settings; NoSoftphone when they have none."""
    extension = check(settings, user)
    secret = settings.softphone_secret()
    if not secret:
        raise NoSoftphone("not_configured", "the softphone has no secret yet ([softphone] secret, or `pbx up`)")
    soft, endpoint = settings.softphone, webrtc.endpoint_name(extension)
    return PhoneSettings(
        extension=extension, ws_url=soft.ws_url, uri=f"sip:{endpoint}@{soft.domain}",
        authorization_user=endpoint, password=webrtc.password(secret, endpoint),
        display_name=user.display_name or user.username, ice_servers=ice_servers(soft.ice_servers),
        register_expires=REGISTER_EXPIRES)
