"""Merging two customers who turned out to be one person (a caller who also wrote, from another address).

Every row that points at the merged customer moves to the kept one.  The
rows are found from the schema itself (every foreign key to ``customers.id``),
so a table added later moves too without anyone remembering it here.  The
merged customer is then deleted rather than kept as a tombstone: a tombstone
would need a column of its own and would still turn up in searches; the
audit row (``customers_merged``, filed under the merged id) keeps both ids,
and the customer page follows it from an old link to the kept customer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Column, func, select, update
from sqlalchemy.orm import Session

from ..access import audit, roles
from ..access.audit import Actor
from ..db import rowcount
from ..i18n import N_, Refusal
from ..models import AuditLog, Customer, VipTier
from ..models.base import Base
from .notifier import CustomerNotifier

ACTION = "customers_merged"
# Fields a person may choose to take from the merged customer; otherwise the kept one's win unless empty.
CHOOSABLE = ("name", "company", "email", "vip_tier", "language", "notes", "external_ref")
# The counts a person is shown before confirming (tables by their name).
SHOWN = {"tickets": "tickets", "calls": "calls", "messages": "messages",
         "identifiers": ("customer_phones", "customer_identities")}


class MergeError(Refusal):
    """A merge that may not happen: the same customer twice, an erased one, a role that may not."""


@dataclass(frozen=True)
class Moved:
    """Rows per table that point (or pointed) at the merged customer."""

    counts: dict[str, int] = field(default_factory=dict)

    def of(self, what: str) -> int:
        tables = SHOWN.get(what, what)
        names = (tables,) if isinstance(tables, str) else tables
        return sum(self.counts.get(n, 0) for n in names)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def references() -> list[Column[int]]:
    """Every column of the schema that points at ``customers.id``, in a stable order."""
    found = [fk.parent for table in Base.metadata.sorted_tables for fk in table.foreign_keys
             if fk.column.table.name == Customer.__tablename__ and fk.column.name == "id"]
    return sorted(found, key=lambda c: (c.table.name, c.name))


def _key(column: Column[int]) -> str:
    """A count's name: the table's, or ``table.column`` when a table points at customers twice."""
    twice = sum(1 for c in references() if c.table is column.table) > 1
    return f"{column.table.name}.{column.name}" if twice else column.table.name


class CustomerMerge:
    def __init__(self, notifier: CustomerNotifier) -> None:
        self.notifier = notifier

    def check(self, session: Session, actor: Actor, keep_id: int, other_id: int) -> tuple[Customer, Customer]:
        """The two customers, or a refusal saying why they cannot be merged (LookupError: unknown id)."""
        if actor.role not in roles.MANAGERS:
            raise MergeError(N_("Only a supervisor or an administrator may merge customers."), code="forbidden")
        if keep_id == other_id:
            raise MergeError(N_("A customer cannot be merged into itself."), field="other_id", code="same")
        keep, other = session.get(Customer, keep_id), session.get(Customer, other_id)
        if keep is None or other is None:
            raise LookupError(f"no customer {other_id if keep else keep_id}")
        if keep.erased_at is not None or other.erased_at is not None:
            raise MergeError(N_("An erased customer cannot be merged."), field="other_id", code="erased")
        return keep, other

    def preview(self, session: Session, actor: Actor, keep_id: int, other_id: int) -> Moved:
        """What merging would move, changing nothing."""
        self.check(session, actor, keep_id, other_id)
        counts = {_key(c): session.scalar(select(func.count()).select_from(c.table).where(c == other_id)) or 0
                  for c in references()}
        return Moved(counts)

    def merge(self, session: Session, actor: Actor, keep_id: int, other_id: int,
              take: tuple[str, ...] = ()) -> Moved:
        """Move everything of ``other_id`` to ``keep_id`` and delete ``other_id``, in the caller's transaction.

        ``take`` names fields (of ``CHOOSABLE``) to take from the merged customer even where the
        kept one has a value.
        """
        session.flush()
        # Both rows locked first (in id order, so two merges cannot deadlock): a second merge of the same
        # customer waits and then finds it gone, and a row inserted meanwhile that points at the merged
        # customer waits for its key and then fails, rather than vanishing with it (phones cascade).
        session.execute(select(Customer.id).where(Customer.id.in_((keep_id, other_id))).order_by(Customer.id)
                        .with_for_update())
        session.expire_all()
        keep, other = self.check(session, actor, keep_id, other_id)
        unknown = set(take) - set(CHOOSABLE)
        if unknown:
            raise MergeError(N_("Unknown field %(name)s."), field="take", code="bad_field", name=sorted(unknown)[0])
        values = _chosen(keep, other, take)
        if values.get("external_ref") and values["external_ref"] == other.external_ref:
            other.external_ref = None  # unique: it leaves the merged customer before the kept one takes it
            session.flush()
        counts: dict[str, int] = {}
        for column in references():
            counts[_key(column)] = rowcount(session.execute(
                update(column.table).where(column == other_id).values({column.name: keep_id})))
        # Core updates leave loaded rows stale; the merged customer's collections must be re-read as empty,
        # or deleting it would cascade to the phones and identities that are now the kept customer's.
        session.expire_all()
        session.delete(other)
        session.flush()
        for name, value in values.items():
            setattr(keep, name, value)
        moved = Moved(counts)
        audit.record(session, ACTION, actor, object_type="customer", object_id=other_id, customer_id=keep_id,
                     merged_id=other_id, moved={k: v for k, v in counts.items() if v}, took=sorted(take))
        self.notifier.merged(session, keep_id, other_id, actor)
        return moved


def _chosen(keep: Customer, other: Customer, take: tuple[str, ...]) -> dict[str, object]:
    """The kept customer's fields after the merge: its own unless empty (or chosen from the other)."""
    values: dict[str, object] = {}
    for name in CHOOSABLE:
        mine, theirs = getattr(keep, name), getattr(other, name)
        empty = mine in (None, "") or mine is VipTier.NONE
        if theirs not in (None, "") and (name in take or empty):
            values[name] = theirs
    return values


def merged_into(session: Session, customer_id: int, hops: int = 20) -> int | None:
    """The customer a merged (and so deleted) customer lives on as, following merges of merges."""
    target = customer_id
    for _ in range(hops):
        detail = session.scalar(select(AuditLog.detail).where(
            AuditLog.action == ACTION, AuditLog.object_type == "customer", AuditLog.object_id == str(target))
            .order_by(AuditLog.id.desc()).limit(1))
        if not detail or not isinstance(detail.get("customer_id"), int):
            return None
        target = int(detail["customer_id"])
        if session.get(Customer, target) is not None:
            return target
    return None
