"""Who a command acts as, in the audit log: ``cli:<OS user>``."""
from __future__ import annotations

import getpass

from ..access.audit import Actor


def cli_actor() -> Actor:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor.system(f"cli:{name}")
