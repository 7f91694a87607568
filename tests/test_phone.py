from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.calls.numbers import InvalidNumber, display, to_e164, try_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+86 138 0013 8000", "US", "+8613800138000"),
        ("0086 13800138000", "US", "+8613800138000"),
        ("13800138000", "CN", "+8613800138000"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("+44 20 7946 0958", "CN", "+442079460958"),
    ],
)
def test_normalises_to_e164(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "12", "abc", "${EXTEN}", "$[1+1]", "100\r\nAction: Originate",
                                 "+1 202 555 0143\n", None])
def test_refuses_what_is_not_a_number(raw: str | None) -> None:
    with pytest.raises(InvalidNumber):
        to_e164(raw)


@given(st.text(max_size=60))
def test_any_input_yields_clean_e164_or_none(raw: str) -> None:
    out = try_e164(raw)
    assert out is None or (out.startswith("+") and out[1:].isdigit() and len(out) <= 16)


def test_display_is_human() -> None:
    assert display("+12025550143") == "+1 202-555-0143"
