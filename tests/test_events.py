"""The event catalogue: every event named once, its payload checked on the way in, listed for integrators."""
from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from callcenter.cli import main
from callcenter.events import (
    CATALOGUE,
    CallRingingAgent,
    Event,
    EventError,
    TicketAssigned,
    TicketCreated,
    TicketEvent,
    decode,
)


def test_every_event_has_a_unique_name_and_a_meaning() -> None:
    assert len(CATALOGUE) >= 20
    for name, kind in CATALOGUE.items():
        assert kind.name == name and issubclass(kind, Event)
        assert kind.__doc__ and not kind.__doc__.startswith(kind.__name__ + "("), f"{name} says nothing"


def test_a_second_event_with_a_known_name_is_refused() -> None:
    with pytest.raises(TypeError, match="defined twice"):
        @dataclasses.dataclass(frozen=True, kw_only=True)
        class Again(Event, name="ticket_created"):
            ticket_id: int


def test_payloads_round_trip_through_json_values() -> None:
    ring = CallRingingAgent(pbx="lab", linkedid="1.2", interface="PJSIP/agent1001", ivr={"category": "support"},
                            wait_seconds=3.5, call_id=7)
    assert decode("call_ringing_agent", ring.payload()) == ring
    created = TicketCreated(ticket_id=1, number="1000017", actor="ann", source="api")
    assert decode(created.name, created.payload()) == created
    assert decode("no_such_event", {}) is None


@pytest.mark.parametrize("name, payload, why", [
    ("ticket_created", {"ticket_id": "1"}, "wrong type"),
    ("ticket_created", {"number": "1000017"}, "missing"),
    ("ticket_assigned", {"ticket_id": 1, "agent_id": True}, "wrong type"),  # a bool is not an id
    ("call_ringing_agent", {"pbx": "lab", "linkedid": "1.2", "ivr": ["not", "a", "dict"]}, "wrong type"),
    ("call_ringing_agent", {"pbx": None, "linkedid": "1.2"}, "wrong type"),
])
def test_a_payload_that_does_not_fit_its_event_is_refused(name: str, payload: dict[str, object], why: str) -> None:
    with pytest.raises(EventError, match=why):
        decode(name, payload)


def test_unknown_fields_from_a_newer_process_are_left_out() -> None:
    assert decode("ticket_assigned", {"ticket_id": 1, "agent_id": 2, "added_later": "x"}) == \
        TicketAssigned(ticket_id=1, agent_id=2)


def test_ticket_events_share_a_base_class_to_subscribe_to() -> None:
    ticket_events = {name for name, kind in CATALOGUE.items() if issubclass(kind, TicketEvent)}
    assert {"ticket_created", "ticket_updated", "ticket_assigned", "ticket_note_added", "sla_breach"} <= ticket_events
    assert "call_answered" not in ticket_events


def test_the_cli_lists_the_catalogue() -> None:
    out = CliRunner().invoke(main, ["events"], env={"CALLCENTER_LAB__ENABLED": "false"})
    assert out.exit_code == 0, out.output
    for name in CATALOGUE:
        assert name in out.output
    assert "recording_ids: list[int]" in out.output
