"""Creating customers: validated once, whoever asks (the desk's pop, the API, later a channel).

Every number is stored in E.164 and belongs to one customer only, so the
next call from any of them finds the same person.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..calls.numbers import InvalidNumber, to_e164
from ..i18n import N_, Refusal
from ..models import Call, Customer, CustomerPhone, VipTier
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
        errors: dict[str, Refusal] = {}
        if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
            errors["name"] = Refusal(N_("a name of 1-%(n)s characters"), field="name", code="bad_name",
                                     n=MAX_NAME)
        e164: list[str] = []
        for i, raw in enumerate(numbers):
            try:
                e164.append(to_e164(raw, self.region))
            except InvalidNumber:
                errors[f"phones.{i}"] = Refusal(N_("not a phone number"), field=f"phones.{i}", code="bad_number")
        if errors:
            raise CustomerError(N_("some fields are not valid"), errors)
        e164 = list(dict.fromkeys(e164))
        taken = session.scalar(select(CustomerPhone.number).where(CustomerPhone.number.in_(e164)))
        if taken:
            raise CustomerError(N_("a phone number already belongs to a customer"), {"number": Refusal(
                N_("this number already belongs to a customer"), field="number", code="taken")}, conflict=True)
        customer = Customer(name=name, company=company, email=email, language=language, vip_tier=vip_tier,
                            external_ref=external_ref, phones=[CustomerPhone(number=n) for n in e164])
        session.add(customer)
        session.flush()
        if call is not None:
            call.customer_id = customer.id
        audit.record(session, "customer_created", actor, object_type="customer", object_id=customer.id,
                     call_id=call.id if call is not None else None)
        self.notifier.created(session, customer, actor)
        return customer
