"""The soak's phones: SIPp callers with one unique number per call, SIPp
agents answering many calls at once, and what their logs say.

Each caller number comes from an injection file whose line n is SIPp's call
n, so "the PBX answered call n" (a log line) names exactly one Call row.
"""
from __future__ import annotations

import re
from pathlib import Path

from tests.support.sipp import PBX, _Sipp, make_speech_wav, render_scenario

_LINE = re.compile(r"(answered|trying|ringing|ended) (\d+) .*?(\+\d{6,15})")


def numbers(prefix: str, count: int) -> list[str]:
    """+1 NPA 555 nnnn: valid E.164, unique per call (at most 10,000)."""
    if count > 10_000:
        raise ValueError("at most 10,000 calls per caller process")
    return [f"{prefix}{n:04d}" for n in range(count)]


def _rate_args(rate: float) -> list[str]:
    """SIPp takes calls per period; a period of 10 s keeps slow rates exact."""
    return ["-r", str(max(1, round(rate * 10))), "-rp", "10000"]


class SoakCaller(_Sipp):
    """Places ``len(numbers)`` calls at ``rate``/s, at most ``limit`` at once."""

    def __init__(self, workdir: Path, name: str, numbers: list[str], *, dtmf: list[tuple[int, str]],
                 rate: float, limit: int, port: int, media: int, pbx: str = PBX,
                 books_callbacks: bool = False) -> None:
        super().__init__(workdir, name)
        self.numbers, self.books_callbacks = numbers, books_callbacks
        (self.workdir / "numbers.csv").write_text("SEQUENTIAL\n" + "".join(f"{n};\n" for n in numbers))
        make_speech_wav("Hello, my internet connection keeps dropping, can you help me please?",
                        self.workdir / "caller.wav")
        scenario = render_scenario("soak-caller.xml", self.workdir, dtmf)
        self.args = ["-sf", str(scenario), "-s", "100", pbx, "-i", "127.0.0.1", "-p", str(port),
                     "-mi", "127.0.0.1", "-mp", str(media), "-m", str(len(numbers)),
                     *_rate_args(rate), "-l", str(limit), "-inf", "numbers.csv",
                     "-trace_logs", "-log_file", "calls.log", "-recv_timeout", "60000"]

    def start(self) -> None:
        self._start(self.args)

    def finished(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def _log(self, kind: str) -> set[str]:
        path = self.workdir / "calls.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return {m.group(3) for m in _LINE.finditer(text) if m.group(1) == kind}

    def answered(self) -> set[str]:
        """Numbers of calls the PBX answered (200 OK): calls placed."""
        return self._log("answered")

    def ended(self) -> set[str]:
        """Numbers of calls the PBX itself hung up (the caller heard it through)."""
        return self._log("ended")

    def reached(self) -> set[str]:
        """Numbers of calls the PBX heard of at all (100 Trying or 200 OK)."""
        return self._log("answered") | self._log("trying")


class SoakAgent(_Sipp):
    """A lab agent's phone answering every call rung to it, talking ``talk_ms``."""

    def __init__(self, workdir: Path, number: int, *, talk_ms: int, media: int) -> None:
        super().__init__(workdir, f"agent{number}")
        make_speech_wav("Thank you for calling support, my name is Alice. How can I help you?",
                        self.workdir / "agent.wav")
        scenario = Path(__file__).resolve().parent.parent / "sipp" / "soak-agent.xml"
        self.args = ["-sf", str(scenario), "-i", "127.0.0.1", "-p", str(5090 + number - 1000),
                     "-mi", "127.0.0.1", "-mp", str(media), "-d", str(talk_ms),
                     "-trace_logs", "-log_file", "answered.log", "-recv_timeout", "60000"]

    def start(self) -> None:
        self._start(self.args)

    def rung_by(self) -> set[str]:
        path = self.workdir / "answered.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return {m.group(3) for m in _LINE.finditer(text)}
