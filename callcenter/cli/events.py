"""``callcenter events``: the catalogue of events the bus carries, for whoever integrates with it."""
from __future__ import annotations

import dataclasses
import typing

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..events import CATALOGUE


@click.command("events")
def events() -> None:
    """List every event on the bus: its name, its fields and what it means."""
    table = Table(title=f"{len(CATALOGUE)} events")
    for column in ("event", "fields", "meaning"):
        table.add_column(column)
    for name, kind in sorted(CATALOGUE.items()):
        hints = typing.get_type_hints(kind)
        fields = ", ".join(f"{f.name}: {_type(hints[f.name])}" for f in dataclasses.fields(kind))
        table.add_row(name, escape(fields), (kind.__doc__ or "").strip().splitlines()[0] if kind.__doc__ else "")
    Console(width=200).print(table)


def _type(annotation: object) -> str:
    """``int``, ``str | None``, ``list[int]`` ... as a reader writes them."""
    if typing.get_args(annotation) or not isinstance(annotation, type):
        return str(annotation).replace("typing.", "")
    return annotation.__name__


COMMANDS = (events,)
