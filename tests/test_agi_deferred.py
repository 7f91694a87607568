"""What the IVR learnt is stored after the caller moved on: merged into the
call's row whoever created it, in any order, and one bad write spoils
nothing else."""
from __future__ import annotations

import functools
import threading

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from callcenter.agi.deferred import DeferredWrites
from callcenter.agi.handlers.lookup import store_call
from callcenter.agi.handlers.menu import store_choice
from callcenter.agi.request import Request
from callcenter.calls.records import ensure_call, merge_call
from callcenter.models import Call, Queue


class _Request(Request):
    """The part of an AGI request DeferredWrites uses (no channel, settings or session)."""

    def __init__(self, name: str, *work) -> None:
        self.name, self.later = name, list(work)


def _lookup(linkedid: str, number: str | None, customer_id: int | None = None):
    return functools.partial(store_call, pbx="lab", linkedid=linkedid, raw_number=number or "anonymous",
                             raw_name='Eve "x"\r\nAction: Originate', did="100", number=number,
                             customer_id=customer_id, language="en")


def _boom(db: Session) -> None:
    db.add(Call(pbx="lab", linkedid="dup", started_at=None))  # NOT NULL violated at flush
    db.flush()


def test_every_call_is_stored_once_and_a_bad_write_spoils_nothing_else(container) -> None:
    with container.session_factory.begin() as db:
        db.add(Queue(name="sales", display_name="Sales"))
    writes = DeferredWrites(container.session_factory, 2)
    gate = threading.Lock()

    def blocker(db: Session) -> None:
        gate.acquire()
        gate.release()

    with gate:  # hold the writers back so a queue builds up
        writes.submit(_Request("blocker", blocker))
        for i in range(50):
            choice = {"path": "queue", "keys": ["2"], "category": "sales", "queue": "sales"}
            writes.submit(_Request("lookup", _lookup(f"c{i}", f"+1202555{i:04d}")))
            writes.submit(_Request("menu", _boom if i == 7 else functools.partial(
                store_choice, pbx="lab", linkedid=f"c{i}", choice=choice, queue="sales")))
    writes.close()
    assert writes.pending == 0
    with container.session_factory() as db:
        calls = {c.linkedid: c for c in db.scalars(select(Call))}
        sales = db.scalar(select(Queue.id).where(Queue.name == "sales"))
    assert sorted(calls) == sorted(f"c{i}" for i in range(50))
    for i in range(50):
        call = calls[f"c{i}"]
        assert call.caller_number == f"+1202555{i:04d}"
        assert call.caller_name == 'Eve "x"  Action: Originate'  # stored as text, line breaks gone
        if i == 7:
            assert call.queue_id is None and call.ivr == {}
        else:
            assert call.queue_id == sales and call.queue_name == "sales"
            assert call.ivr["category"] == "sales" and call.ivr["keys"] == ["2"]


def test_merge_fills_what_others_left_empty_and_merges_the_ivr_choices(container) -> None:
    with container.session_factory.begin() as db:
        # The AMI bridge came first, with the caller's number and its own IVR facts.
        ensure_call(db, "lab", "x1", caller_number="+12025550100", ivr={"lang": "zh"})
    with container.session_factory.begin() as db:
        merge_call(db, "lab", "x1", fill={"caller_number": "+19999999999", "did": "100"},
                   overwrite={"language": "en"}, ivr={"category": "sales", "keys": ["2"]})
        merge_call(db, "lab", "x1", ivr={"ticket_status": "open"})
        merge_call(db, "lab", "new", fill={"did": "200"}, ivr={"category": "support"})
    with container.session_factory() as db:
        first = db.scalar(select(Call).where(Call.linkedid == "x1"))
        new = db.scalar(select(Call).where(Call.linkedid == "new"))
    assert first.caller_number == "+12025550100"  # kept: filled only when empty
    assert first.did == "100" and first.language == "en"
    assert first.ivr == {"lang": "zh", "category": "sales", "keys": ["2"], "ticket_status": "open"}
    assert new.did == "200" and new.ivr == {"category": "support"} and new.status.value == "active"


def test_writes_wait_for_the_database_to_come_back(container) -> None:
    attempts = {"n": 0}

    def restarting_database() -> Session:
        attempts["n"] += 1
        if attempts["n"] <= 2:
            raise OperationalError("connect", {}, ConnectionRefusedError("the database is restarting"))
        session: Session = container.session_factory()
        return session

    # A plain function stands in for the sessionmaker: DeferredWrites only calls it.
    writes = DeferredWrites(restarting_database, 1)  # type: ignore[arg-type]
    writes.submit(_Request("lookup", _lookup("r1", "+12025550111")))
    writes.close()
    with container.session_factory() as db:
        call = db.scalar(select(Call).where(Call.linkedid == "r1"))
    assert attempts["n"] == 3 and call is not None and call.caller_number == "+12025550111"
