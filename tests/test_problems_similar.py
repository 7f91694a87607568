"""Similar open tickets on SQLite and PostgreSQL: one outage's callers found in their own words, others not."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import Ticket, TicketStatus, utcnow
from callcenter.wiring import Container

from .support.parcels import OTHER, OTHER_CATEGORIES, STUCK


@pytest.fixture
def outage(container: Container) -> dict[str, list[int]]:
    """The 30 stuck-parcel tickets and the 10 others, opened at the desk as agents write them."""
    made: dict[str, list[int]] = {"stuck": [], "other": []}
    with transaction(container.session_factory) as s:
        for subject, description in STUCK:
            made["stuck"].append(container.tickets.create(s, Actor.system("test"), subject=subject,
                                                          description=description, category="delivery").id)
        for (subject, description), category in zip(OTHER, OTHER_CATEGORIES, strict=True):
            made["other"].append(container.tickets.create(s, Actor.system("test"), subject=subject,
                                                          description=description, category=category).id)
    return made


def _found(container: Container, ticket_id: int) -> set[int]:
    with container.read_session_factory() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        return {a.ticket_id for a in container.similar_tickets.for_ticket(s, ticket)}


def test_one_outages_tickets_are_found_in_their_own_words(container: Container, outage) -> None:
    stuck, other = set(outage["stuck"]), set(outage["other"])
    recall, strays = [], []
    for ticket_id in outage["stuck"]:
        found = _found(container, ticket_id)
        recall.append(len(found & stuck) + 1)  # the ticket asked about is one of the 30
        strays.append(len(found & other))
    # Each of the 30 finds at least 28 of the 30 (itself included) and at most one of the 10.
    assert min(recall) >= 28 and max(strays) <= 1, (recall, strays)
    # A ticket about something else is not drawn into the outage: at most the two that also speak of an
    # order (订单) come up for the missing item, and nothing for the others.
    drawn = [len(_found(container, ticket_id) & stuck) for ticket_id in outage["other"][3:]]
    assert max(drawn) <= 2 and sum(drawn) <= 2, drawn


def test_the_intake_form_finds_them_before_the_ticket_exists(container: Container, outage) -> None:
    with container.read_session_factory() as s:
        found = container.similar_tickets.for_text(s, "客户说快递卡在中转站好几天了", category="delivery")
    ids = [a.ticket_id for a in found]
    assert len(set(ids) & set(outage["stuck"])) >= 28 and not set(ids) & set(outage["other"])
    best = found[0]
    assert best.score >= found[-1].score and "快递" in best.shared and best.status == "new"
    assert best.number and best.category == "delivery"


def test_only_open_recent_and_visible_tickets_are_offered(container: Container, outage) -> None:
    closed, old, hidden = outage["stuck"][1], outage["stuck"][2], outage["stuck"][3]
    with transaction(container.session_factory) as s:
        s.execute(update(Ticket).where(Ticket.id == closed).values(status=TicketStatus.CLOSED))
        s.execute(update(Ticket).where(Ticket.id == old).values(created_at=utcnow() - dt.timedelta(days=30)))
    with container.read_session_factory() as s:
        ticket = s.get(Ticket, outage["stuck"][0])
        assert ticket is not None
        found = {a.ticket_id for a in container.similar_tickets.for_ticket(s, ticket, visible=Ticket.id != hidden)}
        assert outage["stuck"][4] in found and not {closed, old, hidden, ticket.id} & found
        # Nothing to go on: nothing offered, not every open ticket.
        assert container.similar_tickets.for_text(s, "，。 ") == []
        assert s.scalar(select(Ticket.status).where(Ticket.id == closed)) is TicketStatus.CLOSED


def test_the_kept_window_follows_closing_new_tickets_transcripts_and_deletion(container: Container, outage) -> None:
    from callcenter.models import Call, Transcript, TranscriptStatus

    stuck = outage["stuck"]
    assert stuck[1] in _found(container, stuck[0])  # the window is built
    with transaction(container.session_factory) as s:
        closed = s.get(Ticket, stuck[1])
        assert closed is not None
        container.tickets.change(s, closed, Actor.system("test"), status=TicketStatus.CLOSED, reason="done")
        fresh = container.tickets.create(s, Actor.system("test"), subject="包裹卡在中转站好几天",
                                         description="物流不更新", category="delivery").id
        call = Call(pbx="lab", linkedid="window-1", started_at=utcnow(), caller_number="+12025550100")
        s.add(call)
        s.flush()
        spoken = container.tickets.create(s, Actor.system("test"), subject="来电", category="delivery", call=call).id
        gone = stuck[2]
    found = _found(container, stuck[0])
    assert stuck[1] not in found and fresh in found and spoken not in found
    with transaction(container.session_factory) as s:  # the call's words arrive with its transcript, later
        s.add(Transcript(call_id=call.id, status=TranscriptStatus.DONE,
                         text="我的快递卡在中转站了，物流一直不更新，包裹不动"))
    with transaction(container.session_factory) as s:
        s.delete(s.get(Ticket, gone))
    found = _found(container, stuck[0])
    assert spoken in found and gone not in found
