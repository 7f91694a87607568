"""The shared lab PBX fixture: one real Asterisk for the whole test session.

It is started (or reloaded) once and left running afterwards, so the next
run only pays for a config reload.  Import it from tests/conftest.py.
"""
from __future__ import annotations

import os

import pytest

from callcenter.config import load_settings
from callcenter.lab import LabPBX, LabUnavailable


@pytest.fixture(scope="session")
def lab_pbx() -> LabPBX:
    lab = LabPBX(load_settings())
    try:
        lab.up(progress=lambda message: None)
    except LabUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the lab PBX is required in CI: {exc}")
        pytest.skip(f"lab PBX unavailable: {exc}")
    return lab
