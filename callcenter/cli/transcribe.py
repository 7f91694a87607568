"""``callcenter transcribe``: recordings or the microphone to text, offline with Vosk.

Progress goes to standard error, so ``--json`` output on standard output
stays clean for pipes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ..transcribe import audio, models, sources
from ..transcribe.models import ModelMissing, ModelRegistry
from ..transcribe.pipeline import CallAudio, Result, Source, party_from_name, transcribe_call
from ..wiring import Container


def _model(container: Container, language: str | None, model: Path | None) -> models.ModelChoice:
    registry = ModelRegistry.from_settings(container.settings)
    try:
        if model is not None:
            lang = models.normalise_language(language, container.settings.transcribe.default_language)
            return models.ModelChoice(lang, registry.existing(model, f"--model {model}"))
        return registry.choose(language)
    except ModelMissing as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("transcribe")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "fmt", flag_value="json", default=True, help="JSON output (default).")
@click.option("--text", "fmt", flag_value="text", help="Readable text, one line per turn.")
@click.option("--language", "-l", default=None, help="Language of the audio (picks the model).")
@click.option("--model", "-m", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="A Vosk model folder (instead of choosing by language).")
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write FILE.json / FILE.txt into this folder instead of standard output.")
@click.option("--live", is_flag=True, help="Transcribe the microphone instead of files.")
@click.option("--seconds", type=float, default=None, help="With --live: stop after this long.")
@click.pass_obj
def transcribe(container: Container, files: tuple[Path, ...], fmt: str, language: str | None,
               model: Path | None, output: Path | None, live: bool, seconds: float | None) -> None:
    """Transcribe recordings offline with Vosk (a stereo file gives both speakers)."""
    choice = _model(container, language, model)
    if live:
        _live(choice, seconds)
        return
    if not files:
        raise click.UsageError("name one or more audio files, or use --live")
    err = Console(stderr=True)
    results, failed = _run_files(container, choice, files, err)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        for path, res in results:
            target = output / f"{path.stem}.{'json' if fmt == 'json' else 'txt'}"
            target.write_text(_render([(path, res)], choice, fmt))
            err.print(f"wrote {target}")
    elif results:
        click.echo(_render(results, choice, fmt))
    if failed:
        sys.exit(1)


def _run_files(container: Container, choice: models.ModelChoice, files: tuple[Path, ...],
               err: Console) -> tuple[list[tuple[Path, Result]], int]:
    settings = container.settings
    limits = sources.limits(settings)
    infos = []
    failed = 0
    for path in files:
        try:
            infos.append((path, audio.probe(path, limits)))
        except audio.AudioError as exc:
            _failed(err, path, exc)
            failed += 1
    total = sum(info.duration * info.channels for _, info in infos)
    results = []
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        err.print(f"loading model {choice.path} ...")
        models.load(choice.path)
        task = bar.add_task("transcribing", total=total or 1)
        for path, _info in infos:
            bar.update(task, description=path.name)
            job = CallAudio((Source(path, party_from_name(path)),), choice.path, choice.language,
                            rules=sources.rules(settings), limits=limits,
                            stereo_channels=tuple(settings.transcribe.stereo_channels),
                            speech_only=sources.speech_only(settings))
            try:
                results.append((path, transcribe_call(job, lambda s: bar.advance(task, s))))
            except audio.AudioError as exc:
                _failed(err, path, exc)
                failed += 1
    return results, failed


def _failed(err: Console, path: Path, exc: Exception) -> None:
    """One line per failed file, never wrapped inside its path (it is copied into the next command)."""
    err.print(f"[red]{escape(str(path))}: {escape(str(exc))}[/red]", soft_wrap=True)


def _render(results: list[tuple[Path, Result]], choice: models.ModelChoice, fmt: str) -> str:
    if fmt == "json":
        docs = [{"file": str(p), "duration": r.duration, "language": choice.language,
                 "model": choice.name, "turns": r.turns, "redactions": r.redactions, "text": r.text}
                for p, r in results]
        return json.dumps(docs[0] if len(docs) == 1 else docs, ensure_ascii=False, indent=1)
    lines = []
    for path, res in results:
        lines.append(f"== {path} ({res.duration:.1f} s)")
        lines += [f"[{t['start']:7.2f}] {t['speaker']}: {' '.join(w['w'] for w in t['words'])}"
                  for t in res.turns]
    return "\n".join(lines)


def _live(choice: models.ModelChoice, seconds: float | None) -> None:
    from ..transcribe.playback import live

    click.echo(f"listening (model {choice.name}); Ctrl-C stops", err=True)
    try:
        live(models.load(choice.path), models.sample_rate(choice.path), click.echo, seconds)
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # PortAudio errors: no device, busy device ...
        raise click.ClickException(f"microphone: {exc}") from exc


COMMANDS = (transcribe,)
