"""Real SIP calls for tests: SIPp callers and agents against the lab PBX.

Scenarios live in tests/sipp/.  Each process gets its own working directory
holding the WAV it streams (rtp_stream paths are relative) and its error
trace, so a failing test can show SIPp's own words.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from callcenter.pbx.lab import speak_to_wav

SCENARIOS = Path(__file__).resolve().parent.parent / "sipp"
DTMF_PCAP = "/usr/share/sip-tester/dtmf_2833_{}.pcap"
PBX = "127.0.0.1:5060"
CALLER_PORT, CALLER_MEDIA = 5070, 16000


def require_tool(name: str) -> str:
    """Path of a command-line tool; skip locally when missing, fail in CI."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (apt-get install the package that provides it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def make_speech_wav(text: str, path: Path, voice: str = "en-us") -> Path:
    """Speech for SIPp's rtp_stream: espeak-ng -> 8 kHz mono mu-law WAV."""
    require_tool("espeak-ng")
    require_tool("sox")
    speak_to_wav(text, Path(path), voice, encoding="mu-law")
    return Path(path)


def render_scenario(name: str, workdir: Path, dtmf: Iterable[tuple[int, str]] = ()) -> Path:
    """Copy a scenario, turning [(pause_ms, digit), ...] into DTMF actions."""
    actions = []
    for pause_ms, digit in dtmf:
        if digit not in "0123456789":
            raise ValueError(f"SIPp ships DTMF pcaps for 0-9 only, not {digit!r}")
        actions.append(f'<pause milliseconds="{int(pause_ms)}"/>')
        actions.append(f'<nop><action><exec play_pcap_audio="{DTMF_PCAP.format(digit)}"/>'
                       '</action></nop>')
    text = (SCENARIOS / name).read_text().replace("<!-- cc:actions -->", "\n  ".join(actions))
    target = workdir / name
    target.write_text(text)
    return target


@dataclass
class SippResult:
    returncode: int
    elapsed: float
    errors: str          # SIPp's -trace_err log: unexpected messages, timeouts
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return f"sipp rc={self.returncode} after {self.elapsed:.1f}s\n{self.errors[-3000:]}"


