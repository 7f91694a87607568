"""``callcenter qa play`` and ``callcenter qa requeue``: quality review from the command line."""
from __future__ import annotations

import click

from ..db import transaction
from ..qa.audio import qa_audio_path
from ..qa.search import transcript_for_call
from ..transcribe import audio
from ..transcribe.jobs import requeue_failed
from ..wiring import Container


@click.group("qa")
def qa() -> None:
    """Quality review of recorded calls."""


@qa.command("play")
@click.argument("call_id", type=int)
@click.pass_obj
def qa_play(container: Container, call_id: int) -> None:
    """Play a call's (redacted) recording, printing each word as it is spoken."""
    from ..transcribe.playback import play_with_words

    with transaction(container.session_factory) as session:
        found = transcript_for_call(session, call_id)
        if found is None:
            raise click.ClickException(f"call {call_id} has no finished transcript")
        turns, qa_audio = found.turns, found.qa_audio
    path = qa_audio_path(container.settings, qa_audio)
    if path is None or not path.exists():
        raise click.ClickException(f"call {call_id}: the QA copy of the recording is missing")
    info = audio.probe(path)
    try:
        shown = play_with_words(audio.read(info), info.rate, turns, click.echo)
    except Exception as exc:  # PortAudio: no device, busy device ...
        raise click.ClickException(f"sound device: {exc}") from exc
    click.echo(f"-- {shown} words, {info.duration:.1f} s", err=True)


@qa.command("requeue")
@click.pass_obj
def qa_requeue(container: Container) -> None:
    """Queue every failed transcription again (e.g. after installing a missing model)."""
    with transaction(container.session_factory) as session:
        count = requeue_failed(session)
    click.echo(f"{count} transcription(s) queued again")


COMMANDS = (qa,)
