"""Customers: created, updated, merged, erased."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .base import Event


# -- customers ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CustomerCreated(Event, name="customer_created"):
    """A new customer with their numbers (from the desk, the API or a channel)."""

    customer_id: int
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class CustomerUpdated(Event, name="customer_updated"):
    """A customer's details changed (``fields``: which), for example by a CRM's sync through the API."""

    customer_id: int
    fields: list[str] = dataclasses.field(default_factory=list)
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class CustomersMerged(Event, name="customers_merged"):
    """``merged_id`` was the same person as ``customer_id``: its numbers, addresses, tickets and calls moved."""

    customer_id: int
    merged_id: int
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class CustomerErased(Event, name="customer_erased"):
    """A customer's personal data was erased on request: copies elsewhere should go too."""

    customer_id: int
    actor: str = "system"