class _Sipp:
    """One SIPp process with its own working directory."""

    def __init__(self, workdir: Path, name: str):
        require_tool("sipp")
        self.workdir = Path(workdir) / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def _start(self, args: list[str]) -> None:
        self.started = time.monotonic()
        cmd = ["sipp", *args, "-nostdin", "-trace_err", "-error_file", "errors.log"]
        with open(self.workdir / "screen.log", "w") as screen:  # the child has its own copy
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=screen,
                                         stderr=subprocess.STDOUT)

    def wait(self, timeout: float) -> SippResult:
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            rc = -9
        return self._result(rc)

    def stop(self) -> None:
        """Terminate, then kill, our own SIPp process; never leave one behind."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def _result(self, rc: int) -> SippResult:
        def read(name: str) -> str:
            path = self.workdir / name
            return path.read_text(errors="replace") if path.exists() else ""
        return SippResult(rc, time.monotonic() - self.started, read("errors.log"), read("screen.log"))


ECHOED = re.compile(r"(\d+) Total echo RTP pckts 1st stream")


class Caller(_Sipp):
    """A caller dialling `number`; waits for the PBX to hang up, or hangs up
    itself `hangup_after_ms` after its DTMF when that is given.

    With ``count_rtp`` SIPp also echoes what it receives (``-rtp_echo``) and
    counts it, so ``rtp_received()`` says how many RTP packets reached the
    caller while it still streams its own speech."""

    def __init__(self, workdir: Path, number: str = "100", *, caller_id: str = "15551230001",
                 text: str = "Hello, my internet connection is broken, can you help me please?",
                 dtmf: Iterable[tuple[int, str]] = (), hangup_after_ms: int | None = None,
                 voice: str = "en-us", count_rtp: bool = False, port: int = CALLER_PORT,
                 media_port: int = CALLER_MEDIA, pbx: str = PBX):
        super().__init__(workdir, "caller")
        make_speech_wav(text, self.workdir / "caller.wav", voice)
        name = "caller.xml" if hangup_after_ms is None else "caller-hangup.xml"
        scenario = render_scenario(name, self.workdir, dtmf)
        self.scenario_name = scenario.stem
        self.args = ["-sf", str(scenario), "-s", number, pbx, "-i", "127.0.0.1",
                     "-p", str(port), "-mi", "127.0.0.1", "-mp", str(media_port),
                     "-m", "1", "-key", "caller", caller_id, "-timeout", "120s"]
        if hangup_after_ms is not None:
            self.args += ["-d", str(int(hangup_after_ms))]
        if count_rtp:  # -trace_screen: SIGUSR2 appends to one screen file (without it, each dump truncates it)
            self.args += ["-rtp_echo", "-trace_screen"]

    def rtp_received(self, timeout: float = 5.0) -> int:
        """RTP packets received so far (needs ``count_rtp`` and a running SIPp): SIGUSR2 makes SIPp
        append its screen, echo counter included, to <scenario>_<pid>_screen.log.  SIPp does not flush
        that file, so it is asked again until its stdio buffer fills and the counter reaches the disk."""
        assert self.proc is not None and self.proc.poll() is None, "SIPp is not running"
        screen = self.workdir / f"{self.scenario_name}_{self.proc.pid}_screen.log"
        before = len(ECHOED.findall(screen.read_text(errors="replace"))) if screen.exists() else 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR2)
            time.sleep(0.2)
            found = ECHOED.findall(screen.read_text(errors="replace")) if screen.exists() else []
            if len(found) > before:
                return int(found[-1])
        raise AssertionError(f"SIPp wrote no RTP counter to {screen}")

    def start(self) -> None:
        """Dial without waiting (the test does something while the call is up)."""
        self._start(self.args)

    def run(self, timeout: float = 90) -> SippResult:
        self.start()
        return self.wait(timeout)


class Agent(_Sipp):
    """A lab agent's phone (agent1001..agent1004 on UDP port 5091..5094) that
    answers one call and talks; it hangs up after `talk_ms`, or with
    ``hangs_up=False`` waits for the other side to.  Use as a context
    manager; leaving it stops SIPp if no call came."""

    def __init__(self, workdir: Path, number: int = 1001, *, talk_ms: int = 3000,
                 text: str = "Thank you for calling support, my name is Alice. How can I help you?",
                 voice: str = "en-us", port: int | None = None, hangs_up: bool = True):
        self.number = number
        self.port = port or 5090 + number - 1000
        super().__init__(workdir, f"uas{self.port}")
        make_speech_wav(text, self.workdir / "agent.wav", voice)
        scenario = "agent.xml" if hangs_up else "agent-wait.xml"
        self.args = ["-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(self.port),
                     "-mi", "127.0.0.1", "-mp", str(16000 + 10 * (self.port - 5070)),
                     "-m", "1", "-d", str(int(talk_ms)), "-timeout", "120s"]

    def __enter__(self) -> Agent:
        self._start(self.args)
        time.sleep(0.3)  # let SIPp bind its port before the call arrives
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def answered(self) -> bool:
        """True once this agent's call completed (SIPp exits 0 after -m 1)."""
        return self.proc is not None and self.proc.poll() == 0


def customer(workdir: Path, **kwargs) -> Agent:
    """The customer's phone for callbacks and surveys (endpoint customer,
    127.0.0.1:5099); by default it waits for the PBX to hang up."""
    kwargs.setdefault("hangs_up", False)
    kwargs.setdefault("text", "Hello? Yes, thank you for calling me back.")
    return Agent(workdir, 0, port=5099, **kwargs)
