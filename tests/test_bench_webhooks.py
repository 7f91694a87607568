"""The webhook benchmark runs end to end on a few changes, on both engines, and prints every figure as its
last line (its timings are not judged: the receiver verifies each delivery, and every one must arrive)."""
from __future__ import annotations

import json

import pytest

from bench import webhooks


def test_the_bench_prints_every_figure_as_its_last_line(pg_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    webhooks.main(["--changes", "40", "--steady", "20", "--rate", "20"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for engine in ("sqlite", "postgresql"):
        e = result[engine]
        assert e["deliveries"] == 80 and e["steady_deliveries"] == 40 and e["missing"] == 0, e
        assert e["all_delivered"] is True
        assert min(e["ours_per_s"], e["bare_per_s"], e["bare_urllib3_per_s"]) > 0 and e["lag_p99_ms"] > 0
    assert result["all_delivered"] is True
    assert isinstance(result["goal_ratio_met"], bool) and isinstance(result["goal_p99_met"], bool)
