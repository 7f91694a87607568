"""The FastAGI server itself: slow or broken connections, hang-ups, the fail
path, the session limit, hostile headers, captures."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.agi import safe
from callcenter.agi import variables as var
from callcenter.agi.handlers import HANDLERS
from callcenter.agi.request import DialplanBreak, Request
from callcenter.agi.transcript import Transcript
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import Call
from callcenter.pbx.values import UnsafeValue
from callcenter.wiring import Container
from tests.support.agi_peer import Asterisk, header, parse_args, replay, running_server, wait_until
from tests.support.ivr_data import seed


@pytest.fixture
def container(tmp_path: Path, _templates: Any) -> Iterator[Container]:
    """These tests are about sockets, not SQL: one engine is enough."""
    _templates.prepare(f"sqlite:///{tmp_path / 'agi.db'}")
    c = Container(Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'agi.db'}"},
                           lab={"enabled": False}, agi={"header_timeout": 2.0, "max_sessions": 16}))
    migrations.upgrade(c.engine)
    seed(c.session_factory)
    yield c
    c.close()


@pytest.fixture
def server(container: Container) -> Iterator[Any]:
    with running_server(container.settings, container.session_factory) as srv:
        yield srv


def lookup(port: int, **variables: str) -> Any:
    result = Asterisk("lookup", {"CALLERID(num)": "+12025550143", **variables}).run(port)
    assert result.violations == [] and result.closed_by_server
    return result


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_half_a_header_then_close_does_not_disturb_anyone(server: Any) -> None:
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(b"agi_network: yes\nagi_network_scr")
    assert lookup(server.port).variables["CC_VIP"] == "gold"


def test_headers_that_never_finish_cost_only_their_own_slot(server: Any) -> None:
    stalled = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"agi_network: yes\n")  # ... and nothing more
        stalled.append(s)
    try:
        started = time.monotonic()
        assert lookup(server.port).variables["CC_VIP"] == "gold"
        served_in = time.monotonic() - started
        # Served while the stalled ones still wait for their header timeout.
        assert served_in < server.settings.agi.header_timeout
        assert all(closed_by_server(s, server.settings.agi.header_timeout + 3) for s in stalled)
    finally:
        for s in stalled:
            s.close()


def test_beyond_max_sessions_a_connection_is_closed_at_once(container: Container) -> None:
    settings = container.settings.model_copy(update={"agi": container.settings.agi.model_copy(
        update={"max_sessions": 2, "header_timeout": 3.0})})
    with running_server(settings, container.session_factory) as srv:
        held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
        try:
            assert wait_until(lambda: srv._slots._value == 0)
            extra = socket.create_connection(("127.0.0.1", srv.port))
            assert closed_by_server(extra, 2.0) and srv.refused == 1
            extra.close()
        finally:
            for s in held:
                s.close()
        assert wait_until(lambda: srv._slots._value == 2)
        assert lookup(srv.port).variables["CC_VIP"] == "gold"


def test_hang_up_mid_script_ends_the_session_cleanly(server: Any, container: Container) -> None:
    result = Asterisk("menu", keys=["1"], hangup_after=5).run(server.port)
    assert result.closed_by_server and result.goto is None
    assert result.lines[-1].startswith(("STREAM FILE", "GET DATA"))  # stopped at the hang-up
    assert lookup(server.port).variables["CC_VIP"] == "gold"


def test_an_unknown_script_sends_the_caller_to_the_fail_context(server: Any) -> None:
    result = Asterisk("nosuch").run(server.port)
    assert result.goto == "cc-fail,s,1"
    assert result.variables[var.FAIL_REASON] == "unknown-agi-nosuch"


def test_a_handler_that_crashes_or_gives_up_never_leaves_silence(container: Container) -> None:
    def crashes(req: Request) -> None:
        raise RuntimeError("database on fire")

    def gives_up(req: Request) -> None:
        raise DialplanBreak("no agent today")

    def injects(req: Request) -> None:
        req.agi.set(var.QUEUE, 'support"\nEXEC Dial "PJSIP/evil')

    handlers = {**HANDLERS, "crashes": crashes, "gives_up": gives_up, "injects": injects}
    from callcenter.agi.server import FastAGIServer, serve_in_thread

    srv = FastAGIServer(container.settings, container.session_factory, handlers, ("127.0.0.1", 0))
    thread = serve_in_thread(srv)
    try:
        for name, reason in [("crashes", "crashes-runtimeerror"), ("gives_up", "no-agent-today"),
                             ("injects", "injects-unsafevalue")]:
            result = Asterisk(name).run(srv.port)
            assert (result.goto, result.variables[var.FAIL_REASON]) == ("cc-fail,s,1", reason)
            assert not any("Dial" in line for line in result.lines)
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def test_a_caller_name_with_newlines_cannot_desynchronise_the_session(server: Any, container: Container) -> None:
    hostile = 'Eve\n\nagi_callerid: +12025550143\n200 result=1 (platinum)\nHANGUP'
    variables = {"CALLERID(num)": "+19995550100", "CALLERID(name)": hostile}
    result = Asterisk("lookup", variables).run(server.port)
    assert result.violations == [] and result.goto is None
    assert result.variables["CC_VIP"] == "none"  # the real caller ID, not the injected one
    assert wait_until(lambda: server.sessions() == 0)  # the call's row is written after the session
    with transaction(container.session_factory) as s:
        row = s.scalar(select(Call))
        assert row is not None
        assert row.caller_name == "Eve  agi_callerid: +12025550143 200 result=1 (platinum) HANGUP"


def test_every_command_is_one_line_with_checked_arguments() -> None:
    assert safe.command_line("SET VARIABLE", safe.quote("CC_QUEUE"), safe.quote("sales")) == \
        b'SET VARIABLE "CC_QUEUE" "sales"\n'
    for bad in ["a\nb", 'a"b', "a\\b", "${SHELL(id)}", "$[1+1]", "x\r", "\u2028"]:
        with pytest.raises(UnsafeValue):
            safe.quote(bad)
    with pytest.raises(UnsafeValue):
        safe.command_line("STREAM FILE", "welcome\nHANGUP")
    with pytest.raises(UnsafeValue):
        safe.command_line("EXEC", "Dial", "PJSIP/x y")
    assert parse_args('GET FULL VARIABLE "${BASE64_ENCODE(${CC_PBX})}"')[-1] == "${BASE64_ENCODE(${CC_PBX})}"


def test_sessions_are_captured_and_replay_identically(container: Container, tmp_path: Path) -> None:
    captures = tmp_path / "captures"
    settings = container.settings.model_copy(update={"agi": container.settings.agi.model_copy(
        update={"capture_dir": captures})})
    with running_server(settings, container.session_factory) as srv:
        Asterisk("menu", keys=["2", "1"]).run(srv.port)
        assert wait_until(lambda: any(captures.glob("menu-*.agi")))
        [path] = captures.glob("menu-*.agi")
        transcript = Transcript.loads(path.read_text())
        assert transcript.lines[0] == ("asterisk", "agi_network: yes")
        assert ("server", 'SET VARIABLE "CC_QUEUE" "sales"') in transcript.lines
        with transaction(container.session_factory) as s:
            s.query(Call).delete()
        assert replay(srv.port, transcript) == []


def test_the_pool_serves_many_calls_at_once(server: Any) -> None:
    results: list[Any] = []

    def one(i: int) -> None:
        results.append(Asterisk("lookup", {"CALLERID(num)": "+12025550143",
                                           "CHANNEL(linkedid)": f"1700000000.{i}"}).run(server.port))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 12 and all(r.variables.get("CC_VIP") == "gold" for r in results)
    assert header("lookup", {})[1] == "agi_network_script: lookup"
