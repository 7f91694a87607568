"""The shape of the code, checked: a few top-level modules, no import cycles, side effects in services only.

These fail on a change that would bring back what the back-office service
layer removed: loose modules at ``callcenter/`` top level, modules importing
each other in a circle, views or commands writing audit rows or publishing
events themselves, role sets spelled out outside ``access/roles.py``, and
``# type: ignore`` comments nobody explained.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.checks.imports import ROOT, cycles, graph, module_files

MAX_TOP_LEVEL = 10
# Where the web and the command line live: they call services, never audit or publish themselves.
THIN_LAYERS = ("web", "callcenter/cli")


def _python(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")
                  if "migrations/versions" not in p.as_posix())


def test_callcenter_has_few_top_level_modules() -> None:
    loose = sorted(p.name for p in (ROOT / "callcenter").glob("*.py"))
    assert len(loose) <= MAX_TOP_LEVEL, loose


def test_no_module_imports_itself_in_a_circle() -> None:
    edges = graph()
    assert len(edges) > 150  # the graph really was read
    assert cycles(edges) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    edges = graph()
    edges["callcenter.events"] = {*edges["callcenter.events"], "callcenter.bus"}
    assert ["callcenter.bus", "callcenter.events"] in cycles(edges)


def _calls(path: Path) -> list[tuple[int, str]]:
    """``name.attr(`` calls in a file, as (line, "name.attr")."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            found.append((node.lineno, f"{name}.{node.func.attr}"))
    return found


def test_views_api_and_cli_never_audit_or_publish_themselves() -> None:
    offending = []
    for path in _python(*THIN_LAYERS):
        for line, call in _calls(path):
            if call == "audit.record" or call.endswith((".publish", "._publish")):
                offending.append(f"{path.relative_to(ROOT)}:{line} {call}")
    assert offending == []


def test_only_services_and_notifiers_publish() -> None:
    """Every publish goes through a notifier (or the bus itself, or the AMI writer that is the bridge's outbox)."""
    allowed = {"callcenter/bus.py", "callcenter/ami/writer.py"}
    offending = []
    for path in _python("callcenter", "web"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed or rel.endswith("notifier.py"):
            continue
        offending += [f"{rel}:{line} {call}" for line, call in _calls(path)
                      if call.endswith("bus.publish") or call == "self._publish"]
    assert offending == []


def test_role_sets_are_named_once() -> None:
    """A tuple, list or set of two or more roles outside access/roles.py is a role set written again."""
    offending = []
    for path in _python("callcenter", "web"):
        if path == ROOT / "callcenter/access/roles.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                roles = [e for e in node.elts if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name)
                         and e.value.id == "Role"]
                if len(roles) >= 2:
                    offending.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offending == []


def test_every_type_ignore_says_why() -> None:
    """An ignore needs a code and, on its own line or the line above, a comment saying why."""
    unexplained = []
    for path in _python("callcenter", "web", "tests", "bench", "tools"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "type: ignore" not in line or path.name == "test_layout.py":
                continue
            coded = re.search(r"type: ignore\[[a-z-, ]+\]", line)
            before = line.split("#")[0].strip() == "" or lines[i - 1].strip().startswith("#")
            after = re.search(r"type: ignore\[[^\]]*\]\s*[-#(].+", line)
            if not coded or not (before or after):
                unexplained.append(f"{path.relative_to(ROOT)}:{i + 1}")
    assert unexplained == []


def test_every_module_is_in_the_graph() -> None:
    """Nothing hides from the checks above: each source file of both packages is a module in the graph."""
    files = module_files()
    assert "callcenter.tickets.service" in files and "web.desk.routes" in files
    assert set(files) == set(graph())
