"""The knowledge benchmark runs end to end on a tiny corpus and prints every figure (its timings are not judged)."""
from __future__ import annotations

import json
import math

import pytest

from bench import knowledge


def test_the_bench_prints_every_figure_as_its_last_line(pg_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    knowledge.main(["--articles", "40", "--tickets", "600", "--queries", "60", "--pg-tickets", "300"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == set(knowledge.KEYS)
    assert result["articles"] == 40 and result["tickets"] == 600 and result["pg_tickets"] == 300
    assert result["queries"] == 60 and result["words_checked"] > 0 and result["shown_per_query"] > 0
    goals = [k for k in result if k.startswith("goal_") and k.endswith(("_met", "_met_cpu"))]
    figures = {k: v for k, v in result.items() if k != "by_kind" and k not in goals}
    assert all(isinstance(v, int | float) and math.isfinite(v) for v in figures.values()), figures
    assert len(goals) == 4 and all(isinstance(result[k], bool) for k in goals)
    assert {"paraphrase zh", "paraphrase en", "transcript"} <= set(result["by_kind"])
