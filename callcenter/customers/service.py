"""Creating customers: validated once, whoever asks (the desk's pop, the API, later a channel).

Every number is stored in E.164 and belongs to one customer only, so the
next call from any of them finds the same person.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..calls.numbers import InvalidNumber, to_e164
from ..i18n import N_, Refusal
from ..models import Call, Customer, CustomerIdentity, CustomerPhone, IdentityKind, VipTier, utcnow
from . import identities
from .notifier import CustomerNotifier

MAX_NAME = 200


class CustomerError(Refusal):
    """Input a customer cannot be made from, ``conflict`` if a number is taken.

    ``refusals`` says why for each field (``web.messages.field_errors`` words them for people);
    ``fields`` is the same in English, the API's ``fields``, unchanged so clients keep working.
    """

    def __init__(self, template: str, refusals: dict[str, Refusal], conflict: bool = False) -> None:
        super().__init__(template, code="conflict" if conflict else "invalid")
        self.refusals, self.conflict = refusals, conflict
        self.fields = {name: str(why) for name, why in refusals.items()}


class CustomerService:
    def __init__(self, notifier: CustomerNotifier, region: str) -> None:
        self.notifier, self.region = notifier, region

    def create(self, session: Session, actor: Actor, *, name: str, numbers: list[str], language: str = "en",
               company: str | None = None, email: str | None = None, vip_tier: VipTier = VipTier.NONE,
               external_ref: str | None = None, call: Call | None = None) -> Customer:
        """A new customer with their numbers; ``call`` (the one they are on) is linked to them."""
        name = name.strip()
        e164, address = self.checked(name, numbers, email)
        taken = session.scalar(select(CustomerPhone.number).where(CustomerPhone.number.in_(e164)))
        if taken:
            raise CustomerError(N_("a phone number already belongs to a customer"), {"number": Refusal(
                N_("this number already belongs to a customer"), field="number", code="taken")}, conflict=True)
        if address and identities.find(session, IdentityKind.EMAIL.value, address) is not None:
            raise CustomerError(N_("an e-mail address already belongs to a customer"), {"email": Refusal(
                N_("this e-mail address already belongs to a customer"), field="email", code="taken")},
                conflict=True)
        # The address an agent typed is the customer's own: their e-mails find them (a verified identity).
        customer = Customer(name=name, company=company, email=address, language=language, vip_tier=vip_tier,
                            external_ref=external_ref, phones=[CustomerPhone(number=n) for n in e164],
                            identities=[CustomerIdentity(kind=IdentityKind.EMAIL, value=address, verified=True)]
                            if address else [])
        session.add(customer)
        session.flush()
        if call is not None:
            call.customer_id = customer.id
        audit.record(session, "customer_created", actor, object_type="customer", object_id=customer.id,
                     call_id=call.id if call is not None else None)
        self.notifier.created(session, customer, actor)
        return customer

    def checked(self, name: str | None, numbers: list[str] | tuple[str, ...],
                email: str | None) -> tuple[list[str], str | None]:
        """A customer's name (None: not given), numbers and address as they are stored: the numbers in E.164
        without repeats, the address normalised; or CustomerError saying, field by field, what is wrong."""
        errors: dict[str, Refusal] = {}
        if name is not None and (not name.strip() or len(name) > MAX_NAME or any(ord(c) < 32 for c in name)):
            errors["name"] = Refusal(N_("a name of 1-%(n)s characters"), field="name", code="bad_name", n=MAX_NAME)
        e164: list[str] = []
        for i, raw in enumerate(numbers):
            try:
                e164.append(to_e164(raw, self.region))
            except InvalidNumber:
                errors[f"phones.{i}"] = Refusal(N_("not a phone number"), field=f"phones.{i}", code="bad_number")
        address = identities.normalise(IdentityKind.EMAIL.value, email, self.region) if email else None
        if email and address is None:
            errors["email"] = Refusal(N_("not an e-mail address"), field="email", code="bad_email")
        if errors:
            raise CustomerError(N_("some fields are not valid"), errors)
        return list(dict.fromkeys(e164)), address

    def identify(self, session: Session, actor: Actor, *, kind: str, value: str, name: str = "",
                 verified: bool = False, language: str = "en") -> tuple[Customer, bool] | None:
        """The customer an identifier belongs to, or a new one made for it: ``(customer, created)``.

        None when ``value`` is not an identifier of ``kind`` (a malformed address).  Two processes
        identifying the same new sender at once make one customer: the loser's insert conflicts
        on the unique identifier, is rolled back to its savepoint, and it reads the winner's.
        """
        normal = identities.normalise(kind, value, self.region)
        if normal is None:
            return None
        found = identities.find(session, kind, normal)
        if found is not None:
            return found, False
        label = _display_name(name) or normal
        try:
            with session.begin_nested():
                customer = Customer(name=label, language=language)
                if kind == identities.PHONE:
                    customer.phones = [CustomerPhone(number=normal)]
                else:
                    customer.identities = [CustomerIdentity(kind=IdentityKind(kind), value=normal,
                                                            verified=verified)]
                    if kind == IdentityKind.EMAIL.value:
                        customer.email = normal
                session.add(customer)
                session.flush()
        except IntegrityError:
            found = identities.find(session, kind, normal)
            if found is None:
                raise
            return found, False
        audit.record(session, "customer_created", actor, object_type="customer", object_id=customer.id,
                     channel_identity=kind)
        self.notifier.created(session, customer, actor)
        return customer, True

    def add_identity(self, session: Session, customer: Customer, actor: Actor, *, kind: str, value: str,
                     verified: bool = False) -> bool:
        """Link one more identifier to ``customer``; False when it is malformed or belongs to someone else."""
        normal = identities.normalise(kind, value, self.region)
        if normal is None:
            return False
        owner = identities.find(session, kind, normal)
        if owner is not None:
            return owner.id == customer.id
        if kind == identities.PHONE:
            customer.phones.append(CustomerPhone(number=normal))
        else:
            customer.identities.append(CustomerIdentity(kind=IdentityKind(kind), value=normal, verified=verified))
            if kind == IdentityKind.EMAIL.value and not customer.email:
                customer.email = normal
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            return False
        audit.record(session, "customer_identity_added", actor, object_type="customer", object_id=customer.id,
                     kind=kind, verified=verified)
        return True

    def address_bounced(self, session: Session, address: str, reason: str, actor: Actor) -> bool:
        """Mark a customer's e-mail address as one mail no longer reaches; False when it is nobody's.

        Replies then go to the customer's other addresses first (``identities.addresses``).
        """
        normal = identities.normalise(IdentityKind.EMAIL.value, address, self.region)
        found = None if normal is None else identities.identity(session, IdentityKind.EMAIL, normal)
        if found is None:
            return False
        found.bounced_at = utcnow()
        found.bounce_reason = "".join(ch for ch in reason if ch.isprintable())[:1000]
        session.flush()
        audit.record(session, "email_bounced", actor, object_type="customer", object_id=found.customer_id,
                     identity_id=found.id, reason=found.bounce_reason[:200])
        return True


def _display_name(name: str) -> str:
    """A sender's display name as a customer's name: no controls, within the limit."""
    clean = "".join(ch for ch in (name or "") if ord(ch) >= 32).strip()
    return clean[:MAX_NAME]
