from __future__ import annotations

import pytest

from callcenter import tickets, ticket_numbers
from callcenter.calls import ensure_call
from callcenter.db import transaction
from callcenter.models import Priority, TicketStatus

from .webtools import make_user


def test_create_numbers_links_and_records(session_factory) -> None:  # type: ignore[no-untyped-def]
    uid = make_user(session_factory, "ann", "agent")
    with transaction(session_factory) as s:
        call = ensure_call(s, "lab", "1.1", language="zh")
        from callcenter.models import User
        t = tickets.create(s, actor=s.get(User, uid), call=call, subject="No dial tone", category="support")
        assert ticket_numbers.is_valid(t.number) and call.ticket_id == t.id and t.language == "zh"
        assert [(c.field, c.new_value) for c in t.changes] == [("status", "new")]


def test_changes_are_rows_and_sla_pause_is_kept(session_factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(session_factory) as s:
        t = tickets.create(s, subject="x")
        rows = tickets.change(s, t, status="pending", priority="urgent", reason="waiting on customer")
        assert {r.field for r in rows} == {"status", "priority"}
        assert t.sla_paused_at is not None and t.priority is Priority.URGENT
        assert tickets.change(s, t, priority="urgent") == []  # no-op changes leave no row
        tickets.change(s, t, status="open")
        assert t.sla_paused_at is None and t.sla_paused_seconds >= 0
        tickets.change(s, t, status="resolved")
        assert t.resolved_at is not None and t.status is TicketStatus.RESOLVED
        with pytest.raises(tickets.TicketError):
            tickets.change(s, t, description="not tracked")
        with pytest.raises(tickets.TicketError):
            tickets.add_note(s, t, "   ", author=None)
