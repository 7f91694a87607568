"""The bridge pops the receiving agent of a desk transfer even when that agent is in no queue.

Events as the lab sends them for a blind transfer to a browser phone
(cc-transfer-agent: UserEvent CCTransfer, then Dial); the phone
PJSIP/webrtc1009 belongs to no queue, so only the CCTransfer target says
it is an agent's.
"""
from __future__ import annotations

from typing import Any

from callcenter.ami.accumulator import Accumulator
from callcenter.ami.interpreter import Interpreter
from callcenter.ami.live import LiveState
from callcenter.ami.notifier import Notifier
from callcenter.ami.record import CallSnapshot
from callcenter.events import Event

L = "1796140701.68"


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, event: Event) -> None:
        self.events.append((event.name, event.payload()))

    def save(self, snapshot: CallSnapshot) -> None:
        pass


def _events(with_user_event: bool) -> list[dict[str, str]]:
    out = [{"Event": "Newchannel", "Channel": "PJSIP/trunk-00000037", "Uniqueid": L, "Linkedid": L,
            "CallerIDNum": "+15551230010", "Timestamp": "1796140701.70"}]
    if with_user_event:
        out.append({"Event": "UserEvent", "UserEvent": "CCTransfer", "Channel": "PJSIP/trunk-00000037",
                    "Uniqueid": L, "Linkedid": L, "Target": "PJSIP/webrtc1009", "Timestamp": "1796140768.38"})
    out += [{"Event": "Newchannel", "Channel": "PJSIP/webrtc1009-0000003c", "Uniqueid": "1796140768.74",
             "Linkedid": L, "Timestamp": "1796140768.38"},
            {"Event": "DialBegin", "Channel": "PJSIP/trunk-00000037", "Uniqueid": L, "Linkedid": L,
             "DestChannel": "PJSIP/webrtc1009-0000003c", "DestUniqueid": "1796140768.74", "DestLinkedid": L,
             "DialString": "webrtc1009", "Timestamp": "1796140768.39"},
            {"Event": "DialEnd", "Channel": "PJSIP/trunk-00000037", "Uniqueid": L, "Linkedid": L,
             "DestChannel": "PJSIP/webrtc1009-0000003c", "DestUniqueid": "1796140768.74", "DestLinkedid": L,
             "DialStatus": "ANSWER", "Timestamp": "1796140768.69"}]
    return out


def _run(with_user_event: bool) -> list[tuple[str, dict[str, Any]]]:
    out = Recorder()
    acc = Accumulator("lab")
    interpreter = Interpreter(acc, LiveState(acc), Notifier(out), out)
    for event in _events(with_user_event):
        interpreter.handle(event)
    return out.events


def test_cctransfer_target_rings_as_an_agent() -> None:
    names = [(name, payload.get("interface")) for name, payload in _run(True)]
    assert ("call_transferred", "PJSIP/webrtc1009") in names
    assert ("call_ringing_agent", "PJSIP/webrtc1009") in names
    assert names.index(("call_transferred", "PJSIP/webrtc1009")) < names.index(
        ("call_ringing_agent", "PJSIP/webrtc1009"))


def test_without_the_transfer_it_is_an_outside_leg() -> None:
    assert "call_ringing_agent" not in [name for name, _ in _run(False)]
