"""The bulk benchmark runs end to end on a few tickets and prints every figure (its timings are not judged)."""
from __future__ import annotations

import json

import pytest

from bench import bulk


def test_the_bench_prints_every_figure_as_its_last_line(pg_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    bulk.main(["--bulk", "40", "--tickets", "3000", "--lookups", "10"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for engine in ("sqlite", "postgresql"):
        b = result[engine]
        assert b["tickets"] == b["done"] == b["audited"] == b["history_rows"] == b["replies"] == 40, b
        assert b["failed"] == 0 and b["ours_per_s"] > 0 and b["bare_per_s"] > 0
    s = result["similar"]
    assert s["tickets"] == 3000 and s["lookups"] == 10 and s["ours_p99_ms"] > 0 and s["bare_p99_ms"] > 0
    assert result["all_audited"] is True
    assert isinstance(result["goal_rate_met"], bool) and isinstance(result["goal_similar_met"], bool)
