from __future__ import annotations

import pytest

from callcenter.access.audit import Actor
from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.models import Priority, TicketStatus
from callcenter.tickets import numbers as ticket_numbers
from callcenter.tickets.service import TicketError
from tests.support import services
from tests.support.services import TEST

from .webtools import make_user


def test_create_numbers_links_and_records(session_factory) -> None:
    uid = make_user(session_factory, "ann", "agent")
    tickets = services.tickets()
    with transaction(session_factory) as s:
        call = ensure_call(s, "lab", "1.1", language="zh")
        from callcenter.models import User
        user = s.get(User, uid)
        assert user is not None
        t = tickets.create(s, Actor.of(user), call=call, subject="No dial tone", category="support")
        assert t.number is not None and ticket_numbers.is_valid(t.number)
        assert call.ticket_id == t.id and t.language == "zh"
        assert [(c.field, c.new_value) for c in t.changes] == [("status", "new")]


def test_changes_are_rows_and_sla_pause_is_kept(session_factory) -> None:
    tickets = services.tickets()
    with transaction(session_factory) as s:
        t = tickets.create(s, TEST, subject="x")
        rows = tickets.change(s, t, TEST, status="pending", priority="urgent", reason="waiting on customer")
        assert {r.field for r in rows} == {"status", "priority"}
        # Through a local: narrowing t.sla_paused_at here would make mypy call the "is None" check below unreachable.
        paused_at = t.sla_paused_at
        assert paused_at is not None and t.priority is Priority.URGENT
        assert tickets.change(s, t, TEST, priority="urgent") == []  # no-op changes leave no row
        tickets.change(s, t, TEST, status="open")
        assert t.sla_paused_at is None and t.sla_paused_seconds >= 0
        tickets.change(s, t, TEST, status="resolved")
        assert t.resolved_at is not None and t.status is TicketStatus.RESOLVED
        with pytest.raises(TicketError):
            tickets.change(s, t, TEST, description="not tracked")
        with pytest.raises(TicketError):
            tickets.add_note(s, t, "   ", TEST)


def test_ticket_page_title_is_plain_text(client, shop) -> None:
    """The browser tab reads "Ticket 1000017 · Call Center": the click-to-call script is loaded with the
    page, not inside the title (it showed as markup in every ticket's tab)."""
    import re

    from .deskdata import PASSWORD
    from .webtools import sign_in

    sign_in(client, "ada", PASSWORD)
    html = client.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None and "<" not in title.group(1) and shop.ticket_number in title.group(1)
    assert 'src="/static/dial.js"' in html
