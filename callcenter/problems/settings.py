"""The ``[problems]`` settings: how similar tickets are found."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ProblemSettings(BaseModel):
    """Similar open tickets: how far back, how many looked at, how alike they must be."""

    # Open tickets created within this many days are compared (an outage's calls come within days).
    similar_days: int = Field(default=14, ge=1, le=365)
    # The newest open tickets looked at: same category first, then any (keeps a lookup fast on big tables).
    similar_pool: int = Field(default=4000, ge=100, le=50_000)
    # Shown when at least this alike (0..1, cosine of the words after one round of query expansion).
    similar_threshold: float = Field(default=0.1, gt=0, lt=1)
    # At most this many listed (the page shows the first few, then "show all").
    similar_limit: int = Field(default=50, ge=1, le=500)

    # Incident mode.  A surge: this many similar new tickets within this many minutes proposes an incident
    # (the wallboard shows it; a supervisor declares or dismisses it).  0 switches the watch off.
    surge_count: int = Field(default=10, ge=0, le=10_000)
    surge_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Calls surge too, before anyone has filed a ticket: a queue's calls in the last surge_minutes propose an
    # incident for that queue when they are at least surge_count and call_surge_factor times the queue's usual
    # for as long (its average over the call_surge_baseline_days before).  0 switches the call watch off.
    call_surge_factor: float = Field(default=3.0, ge=0, le=100)
    call_surge_baseline_days: int = Field(default=7, ge=1, le=90)
    # What callers hear before the menu: a declared message is cut at a sentence end within this.
    incident_max_chars: int = Field(default=300, ge=40, le=1000)
    # Telling subscribers it is fixed: an outbound call (calling hours and the dialling policy apply),
    # tried this many times, this far apart, ringing this long.
    notice_attempts: int = Field(default=2, ge=1, le=5)
    notice_retry_minutes: int = Field(default=30, ge=1, le=24 * 60)
    notice_ring_seconds: int = Field(default=30, ge=5, le=120)
    # Solving a problem, a caller with only a phone gets the reply by "sms" (a call speaking it when no SMS
    # can be sent), always by "call", or only by SMS ("sms_only": nobody is called).
    phone_reply: Literal["sms", "call", "sms_only"] = "sms"
    # Recurring issues (problems/recurring.py): the last this many days' tickets, at most this many (newest),
    # grouped when at least cluster_min_size lie within cluster_distance (cosine, 0..1) of each other.
    cluster_days: int = Field(default=14, ge=1, le=90)
    cluster_max: int = Field(default=5000, ge=100, le=50_000)
    cluster_min_size: int = Field(default=5, ge=2, le=1000)
    cluster_distance: float = Field(default=0.45, gt=0, lt=1)
