"""Customers kept in step with a CRM or ERP: create or update many at once, by the CRM's own id.

Sending the same batch twice changes nothing the second time (no audit row, no event), so an ERP can
resend after a timeout without asking what arrived.  Each record stands alone: one that is refused
(a number that is someone else's, a malformed address) is reported and the rest go in.

A customer who called before the CRM knew them has no ``external_ref`` yet; a record whose numbers or
address find exactly that customer adopts them, instead of making a second one.  Numbers and addresses
given are added; none is taken away (calls and e-mails added them, and a sync does not know of those).
Tags given become exactly the customer's CRM tags (``CustomerTags.set_from_crm``): tags set by hand or by
a rule stay, and a record without ``tags`` leaves them all as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Customer, CustomerIdentity, CustomerPhone, IdentityKind, VipTier
from .notifier import CustomerNotifier
from .service import CustomerError, CustomerService
from .tags import MAX_TAGS, CustomerTags, TagError, clean

CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"
# The fields a record may set; None (or left out) leaves the customer's as it is.
FIELDS = ("name", "company", "email", "language", "vip_tier")


@dataclass(frozen=True)
class Record:
    """One customer as the CRM has them."""

    external_ref: str
    name: str | None = None
    company: str | None = None
    email: str | None = None
    language: str | None = None
    vip_tier: str | None = None
    phones: tuple[str, ...] = ()
    tags: tuple[str, ...] | None = None  # the CRM's tags for the customer; None leaves them as they are


@dataclass
class Outcome:
    external_ref: str
    outcome: str
    customer_id: int | None = None
    changed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    refusals: dict[str, Refusal] = field(default_factory=dict)


class CustomerSync:
    def __init__(self, customers: CustomerService, notifier: CustomerNotifier, region: str,
                 tags: CustomerTags) -> None:
        self.customers, self.notifier, self.region, self.tags = customers, notifier, region, tags

    def upsert(self, session: Session, actor: Actor, records: list[Record]) -> list[Outcome]:
        """Each record created, updated or left as it is, in its own savepoint; what became of each."""
        outcomes = []
        for record in records:
            try:
                with session.begin_nested():
                    outcomes.append(self._one(session, actor, record))
            except CustomerError as exc:
                outcomes.append(Outcome(record.external_ref, REFUSED, errors=exc.fields, refusals=exc.refusals))
            except IntegrityError:  # another process took a number or the id in the same instant
                taken = Refusal(N_("a phone number, address or id already belongs to a customer"), code="taken")
                outcomes.append(Outcome(record.external_ref, REFUSED, errors={"_": str(taken)},
                                        refusals={"_": taken}))
        return outcomes

    def _one(self, session: Session, actor: Actor, record: Record) -> Outcome:
        numbers, address = self.customers.checked(record.name, record.phones, record.email)
        wanted = _tags(record.tags)
        customer = session.scalar(select(Customer).where(Customer.external_ref == record.external_ref))
        if customer is None:
            customer = self._adoptable(session, record.external_ref, numbers, address)
        if customer is None:
            made = self.customers.create(
                session, actor, name=record.name or record.external_ref, numbers=list(numbers),
                language=record.language or "en", company=record.company, email=address,
                vip_tier=VipTier(record.vip_tier or VipTier.NONE.value), external_ref=record.external_ref)
            if wanted:
                self.tags.set_from_crm(session, made, wanted, actor)
            return Outcome(record.external_ref, CREATED, made.id)
        changed = self._apply(session, actor, customer, record, numbers, address)
        if changed:
            session.flush()
            audit.record(session, "customer_updated", actor, object_type="customer", object_id=customer.id,
                         fields=changed, external_ref=record.external_ref)
            self.notifier.updated(session, customer, changed, actor)
        # The tag service audits and announces each tag it adds or removes itself.
        if wanted is not None and self.tags.set_from_crm(session, customer, wanted, actor):
            changed.append("tags")
        if not changed:
            return Outcome(record.external_ref, UNCHANGED, customer.id)
        return Outcome(record.external_ref, UPDATED, customer.id, changed)

    @staticmethod
    def _adoptable(session: Session, ref: str, numbers: list[str], address: str | None) -> Customer | None:
        """The one customer without a CRM id whom the record's numbers or address already find."""
        owners = set(session.scalars(select(CustomerPhone.customer_id).where(CustomerPhone.number.in_(numbers))))
        if address:
            owners |= set(session.scalars(select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == IdentityKind.EMAIL, CustomerIdentity.value == address)))
        if len(owners) > 1:
            raise CustomerError(N_("the numbers and address belong to different customers"), {"phones": Refusal(
                N_("the numbers and address belong to different customers"), field="phones", code="taken")},
                conflict=True)
        found = session.get(Customer, owners.pop()) if owners else None
        if found is not None and (found.external_ref is not None or found.erased_at is not None):
            raise CustomerError(N_("a phone number already belongs to a customer"), {"phones": Refusal(
                N_("this number or address belongs to another customer of the CRM (%(ref)s)"), field="phones",
                code="taken", ref=found.external_ref or "-")}, conflict=True)
        return found

    def _apply(self, session: Session, actor: Actor, customer: Customer, record: Record, numbers: list[str],
               address: str | None) -> list[str]:
        """Set what differs; the names of what changed."""
        changed = []
        if customer.external_ref != record.external_ref:
            customer.external_ref = record.external_ref
            changed.append("external_ref")
        wanted = {"name": record.name.strip() if record.name else None, "company": record.company,
                  "email": address, "language": record.language,
                  "vip_tier": VipTier(record.vip_tier) if record.vip_tier else None}
        for name in FIELDS:
            value = wanted[name]
            if value is not None and getattr(customer, name) != value:
                setattr(customer, name, value)
                changed.append(name)
        have = {p.number for p in customer.phones}
        owned = dict(session.execute(select(CustomerPhone.number, CustomerPhone.customer_id)
                                     .where(CustomerPhone.number.in_(numbers))).tuples().all())
        for i, number in enumerate(numbers):
            if number in have:
                continue
            if owned.get(number, customer.id) != customer.id:
                raise CustomerError(N_("a phone number already belongs to a customer"), {f"phones.{i}": Refusal(
                    N_("this number already belongs to a customer"), field=f"phones.{i}", code="taken")},
                    conflict=True)
            customer.phones.append(CustomerPhone(number=number))
            changed.append(f"phones.{i}")
        if address and "email" in changed and not self.customers.add_identity(
                session, customer, actor, kind=IdentityKind.EMAIL.value, value=address,
                verified=True):
            raise CustomerError(N_("an e-mail address already belongs to a customer"), {"email": Refusal(
                N_("this e-mail address already belongs to a customer"), field="email", code="taken")},
                conflict=True)
        return list(dict.fromkeys("phones" if c.startswith("phones.") else c for c in changed))


def _tags(given: tuple[str, ...] | None) -> list[str] | None:
    """The record's tags checked before anything is written (a bad one refuses the record), or None."""
    if given is None:
        return None
    try:
        wanted = list(dict.fromkeys(clean(t) for t in given))
    except TagError as exc:
        raise CustomerError(N_("a tag is not valid"), {"tags": exc}) from None
    if len(wanted) > MAX_TAGS:
        limit = TagError(N_("A customer has at most %(n)s tags."), field="tags", code="too_many", n=MAX_TAGS)
        raise CustomerError(N_("a tag is not valid"), {"tags": limit})
    return wanted
