"""API token scopes: ``<resource>:read`` or ``<resource>:write``, named once.

Each API endpoint declares the one scope it needs; a token carries a list.
People may type the short forms ``read`` (every ``:read``), ``write`` (every
``:write``) and ``all``.  Write does not imply read: a token does exactly
what its list says, so a read-only CRM export cannot be widened by accident.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..i18n import N_, Refusal

# Only scopes some endpoint needs: a scope that grants nothing would only confuse.
ALL = ("calls:read", "tickets:read", "tickets:write", "customers:read", "customers:write",
       "callbacks:read", "callbacks:write", "surveys:read", "transcripts:read",
       # The knowledge base's articles (writing is drafts for agents, as on the pages).
       "knowledge:read", "knowledge:write",
       # The centre's set-up: users, teams, agent profiles, queues, skills, wrap-up codes (admins only).
       "admin:read", "admin:write")
READ = tuple(s for s in ALL if s.endswith(":read"))
WRITE = tuple(s for s in ALL if s.endswith(":write"))
SHORT = {"read": READ, "write": WRITE, "all": ALL}
# What a new token gets when nobody chose: least privilege.
DEFAULT = READ


class ScopeError(Refusal):
    """Scopes a token cannot have."""


def parse(value: str | Iterable[str]) -> list[str]:
    """Scopes from text ("tickets:read tickets:write", "read", commas allowed) or a list, in ALL's order."""
    words = re.split(r"[\s,]+", value) if isinstance(value, str) else list(value)
    wanted: set[str] = set()
    for word in (w.strip().lower() for w in words):
        if not word:
            continue
        if word in SHORT:
            wanted.update(SHORT[word])
        elif word in ALL:
            wanted.add(word)
        else:
            raise ScopeError(N_("Unknown scope %(scope)s; use read, write, all or one of: %(all)s"), code="bad_scope",
                             scope=repr(word), all=" ".join(ALL))
    if not wanted:
        raise ScopeError(N_("A token needs at least one scope."), code="no_scope")
    return [s for s in ALL if s in wanted]


def allows(granted: Iterable[str], needed: str) -> bool:
    return needed in set(granted)


def describe(granted: Iterable[str]) -> str:
    """The shortest honest text for a list: "read", "all", or the scopes themselves."""
    have = set(granted)
    for word, members in (("all", ALL), ("read", READ), ("write", WRITE)):
        if have == set(members):
            return word
    return " ".join(s for s in ALL if s in have)
