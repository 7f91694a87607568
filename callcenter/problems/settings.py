"""The ``[problems]`` settings: how similar tickets are found."""
from __future__ import annotations

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
