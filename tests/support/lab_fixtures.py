"""The shared lab PBX fixture: one real Asterisk for the whole test session.

It is started (or reloaded) once and left running afterwards, so the next
run only pays for a config reload.  The fixture holds an exclusive lock for
the rest of the pytest session: the lab (its ports 5038/5060/4573 and the
SIPp ports) is one machine-wide resource, so concurrent test runs queue up
instead of disturbing each other.  Import it from tests/conftest.py.
"""
from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from typing import TextIO

import pytest

from callcenter.config import load_settings
from callcenter.pbx.lab import LabPBX, LabUnavailable
from callcenter.wiring import Container


def _exclusive(path: str) -> TextIO:
    handle = open(path, "w")  # noqa: SIM115 - held for the whole session
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.stderr.write(f"\nwaiting for the lab PBX lock {path} (another test run holds it)...\n")
        started = time.monotonic()
        fcntl.flock(handle, fcntl.LOCK_EX)
        sys.stderr.write(f"got the lab PBX lock after {time.monotonic() - started:.0f}s\n")
    return handle


@pytest.fixture(scope="session")
def lab_pbx() -> Iterator[LabPBX]:
    lab = LabPBX(load_settings())
    lab.dir.parent.mkdir(parents=True, exist_ok=True)
    lock = _exclusive(str(lab.dir.with_name(lab.dir.name + ".session.lock")))
    try:
        try:
            lab.up(progress=lambda message: None)
        except LabUnavailable as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"the lab PBX is required in CI: {exc}")
            pytest.skip(f"lab PBX unavailable: {exc}")
        yield lab
    finally:
        lock.close()


@pytest.fixture(scope="session")
def lab_pbx_b(lab_pbx: LabPBX) -> Iterator[LabPBX]:
    """A second lab Asterisk ("b": SIP 5160, AMI 5138) from the same chroot, for the tests of several PBXs;
    stopped at the end of the session, so the rest of the suite runs beside one Asterisk as before."""
    settings = lab_pbx.settings.model_copy(deep=True)
    settings.lab.instances = ["b"]
    second = LabPBX(settings, "b")
    second.up(progress=lambda message: None)
    try:
        yield second
    finally:
        second.down()


def follow_lab(container: Container, lab: LabPBX) -> None:
    """Point a test's container at the real lab: its AMI secret, softphone secret and recordings."""
    container.settings.lab.enabled = True
    container.settings.lab.dir = lab.dir
    container.settings.recordings.dir = lab.recordings_dir
