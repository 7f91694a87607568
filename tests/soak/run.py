"""The load and fault suite: real calls through IVR, queue and agents on the
lab PBX, every service in its own process on a private PostgreSQL, then
kill -9 of Asterisk, the AMI bridge and the dispatcher and a stopped
database while the calls keep coming.  It ends with a table and one JSON
line; it exits 1 if anything was lost or doubled.

    .venv/bin/python -m tests.soak.run [--minutes 10] [--rate 5] [--concurrent 60] [--calls N] [--pbxes 2]

With two PBXs (the default: the lab and its second instance "b"), half the
callers ring each, the agents' phones answer both, and the Asterisk killed
is b: the lab's calls must go on untouched.

(`make soak`; tests/test_soak_short.py runs a two-minute version.)
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import signal
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from callcenter import migrations
from callcenter.cli.services import SERVICE_NAMES
from callcenter.config import Settings
from callcenter.pbx.lab import LabPBX
from callcenter.wiring import Container
from tests.soak import ledger
from tests.soak.pg import PrivatePostgres, free_port
from tests.soak.probes import Probes
from tests.soak.procs import ServiceProcess, _children, rss_mb, write_config
from tests.soak.report import render
from tests.soak.traffic import SoakAgent, SoakCaller, numbers
from tests.soak.verdict import verdict
from tests.soak.world import AGENTS, TicketClient, seed

# When each fault strikes, as a share of the time calls are being placed.
FAULT_AT = {"asterisk": 0.35, "bridge": 0.5, "dispatcher": 0.6, "postgres": 0.7}
AGI_DIALLED = 4573  # AGI_URL in asterisk-conf/extensions.conf
SERVICE_OF = {"bridge": "ami", "dispatcher": "dispatcher"}  # fault -> the service it kills


@dataclass
class Plan:
    minutes: float = 10.0
    rate: float = 5.0               # new calls per second
    concurrent: int = 60            # calls up at once at most
    calls: int | None = None        # default: rate x minutes
    talk_ms: int = 8000             # the agent talks, then hangs up
    callback_share: float = 0.1     # callers who press 9 then 1: "call me back"
    ticket_every: float = 2.0       # the CRM files a ticket this often (s)
    faults: tuple[str, ...] = ("asterisk", "bridge", "dispatcher", "postgres")
    pg_outage: float = 60.0
    drain_timeout: float = 240.0

    @property
    def total(self) -> int:
        return self.calls or round(self.rate * self.minutes * 60)

    @property
    def placing_seconds(self) -> float:
        return self.total / self.rate


@dataclass
class Fault:
    name: str
    at: float                        # seconds into the load
    done: bool = False
    started_utc: Any = None
    restarted_utc: Any = None
    restore_at: float | None = None


@dataclass
class Soak:
    plan: Plan
    lab: LabPBX
    workdir: Path
    pg: PrivatePostgres
    say: Callable[[str], None]
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    asterisk_rss: list[float] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    died: list[str] = field(default_factory=list)   # services that exited on their own
    others: list[LabPBX] = field(default_factory=list)  # more lab Asterisks taking half the callers

    @property
    def labs(self) -> list[LabPBX]:
        return [self.lab, *self.others]

    @property
    def victim(self) -> LabPBX:
        """The Asterisk the "asterisk" fault kills: the last, so with two the lab's calls must go on."""
        return self.labs[-1]

    # -- setting up ----------------------------------------------------------
    def boot(self) -> tuple[Container, str, int]:
        """Migrate, seed, start every service as its own process, point the lab at the soak queue."""
        web_port, agi_port = free_port(58080), free_port(4574)
        config = write_config(self.workdir, self.pg.url, self.lab.dir, web_port, agi_port,
                              [lab.name for lab in self.others])
        env = {**os.environ, "CALLCENTER_CONFIG": str(config)}
        with mock.patch.dict(os.environ, {"CALLCENTER_CONFIG": str(config)}):
            container = Container(Settings())  # the same settings the services read
        migrations.upgrade(container.engine)
        known = numbers("+1202555", self.queue_calls)[::5]  # one caller in five is a customer
        token = seed(container, known)
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        for name in SERVICE_NAMES:
            self.services[name] = ServiceProcess(name, env, logs)
            self.services[name].start()
        for lab in self.labs:
            lab.rx("dialplan set global CC_DEFAULT_QUEUE soak")  # the lab's own queues ring in turn
        _wait(lambda: _http_ok(f"http://127.0.0.1:{web_port}/healthz"), 60, "the web service")
        for lab in self.labs:
            _wait(functools.partial(_both_linked, lab), 60, f"the bridge and the dispatcher on {lab.name}'s AMI")
        return container, token, web_port

    @property
    def callback_calls(self) -> int:
        return max(1, round(self.plan.total * self.plan.callback_share))

    @property
    def queue_calls(self) -> int:
        return self.plan.total - self.callback_calls

    # -- faults ----------------------------------------------------------------
    def strike(self, fault: Fault, now: float) -> None:
        from callcenter.models import utcnow

        fault.started_utc = utcnow()
        self.say(f"fault: {fault.name}")
        if fault.name == "asterisk":
            pid = self.victim.pid()
            if pid is None:
                raise RuntimeError(f"lab PBX {self.victim.name} is not running: no Asterisk to kill")
            os.kill(pid, signal.SIGKILL)
            fault.restore_at = now + 2
        elif fault.name == "postgres":
            self.pg.stop("fast")
            fault.restore_at = now + self.plan.pg_outage
        else:
            self.services[SERVICE_OF[fault.name]].kill9()
            fault.restore_at = now + 1

    def restore(self, fault: Fault) -> None:
        from callcenter.models import utcnow

        if fault.name == "asterisk":
            self.victim.up(progress=lambda _m: None)
            self.victim.rx("dialplan set global CC_DEFAULT_QUEUE soak")
        elif fault.name == "postgres":
            self.pg.start()
        else:
            self.services[SERVICE_OF[fault.name]].restart()
        fault.restarted_utc, fault.done = utcnow(), True
        self.say(f"recovered: {fault.name} restarted")

    def tick_faults(self, now: float) -> None:
        for fault in self.faults:
            if fault.started_utc is None and now >= fault.at:
                self.strike(fault, now)
            elif not fault.done and fault.restore_at is not None and now >= fault.restore_at:
                self.restore(fault)

    def watch(self, elapsed: float) -> None:
        """A service that exited by itself is a finding: note it, then restart it as a
        supervisor (systemd) would, so the rest of the run still means something."""
        killed = {SERVICE_OF.get(f.name) for f in self.faults if f.started_utc is not None and not f.done}
        for name, svc in self.services.items():
            if name not in killed and not svc.alive():
                self.died.append(f"{name} at {elapsed:.0f} s")
                self.say(f"{name} exited by itself (see its log); restarting it")
                svc.restart()

    def sample(self) -> None:
        tree = _children()
        for svc in self.services.values():
            svc.sample(tree)
        pids = [lab.pid() for lab in self.labs]
        if all(pids):  # every Asterisk together (one is missing for a moment after its kill)
            self.asterisk_rss.append(sum(rss_mb(pid, tree) for pid in pids if pid))

    # -- the run -------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        plan = self.plan
        phones = self.workdir / "phones"
        callers = self.callers(phones)
        agents = [SoakAgent(phones, n, talk_ms=plan.talk_ms, media=22000 + 2000 * i)
                  for i, n in enumerate(AGENTS)]
        self.faults = [Fault(name, FAULT_AT[name] * plan.placing_seconds) for name in plan.faults]
        probes = crm = None
        try:
            container, token, web_port = self.boot()
            probes = Probes(AGI_DIALLED, int(container.settings.agi.port), web_port,
                            [f"agent{n}" for n in AGENTS])
            probes.start()
            crm = TicketClient(web_port, token, plan.ticket_every)
            for agent in agents:
                agent.start()
            time.sleep(3)  # desk streams open, agents' ports bound
            self.sample()
            started = time.monotonic()
            for caller in callers:
                caller.start()
            crm.start()
            self.load(started, callers, probes, crm)
            crm.stop()
            self.drain(container, callers)
            self.sample()
        finally:
            self.shutdown([*callers, *agents], crm, probes)
        result = verdict(self, container, callers, agents, crm, probes)
        (self.workdir / "result.json").write_text(json.dumps(result, indent=1, default=str))
        return result

    def callers(self, phones: Path) -> list[SoakCaller]:
        """Two SIPp callers per PBX (the queue's, the callback bookers'), each PBX an equal share of the calls,
        of the rate and of the calls up at once; every caller its own numbers and ports."""
        plan, count = self.plan, len(self.labs)
        cb_limit = max(2, round(plan.concurrent * plan.callback_share))
        callers = []
        for i, lab in enumerate(self.labs):
            pbx = f"127.0.0.1:{lab.sip_port}"
            queue_n, cb_n = _share(self.queue_calls, count, i), _share(self.callback_calls, count, i)
            callers.append(SoakCaller(
                phones, f"callers-{lab.name}", numbers(f"+1{202 + i}555", queue_n), dtmf=[(1500, "1")],
                rate=plan.rate * (1 - plan.callback_share) / count, limit=max(1, (plan.concurrent - cb_limit) // count),
                port=5080 + 2 * i, media=16000 + 2000 * i, pbx=pbx))
            # "1" comes 5.5 s after "9": the lab often hands the menu's "9" to the callback
            # prompt too (AGI captures), which then plays pm-invalid-option and asks again.
            callers.append(SoakCaller(
                phones, f"callbacks-{lab.name}", numbers(f"+1{312 + i}555", cb_n),
                dtmf=[(1500, "9"), (5500, "1")], rate=plan.rate * plan.callback_share / count,
                limit=max(1, cb_limit // count), port=5081 + 2 * i, media=20000 + 500 * i, pbx=pbx,
                books_callbacks=True))
        return callers

    def shutdown(self, phones: list[Any], crm: TicketClient | None, probes: Probes | None) -> None:
        """Stop everything the soak started and leave the lab as shipped."""
        for phone in phones:
            phone.stop()
        if crm is not None:
            crm.stop()
        if probes is not None:
            probes.stop()
        for svc in self.services.values():
            svc.stop()
        if not self.pg.running():
            self.pg.start()
        # Calls whose phone we stopped (the lab is ours: we hold its lock); then a
        # reload, or a start after a kill, brings back the dialplan's own globals.
        for lab in self.labs:
            with contextlib.suppress(RuntimeError, OSError):
                lab.rx("channel request hangup all")
            lab.up(progress=lambda _m: None)

    def load(self, started: float, callers: list[SoakCaller], probes: Probes, crm: TicketClient) -> None:
        plan = self.plan
        hard_stop = started + plan.placing_seconds + 300
        last_status = 0.0
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task("soak", total=plan.total)
            while not all(c.finished() for c in callers) or not all(f.done for f in self.faults):
                now = time.monotonic()
                self.tick_faults(now - started)
                self.watch(now - started)
                placed = sum(len(c.reached()) for c in callers)
                bar.update(task, completed=placed, description=f"calls {placed}/{plan.total}")
                if now - last_status >= 15:
                    last_status = now
                    self.sample()
                    bar.console.log(self.status_line(now - started, placed, probes, crm))
                if now > hard_stop:
                    self.say("callers still busy 5 minutes after the last call was due: stopping them")
                    break
                time.sleep(1.0)

    def status_line(self, elapsed: float, placed: int, probes: Probes, crm: TicketClient) -> str:
        rss = " ".join(f"{n}={s.rss_last or 0:.0f}MB" for n, s in self.services.items())
        return (f"t={elapsed:5.0f}s placed={placed} agi_sessions={probes.agi_sessions} "
                f"pops={len(probes.pops)} tickets={len(crm.acked)} {rss}")

    def drain(self, container: Container, callers: list[SoakCaller]) -> None:
        placed = set().union(*(c.answered() for c in callers))
        deadline = time.monotonic() + self.plan.drain_timeout
        while time.monotonic() < deadline:
            if ledger.open_records(container.session_factory, placed) == 0:
                break
            time.sleep(2)
        time.sleep(12)  # the bridge's last recordings ([ami] recording_wait) and writes


def _both_linked(lab: LabPBX) -> bool:
    return lab.rx("manager show connected").count("callcenter") >= 2


def _share(total: int, parts: int, i: int) -> int:
    """Part ``i`` of ``total`` split as evenly as whole calls allow."""
    return total // parts + (i < total % parts)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (RuntimeError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


def run_soak(plan: Plan, lab: LabPBX, workdir: Path, say: Callable[[str], None] = print,
             others: list[LabPBX] | None = None) -> dict[str, Any]:
    """One soak on a fresh private PostgreSQL; the lab PBX (and ``others``) must be up, locked by the caller."""
    reason = PrivatePostgres.available()
    if reason:
        raise RuntimeError(reason)
    pg = PrivatePostgres()
    pg.init()
    try:
        return Soak(plan, lab, Path(workdir), pg, say, others=list(others or [])).run()
    finally:
        pg.destroy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=5.0, help="new calls per second")
    parser.add_argument("--concurrent", type=int, default=60, help="calls up at once at most")
    parser.add_argument("--calls", type=int, default=None, help="calls in all (default rate x minutes)")
    parser.add_argument("--talk-ms", type=int, default=8000)
    parser.add_argument("--faults", default="asterisk,bridge,dispatcher,postgres",
                        help="comma-separated, from: " + ",".join(FAULT_AT))
    parser.add_argument("--pg-outage", type=float, default=60.0)
    parser.add_argument("--pbxes", type=int, default=2, choices=(1, 2, 3),
                        help="lab Asterisks taking the calls (2: the lab and its instance b)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, SIPp traces)")
    args = parser.parse_args(argv)
    faults = tuple(f for f in args.faults.split(",") if f)
    unknown = set(faults) - set(FAULT_AT)
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(sorted(unknown))}")
    plan = Plan(minutes=args.minutes, rate=args.rate, concurrent=args.concurrent, calls=args.calls,
                talk_ms=args.talk_ms, faults=faults, pg_outage=args.pg_outage)
    from callcenter.config import load_settings
    from tests.support.lab_fixtures import _exclusive

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt  # so every `finally` stops what the soak started

    for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT is ignored in a background job
        signal.signal(sig, interrupted)
    console = Console(stderr=True)
    settings = load_settings()
    settings.lab.instances = ["b", "c"][:args.pbxes - 1]
    lab = LabPBX(settings)
    others = [LabPBX(settings, name) for name in settings.lab.instances]
    lab.dir.parent.mkdir(parents=True, exist_ok=True)
    lock = _exclusive(str(lab.dir.with_name(lab.dir.name + ".session.lock")))
    workdir = Path(tempfile.mkdtemp(prefix="callcenter-soak-"))
    try:
        for each in (lab, *others):
            each.up(progress=lambda m: console.log(f"[pbx] {m}"))
        result = run_soak(plan, lab, workdir, say=console.log, others=others)
    finally:
        for each in others:
            each.down()
        lock.close()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    console.print(render(result))
    if args.keep:
        console.log(f"logs and traces kept in {workdir}")
    print(json.dumps(result, default=str))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
