"""Page numbers for every long list: which page was asked for, how many there are, that page's rows.

Pages render the numbers with the pager macro (``templates/_pager.html``);
a page past the last shows the last, so an old link still lands somewhere.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from callcenter.inputs.parsers import Args

MAX_PAGES = 100_000


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    pages: int  # at least 1
    total: int  # rows over every page
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_for(read: Args, total: int, size: int) -> Page:
    """The page ``?page=`` asks for (bad values are page 1, noted by ``read``), within the pages there are."""
    pages = max(1, -(-total // size))
    return Page(min(read.whole("page", 1, MAX_PAGES) or 1, pages), pages, total, size)


def rows_of(session: Session, query: Select[Any], read: Args, size: int) -> tuple[Sequence[Any], Page]:
    """One page of ``query`` (already ordered, with a tie-breaker) and where it stands among the others."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = page_for(read, total, size)
    return session.scalars(query.offset(page.offset).limit(size)).all(), page
