"""Customer tags: set by hand, by an automation rule or by the CRM, maybe until a date; every change audited.

A tag past its expiry no longer counts anywhere (``active`` filters by the clock), and the dispatcher's
sweep removes it with an audit row, so the log says when a customer stopped being "售后投诉".
Setting a tag a customer already has only moves its expiry (a rule that fires again extends it).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..db import is_postgres
from ..i18n import N_, Refusal
from ..models import Customer, CustomerTag, TagSource, utcnow
from .notifier import CustomerNotifier

MAX_TAGS = 50  # a customer's; a CRM that sends more is refused


class TagError(Refusal):
    """A tag the service refuses (said in the reader's language)."""


def clean(tag: str) -> str:
    from ..automation.schema import TAG

    tag = (tag or "").strip()
    if not TAG.match(tag):
        raise TagError(N_("A tag is 1 to 40 characters without spaces, commas, quotes or < >: %(tag)s is not one."),
                       field="tag", code="bad_tag", tag=repr(tag[:60]))
    return tag


def live(now: dt.datetime) -> ColumnElement[bool]:
    """The condition for a tag that still counts."""
    return or_(CustomerTag.expires_at.is_(None), CustomerTag.expires_at > now)


def active(session: Session, customer_id: int, now: dt.datetime | None = None) -> list[str]:
    """The customer's tags that count now, in the order they were set."""
    return list(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == customer_id,
                                                              live(now or utcnow()))
                                .order_by(CustomerTag.id)))


def rows(session: Session, customer_id: int) -> list[CustomerTag]:
    """Every tag row of the customer (expired ones included until the sweep), for their page."""
    return list(session.scalars(select(CustomerTag).where(CustomerTag.customer_id == customer_id)
                                .order_by(CustomerTag.id)))


class CustomerTags:
    def __init__(self, notifier: CustomerNotifier) -> None:
        self.notifier = notifier

    def add(self, session: Session, customer: Customer, tag: str, actor: Actor, *,
            source: TagSource = TagSource.AGENT, expires_at: dt.datetime | None = None) -> bool:
        """Set a tag (or move its expiry); False when nothing changed."""
        tag = clean(tag)
        if expires_at is not None and expires_at <= utcnow():
            raise TagError(N_("The expiry must be in the future."), field="expires_at", code="past")
        row = session.scalar(select(CustomerTag).where(CustomerTag.customer_id == customer.id,
                                                       CustomerTag.tag == tag))
        if row is not None:
            if row.expires_at == expires_at and row.source is source:
                return False
            old = row.expires_at
            row.expires_at, row.source = expires_at, source
            audit.record(session, "customer_tag_changed", actor, object_type="customer", object_id=customer.id,
                         tag=tag, source=source.value, expires_at=_iso(expires_at), was=_iso(old))
        else:
            if session.query(CustomerTag).filter(CustomerTag.customer_id == customer.id).count() >= MAX_TAGS:
                raise TagError(N_("A customer has at most %(n)s tags."), field="tag", code="too_many", n=MAX_TAGS)
            session.add(CustomerTag(customer_id=customer.id, tag=tag, source=source, expires_at=expires_at,
                                    added_by_id=actor.user_id))
            session.flush()
            audit.record(session, "customer_tag_added", actor, object_type="customer", object_id=customer.id,
                         tag=tag, source=source.value, expires_at=_iso(expires_at))
        self.notifier.updated(session, customer, ["tags"], actor)
        return True

    def remove(self, session: Session, customer: Customer, tag: str, actor: Actor) -> bool:
        row = session.scalar(select(CustomerTag).where(CustomerTag.customer_id == customer.id,
                                                       CustomerTag.tag == tag.strip()))
        if row is None:
            return False
        session.delete(row)
        audit.record(session, "customer_tag_removed", actor, object_type="customer", object_id=customer.id,
                     tag=row.tag, source=row.source.value)
        self.notifier.updated(session, customer, ["tags"], actor)
        return True

    def set_from_crm(self, session: Session, customer: Customer, tags: Iterable[str], actor: Actor) -> bool:
        """The CRM's tags become exactly ``tags``: its others go, tags set by hand or by rules stay."""
        wanted = list(dict.fromkeys(clean(t) for t in tags))
        if len(wanted) > MAX_TAGS:
            raise TagError(N_("A customer has at most %(n)s tags."), field="tags", code="too_many", n=MAX_TAGS)
        changed = False
        for row in session.scalars(select(CustomerTag).where(CustomerTag.customer_id == customer.id,
                                                             CustomerTag.source == TagSource.CRM)).all():
            if row.tag not in wanted:
                changed = self.remove(session, customer, row.tag, actor) or changed
        have = {r.tag: r for r in session.scalars(select(CustomerTag).where(CustomerTag.customer_id == customer.id))}
        for tag in wanted:
            if tag not in have:
                changed = self.add(session, customer, tag, actor, source=TagSource.CRM) or changed
        return changed

    def sweep(self, session: Session, actor: Actor, now: dt.datetime | None = None) -> int:
        """Remove the tags whose time is over, one audit row each; how many went."""
        now = now or utcnow()
        q = select(CustomerTag.id, CustomerTag.customer_id, CustomerTag.tag) \
            .where(CustomerTag.expires_at.is_not(None), CustomerTag.expires_at <= now).limit(1000)
        if is_postgres(session):  # two automation services sweep apart, never the same tag twice
            q = q.with_for_update(skip_locked=True)
        gone = session.execute(q).all()
        if not gone:
            return 0
        session.execute(delete(CustomerTag).where(CustomerTag.id.in_([g.id for g in gone])))
        for g in gone:
            audit.record(session, "customer_tag_expired", actor, object_type="customer", object_id=g.customer_id,
                         tag=g.tag)
        for customer_id in {g.customer_id for g in gone}:
            customer = session.get(Customer, customer_id)
            if customer is not None:
                self.notifier.updated(session, customer, ["tags"], actor)
        return len(gone)


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
