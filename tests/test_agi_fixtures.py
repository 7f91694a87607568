"""Sessions captured from the lab PBX, replayed: the server must say exactly
what it said to the real Asterisk, and store the same facts."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.agi.transcript import Transcript
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import Call, Callback, Survey
from callcenter.wiring import Container
from tests.support.agi_peer import replay, running_server, settled
from tests.support.ivr_data import VIP_NUMBER, World, seed

FIXTURES = Path(__file__).parent / "fixtures" / "agi"
M = TypeVar("M")


@pytest.fixture
def lab_like(tmp_path: Path, _templates: Any) -> Iterator[tuple[Container, World, Any]]:
    """The settings the captures were made with (tests/test_agi_lab.py)."""
    settings = Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'r.db'}"},
                        lab={"enabled": False}, ivr={"digit_timeout": 3.0, "survey_offer": False})
    _templates.prepare(settings.database.url)
    container = Container(settings)
    migrations.upgrade(container.engine)
    world = seed(container.session_factory)
    with running_server(settings, container.session_factory) as server:
        yield container, world, server
    container.close()


def play(name: str, server: Any) -> None:
    transcript = Transcript.loads((FIXTURES / name).read_text())
    assert "Captured from the lab PBX" in transcript.comment
    assert replay(server.port, transcript) == []
    settled(server)


def one(container: Container, model: type[M]) -> M:
    with transaction(container.session_factory) as s:
        [row] = s.scalars(select(model))
        return row


def test_every_fixture_is_a_readable_transcript() -> None:
    names = sorted(p.name for p in FIXTURES.glob("*.agi"))
    assert len(names) >= 6
    for name in names:
        lines = Transcript.loads((FIXTURES / name).read_text()).lines
        assert lines[0] == ("asterisk", "agi_network: yes")
        assert lines[-1][0] == "asterisk"


def test_lookup_of_the_vip(lab_like: tuple[Container, World, Any]) -> None:
    container, world, server = lab_like
    play("lookup-vip.agi", server)
    call = one(container, Call)
    assert (call.caller_number, call.customer_id, call.pbx) == (VIP_NUMBER, world.vip_id, "lab")


def test_lookup_of_an_unknown_caller(lab_like: tuple[Container, World, Any]) -> None:
    container, _, server = lab_like
    play("lookup-unknown.agi", server)
    call = one(container, Call)
    assert (call.caller_number, call.customer_id) == ("+15551230001", None)


def test_menu_choice_of_sales(lab_like: tuple[Container, World, Any]) -> None:
    container, _, server = lab_like
    play("menu-sales.agi", server)
    assert one(container, Call).queue_name == "sales"


def test_callback_from_the_queue(lab_like: tuple[Container, World, Any]) -> None:
    container, world, server = lab_like
    play("callback-in-queue.agi", server)
    callback = one(container, Callback)
    assert (callback.number, callback.customer_id) == (VIP_NUMBER, world.vip_id)


def test_survey_keyed_4(lab_like: tuple[Container, World, Any]) -> None:
    container, world, server = lab_like
    play("survey-4.agi", server)
    survey = one(container, Survey)
    assert (survey.score, survey.agent_id) == (4, world.agent_id)


def test_ticket_status_with_a_mistyped_number(lab_like: tuple[Container, World, Any]) -> None:
    container, _, server = lab_like
    play("ticket-status-invalid.agi", server)
    with transaction(container.session_factory) as s:
        assert s.scalars(select(Call)).all() == []  # refused before any lookup
