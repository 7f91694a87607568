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
    figures = {k: v for k, v in result.items() if k not in ("by_kind", "goal_p99_met", "goal_ratio_met")}
    assert all(isinstance(v, int | float) and math.isfinite(v) for v in figures.values()), figures
    assert isinstance(result["goal_p99_met"], bool) and isinstance(result["goal_ratio_met"], bool)
    assert {"paraphrase zh", "paraphrase en", "transcript"} <= set(result["by_kind"])
