"""The base of every event, the catalogue of them by name, and the checks a payload from another process passes."""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

CATALOGUE: dict[str, type[Event]] = {}


class EventError(ValueError):
    """A payload that does not fit its event's class."""


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event; ``name`` is what travels on the bus."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, *, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name:
            if name in CATALOGUE:
                raise TypeError(f"event {name!r} is defined twice")
            cls.name = name
            CATALOGUE[name] = cls

    def payload(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """The event a payload describes; EventError if a field is missing or of the wrong type."""
        values = {}
        for field, (check, required) in _checks(cls).items():
            if field in payload:
                if not check(payload[field]):
                    raise EventError(f"{cls.name}: {field} = {payload[field]!r:.60} has the wrong type")
                values[field] = payload[field]
            elif required:
                raise EventError(f"{cls.name}: {field} is missing")
        return cls(**values)


def decode(name: str, payload: Mapping[str, Any]) -> Event | None:
    """The typed event for a name from the catalogue (None: not one we know)."""
    kind = CATALOGUE.get(name)
    return None if kind is None else kind.from_payload(payload)


# -- checking payloads that crossed a process boundary --------------------------------------
Check = Callable[[Any], bool]
_PLAIN: dict[Any, Check] = {
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    Any: lambda v: True,
}


def _check_for(annotation: Any) -> Check:
    if annotation in _PLAIN:
        return _PLAIN[annotation]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [_check_for(a) for a in typing.get_args(annotation)]
        return lambda v: any(check(v) for check in options)
    if annotation is type(None):
        return lambda v: v is None
    if origin is list or annotation is list:
        return lambda v: isinstance(v, list)
    if origin is dict or annotation is dict:
        return lambda v: isinstance(v, dict)
    raise TypeError(f"events carry plain JSON values, not {annotation!r}")


# Per event class: field -> (type check, required?), worked out once.
_CHECKS: dict[type[Event], dict[str, tuple[Check, bool]]] = {}


def _checks(cls: type[Event]) -> dict[str, tuple[Check, bool]]:
    if cls not in _CHECKS:
        hints = typing.get_type_hints(cls)
        _CHECKS[cls] = {
            f.name: (_check_for(hints[f.name]),
                     f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(cls)}
    return _CHECKS[cls]
