"""What a call tells the CRM lookup about its caller: number, our customer's id, e-mail and CRM id."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.lookup import by_number
from ..models import Call, Customer, CustomerIdentity, IdentityKind
from .lookup import Asked


def asked_for(session: Session, call: Call) -> Asked:
    """The call's keys; a customer the bridge has not linked yet is found by the number, as the pop does."""
    customer = session.get(Customer, call.customer_id) if call.customer_id else None
    if customer is None and call.caller_number:
        customer = by_number(session, call.caller_number)
    if customer is None or customer.erased_at is not None:
        return Asked(phone=call.caller_number)
    email = customer.email or session.scalar(
        select(CustomerIdentity.value).where(CustomerIdentity.customer_id == customer.id,
                                             CustomerIdentity.kind == IdentityKind.EMAIL,
                                             CustomerIdentity.verified.is_(True),
                                             CustomerIdentity.bounced_at.is_(None))
        .order_by(CustomerIdentity.id).limit(1))
    return Asked(phone=call.caller_number, email=email, customer_id=customer.id, external_ref=customer.external_ref)
