"""``callcenter crm lookup``: ask the CRM as the desk's pop would, to check ``[crm]`` before agents rely on it."""
from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from ..calls.numbers import try_e164
from ..crm.lookup import FOUND, Asked
from ..wiring import Container

SAID = {"found": "found", "not_found": "the CRM does not know this caller",
        "unavailable": "CRM unavailable (down, slow, refused, or an answer that is not JSON; see the log)",
        "off": "no CRM set up: [crm] urls is empty"}


@click.group("crm")
def crm() -> None:
    """The CRM panel on the desk's pop."""


@crm.command("lookup")
@click.option("--phone", help="The caller's number, in any format (made E.164 with the default region).")
@click.option("--email")
@click.option("--customer-id", type=int, help="Our customer id.")
@click.option("--external-ref", help="The customer's id in the CRM.")
@click.pass_obj
def lookup(container: Container, phone: str | None, email: str | None, customer_id: int | None,
           external_ref: str | None) -> None:
    """Ask the CRM about one caller and show what the pop would: the address asked (without the headers)
    and the mapped fields."""
    number = try_e164(phone, container.settings.phone.default_region) if phone else None
    if phone and number is None:
        raise click.BadParameter(f"{phone!r} is not a phone number", param_hint="--phone")
    asked = Asked(phone=number, email=email, customer_id=customer_id, external_ref=external_ref)
    address = container.crm.address(asked)
    console = Console()
    console.print(f"address: {address or '(none: no lookup address has every key given)'}")
    answer = container.crm.answer(asked)
    console.print(f"answer: {SAID[answer.state]}")
    if answer.state == FOUND:
        table = Table()
        for column in ("field", "label", "value"):
            table.add_column(column)
        for field in answer.fields:
            table.add_row(field.name, field.label, field.value)
        console.print(table)
    if answer.state != FOUND:
        raise SystemExit(1)


COMMANDS = (crm,)
