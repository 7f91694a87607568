"""The soak's results as a table a person reads (the JSON line is for machines)."""
from __future__ import annotations

from typing import Any

from rich.table import Table


def _mark(ok: bool) -> str:
    return "[green]ok[/]" if ok else "[red]FAIL[/]"


def _goal(value: float | None, limit: float) -> str:
    """Whether a figure meets the issue's goal (under ``limit`` ms); blank when it was not measured."""
    return "" if value is None else f"{_mark(value < limit)} < {limit:g}"


def render(r: dict[str, Any]) -> Table:
    table = Table(title=f"Soak: {r['plan']['calls']} calls at {r['plan']['rate']}/s, "
                        f"faults: {', '.join(r['plan']['faults']) or 'none'}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("", justify="center")
    placed, closed = r["placed"], r["records_closed"]
    table.add_row("calls placed (answered by Asterisk)", str(placed), "")
    table.add_row("call records by PBX", ", ".join(f"{k}: {v}" for k, v in r.get("records_by_pbx", {}).items()), "")
    table.add_row("closed call records (complete + interrupted)",
                  f"{closed} ({r['records_complete']} + {r['records_interrupted']})", _mark(closed == placed))
    table.add_row("records still active / missing", f"{r['records_still_active']} / {len(r['missing'])}",
                  _mark(not r["missing"] and not r["records_still_active"]))
    table.add_row("duplicate call records", str(r["duplicates"]), _mark(r["duplicates"] == 0))
    table.add_row("tickets acknowledged / lost / doubled",
                  f"{r['tickets_acked']} / {len(r['tickets_lost'])} / {r['ticket_duplicates']}",
                  _mark(not r["tickets_lost"] and r["ticket_duplicates"] == 0))
    table.add_row("callbacks booked / lost / doubled",
                  f"{r['callbacks_booked']} / {len(r['callbacks_lost'])} / {r['callback_duplicates']}",
                  _mark(not r["callbacks_lost"] and r["callback_duplicates"] == 0))
    agi, pop = r["agi"], r["pop"]
    table.add_row("AGI first command p50 / p99 (ms)", f"{agi['first_p50_ms']} / {agi['first_p99_ms']}", "")
    table.add_row("AGI per command p50 / p99 (ms)", f"{agi['command_p50_ms']} / {agi['command_p99_ms']}",
                  _goal(agi["command_p99_ms"], 20))
    table.add_row("ring-to-pop p50 / p99 (ms)", f"{pop['p50_ms']} / {pop['p99_ms']} ({pop['pops']} pops)",
                  _goal(pop["p99_ms"], 300))
    behind = r.get("writer_behind", {})
    table.add_row("AMI writer behind the events p50 / p99 / max (ms)",
                  f"{behind.get('p50_ms')} / {behind.get('p99_ms')} / {behind.get('max_ms')}",
                  _goal(behind.get("max_ms"), 1000))
    calm = r.get("steady")
    if calm:
        table.add_row(f"outside the faults ({calm['fault_windows_s']} s of windows left out):", "", "")
        table.add_row("  AGI per command p50 / p99 (ms)",
                      f"{calm['agi_command_p50_ms']} / {calm['agi_command_p99_ms']}",
                      _goal(calm["agi_command_p99_ms"], 20))
        table.add_row("  ring-to-pop p50 / p99 (ms)",
                      f"{calm['pop_p50_ms']} / {calm['pop_p99_ms']} ({calm['pops']} pops)",
                      _goal(calm["pop_p99_ms"], 300))
        table.add_row("  AMI writer behind p99 / max (ms)",
                      f"{calm['writer_behind_p99_ms']} / {calm['writer_behind_max_ms']}",
                      _goal(calm["writer_behind_max_ms"], 1000))
    for hop, figures in pop.get("stages", {}).items():
        table.add_row(f"  pop stage {hop} p50 / p99 (ms)", f"{figures['p50_ms']} / {figures['p99_ms']}", "")
    t = r["transcripts"]
    table.add_row("transcripts done / backlog / failed",
                  f"{t.get('done', 0)} / {t['backlog']} / {t.get('failed', 0)}", "")
    for name, m in r["rss_mb"].items():
        growth = None if m["start"] is None or m["end"] is None else round(m["end"] - m["start"], 1)
        table.add_row(f"RSS {name} start -> end (peak) MB",
                      f"{m['start']} -> {m['end']} ({m['peak']}), {growth:+} MB"
                      + (f", restarted {m['restarts']}x" if m["restarts"] else "") if growth is not None
                      else "n/a", "")
    for fault in r["faults"]:
        table.add_row(f"fault {fault['name']} at {fault['at_s']} s: records closing again after",
                      f"{fault['recovered_s']} s", "")
    table.add_row("services that exited by themselves", ", ".join(r["services_died"]) or "none",
                  _mark(not r["services_died"]))
    table.add_row("verdict", "", _mark(r["ok"]))
    return table
