"""The load and fault suite, shortened: 20 real calls (four of them booking a
callback in the IVR), half through the lab PBX and half through its second
instance b, into every service running as its own
process on a private PostgreSQL, tickets filed over the API meanwhile, the AMI
bridge killed with -9 mid-load and the database stopped for 10 s.  Nothing may
be lost or doubled, and no service may die of it.  The full
run is `make soak` (tests/soak/run.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require
from tests.soak.pg import PrivatePostgres
from tests.soak.run import Plan, run_soak
from tests.support.sipp import require_tool

pytestmark = pytest.mark.pbx


def test_twenty_calls_into_two_pbxs_with_bridge_and_database_faults_lose_nothing(
        lab_pbx, lab_pbx_b, tmp_path: Path) -> None:
    require_tool("sipp")
    require(PrivatePostgres.available() is None, "PostgreSQL server binaries (initdb)")
    plan = Plan(calls=20, rate=0.5, concurrent=10, talk_ms=4000, callback_share=0.2, ticket_every=4.0,
                faults=("bridge", "postgres"), pg_outage=10.0, drain_timeout=90)
    r = run_soak(plan, lab_pbx, tmp_path, say=lambda _m: None, others=[lab_pbx_b])

    assert r["placed"] >= 18, r                            # the PBX answered (almost) every call
    assert r["missing"] == [] and r["records_still_active"] == 0, r
    assert set(r["records_by_pbx"]) == {"lab", "b"} and min(r["records_by_pbx"].values()) >= 7, r
    assert r["records_closed"] == r["placed"], r           # one closed record per placed call
    assert r["duplicates"] == 0, r
    assert r["calls_reached_agent"] >= 12, r               # through IVR and queue to a person
    assert r["tickets_acked"] >= 5 and r["tickets_lost"] == [] and r["ticket_duplicates"] == 0, r
    assert r["callbacks_booked"] >= 1 and r["callbacks_lost"] == [] and r["callback_duplicates"] == 0, r
    assert [f["name"] for f in r["faults"]] == ["bridge", "postgres"], r
    assert r["rss_mb"]["ami"]["restarts"] == 1 and r["services_died"] == [], r
    assert r["agi"]["sessions"] >= 20 and r["agi"]["command_p99_ms"] is not None, r
    assert r["pop"]["pops"] >= 1, r
    assert r["ok"], r
