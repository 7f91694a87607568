"""The dialling policy: which numbers we ever call out to, and how often a number may ask us to.

Toll fraud is the costliest abuse of a call centre: a caller (or a stolen
API token) books a callback to a premium-rate or satellite number and the
dispatcher pays for every minute.  So every number we would dial (callback,
survey, click-to-call) passes ``check`` first, and the AMI dialer checks
again before any Originate leaves.  Refusals are audited with their reason.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import days
from ..config import Settings
from ..i18n import N_, Refusal, coded, fill
from ..models import Callback
from . import audit
from .audit import Actor

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
TYPE_NAMES = {value: name for name, value in vars(phonenumbers.PhoneNumberType).items()
              if isinstance(value, int) and not name.startswith("_")}


# What people read for each refusal (the web says it in their language).
POLICY = {
    "not_e164": N_("That is not a phone number in international form."),
    "denied_range": N_("The dialling policy does not allow this number (premium-rate or satellite)."),
    "country": N_("The dialling policy does not allow calls to this country."),
    "number_type": N_("The dialling policy does not allow this kind of number (premium-rate, shared cost …)."),
    "daily_limit": N_("This number has been called too often today."),
}


@dataclass(frozen=True)
class PolicyRefusal:
    """Why a number is not dialled, in detail: a short code for machines, an N_ template and its values."""

    code: str  # not_e164, denied_range, country, number_type, daily_limit
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return fill(self.template, self.params)


class NumberRefused(Refusal):
    def __init__(self, number: str, refusal: PolicyRefusal) -> None:
        super().__init__(refusal.template, field="number", code=refusal.code, **refusal.params)
        self.number, self.refusal = number, refusal


class DiallingPolicy:
    def __init__(self, countries: list[str], allow_prefixes: list[str], deny_prefixes: list[str],
                 deny_types: list[str], per_day: int, timezone: str = "UTC") -> None:
        self.countries = {c.upper() for c in countries}
        self.allow_prefixes = tuple(allow_prefixes)
        self.deny_prefixes = tuple(deny_prefixes)
        self.deny_types = set(deny_types)
        self.per_day, self.timezone = per_day, timezone

    @classmethod
    def from_settings(cls, settings: Settings) -> DiallingPolicy:
        cfg = settings.dialling
        allow = list(cfg.allow_prefixes)
        if settings.lab.enabled:
            allow.append(settings.lab.customer_prefix)
        return cls(cfg.countries or [settings.phone.default_region], allow, list(cfg.deny_prefixes),
                   list(cfg.deny_types), cfg.max_callbacks_per_number_per_day, settings.timezone)

    def check(self, number: str) -> PolicyRefusal | None:
        """None if ``number`` (E.164) may be dialled; else why not."""
        if not E164.match(number):
            return PolicyRefusal("not_e164", N_("not a number in international form (+ and digits)"))
        if number.startswith(self.deny_prefixes):
            return PolicyRefusal("denied_range", N_("calls to this range (satellite or premium) are not allowed"))
        if number.startswith(self.allow_prefixes):
            return None
        parsed = phonenumbers.parse(number, None)
        region = phonenumbers.region_code_for_number(parsed)
        if not phonenumbers.is_valid_number(parsed) or region not in self.countries:
            allowed = ", ".join(sorted(self.countries))
            return PolicyRefusal("country", N_("only valid numbers in %(countries)s are called back"),
                                 {"countries": allowed})
        kind = TYPE_NAMES.get(phonenumbers.number_type(parsed), "UNKNOWN")
        if kind in self.deny_types:
            return PolicyRefusal("number_type", N_("%(kind)s numbers are not called"),
                                 {"kind": coded("number_type", kind.lower().replace("_", " "))})
        return None

    def check_quota(self, session: Session, number: str, now: dt.datetime | None = None) -> PolicyRefusal | None:
        """None unless ``number`` already has the day's allowance of callbacks (a day of the centre)."""
        if not self.per_day:
            return None
        since = days.midnight(days.today(self.timezone, now), self.timezone)
        booked = session.scalar(select(func.count()).select_from(Callback).where(
            Callback.number == number, Callback.created_at >= since)) or 0
        if booked >= self.per_day:
            return PolicyRefusal("daily_limit", N_("this number already has %(booked)s callbacks today (at most "
                                                   "%(limit)s)"), {"booked": booked, "limit": self.per_day})
        return None


def record_refusal(session: Session, actor: Actor, refused: NumberRefused, purpose: str) -> None:
    """The audit row of a refused number: who asked, for what, and why it was refused."""
    audit.record(session, "dial_refused", actor, object_type="number", object_id=refused.number,
                 outcome="refused", purpose=purpose, reason=refused.refusal.code, why=refused.refusal.message)
