"""From a call's database rows to the files and settings one job needs.

Recording paths come from the database, written from AMI events: they are
resolved under the recordings directory and refused if they escape it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Call, Party, Recording
from . import vad
from .audio import AudioCorrupt, AudioMissing, Limits
from .models import ModelRegistry
from .pipeline import CallAudio, Source
from .redact import Rules


def limits(settings: Settings) -> Limits:
    cfg = settings.transcribe
    return Limits(max_bytes=int(cfg.max_file_mb * 2**20), max_seconds=cfg.max_hours * 3600)


def rules(settings: Settings) -> Rules:
    return Rules.build(settings.transcribe.redact_cards, settings.transcribe.redact_patterns)


def call_audio(session: Session, call_id: int, settings: Settings,
               registry: ModelRegistry) -> CallAudio:
    """The job's input; raises AudioMissing (retried) while no recording is known yet."""
    call = session.get(Call, call_id)
    if call is None:
        raise AudioMissing(f"call {call_id} not found")
    recs = [r for r in call.recordings if r.purged_at is None]
    if not recs:
        raise AudioMissing(f"call {call_id} has no recordings (yet)")
    choice = registry.choose(call.language, call.did, call.queue_name)
    starts = [r.started_at for r in recs if r.started_at is not None]
    t0 = min(starts) if starts else None
    base = settings.recordings_dir().resolve()
    sources = tuple(_source(r, base, t0) for r in sorted(recs, key=lambda r: r.id))
    cfg = settings.transcribe
    return CallAudio(sources=sources, model_path=choice.path, language=choice.language,
                     rules=rules(settings), limits=limits(settings),
                     stereo_channels=tuple(cfg.stereo_channels),
                     qa_path=settings.qa_audio_dir() / f"call-{call_id}.wav",
                     padding=cfg.redact_padding, speech_only=speech_only(settings))


def speech_only(settings: Settings) -> vad.VadSettings | None:
    """The voice-activity settings, or None when every second is to be decoded."""
    cfg = settings.transcribe
    return vad.VadSettings(aggressiveness=cfg.vad_aggressiveness, padding=cfg.vad_padding) if cfg.speech_only \
        else None


def _source(rec: Recording, base: Path, t0: Any) -> Source:
    path = (base / rec.path).resolve()
    if not path.is_relative_to(base):
        raise AudioCorrupt(f"recording {rec.id}: path {rec.path!r} is outside the recordings directory")
    offset = (rec.started_at - t0).total_seconds() if rec.started_at and t0 else 0.0
    party = rec.party.value if isinstance(rec.party, Party) else str(rec.party)
    started = rec.started_at.timestamp() if rec.started_at else None
    return Source(path, party, max(0.0, offset), tuple(_muted(rec.muted_spans or [], started)))


def _muted(spans: list[Any], started: float | None) -> list[tuple[float, float]]:
    """[[start, end], ...] or [{"start", "end"}, ...], in seconds from the recording's start.

    Epoch timestamps (what the AMI bridge sees) are turned into offsets.
    """
    out = []
    for span in spans:
        try:
            a, b = (span["start"], span["end"]) if isinstance(span, dict) else span
            a, b = float(a), float(b)
        except (KeyError, TypeError, ValueError):
            continue  # untrusted JSON: a malformed span is skipped, not fatal
        if a > 1e8 and started is not None:
            a, b = a - started, b - started
        if b > max(a, 0.0):
            out.append((max(a, 0.0), b))
    return out
