"""Articles' short answers as sound files Asterisk plays: espeak-ng, like the prompts, made once per revision.

A file is named from ids only, ``callcenter-kb/<article id>-<revision>-<locale>``,
never from the article's text, so nothing a writer types reaches a path or an
AGI command.  It lies in Asterisk's sounds directory outside any language
folder: Asterisk looks there after ``<lang>/``, so an English answer plays on
a Chinese channel when the article has no Chinese version.

It is made the first time a caller needs it (about 0.3 s for 400
characters): one at a time, across threads and processes (an ``flock``
beside them), written under a temporary name and renamed, so
Asterisk never opens half a file.  A new revision makes a new file; the
older ones of that article and language go then.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from ..config import Settings
from .lab import LabPBX, speak_to_wav
from .prompts import VOICES

log = logging.getLogger(__name__)

FOLDER = "callcenter-kb"
SOUNDS = "/usr/share/asterisk/sounds"  # Debian's Asterisk, as in the lab
SENTENCE_END = re.compile(r"[.!?;。！？；…]")
_UNSAID = re.compile(r"[\x00-\x1f\x7f]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def sayable(title: str, short: str, max_chars: int) -> str:
    """What the caller hears: the title, then the short answer cut at a sentence end within ``max_chars``."""
    title = " ".join(_UNSAID.sub(" ", title).split())
    short = " ".join(_UNSAID.sub(" ", short).split())
    if len(short) > max_chars:
        head = short[:max_chars]
        ends = [m.end() for m in SENTENCE_END.finditer(head)]
        cut = ends[-1] if ends else (head.rfind(" ") if " " in head else max_chars)
        short = head[:cut].rstrip()
    if not title:
        return short
    if SENTENCE_END.match(title[-1]):
        return f"{title} {short}".strip()
    return f"{title}。{short}" if _HAN.match(title[-1]) else f"{title}. {short}".strip()


def file_name(article_id: int, revision: int, locale: str, folder: str = FOLDER) -> str:
    """The name STREAM FILE plays (no extension), from ids only."""
    if locale not in VOICES:
        raise ValueError(f"no voice for {locale!r}")
    return f"{folder}/{int(article_id)}-{int(revision)}-{locale}"


@contextlib.contextmanager
def _one_maker(folder: Path) -> Iterator[None]:
    """One file made at a time in ``folder``: flock holds across processes and, each thread opening the lock
    file itself, across this process's threads too."""
    with open(folder / ".making.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class AnswerVoice:
    """Spoken answers under ``sounds_dir`` (None: nowhere to put them, so nothing is spoken); ``folder``
    keeps each kind apart (articles' answers, incidents' messages)."""

    def __init__(self, sounds_dir: Path | None, max_chars: int = 400, folder: str = FOLDER) -> None:
        self.sounds_dir, self.max_chars, self.folder = sounds_dir, max_chars, folder

    @classmethod
    def from_settings(cls, settings: Settings, *, folder: str = FOLDER, max_chars: int | None = None) -> AnswerVoice:
        """``[knowledge.ivr] sounds_dir``, else the lab PBX's sounds when the lab is on."""
        cfg = settings.knowledge.ivr
        found = cfg.sounds_dir or (LabPBX(settings).path(SOUNDS) if settings.lab.enabled else None)
        return cls(Path(found).expanduser() if found else None, max_chars or cfg.max_chars, folder)

    def path(self, article_id: int, revision: int, locale: str) -> Path | None:
        if self.sounds_dir is None:
            return None
        return self.sounds_dir / f"{file_name(article_id, revision, locale, self.folder)}.wav"

    def ensure(self, article_id: int, revision: int, locale: str, title: str, short: str) -> str | None:
        """The file name to play, made now if needed; None when it cannot be (logged: the caller goes to an agent)."""
        target = self.path(article_id, revision, locale)
        text = sayable(title, short, self.max_chars)
        if target is None or not text:
            return None
        name = file_name(article_id, revision, locale, self.folder)
        if target.exists():
            return name
        if not (shutil.which("espeak-ng") and shutil.which("sox")):
            log.warning("espeak-ng or sox missing: article %s cannot be spoken", article_id)
            return None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with _one_maker(target.parent):
                if not target.exists():
                    self._make(target, text, locale)
                    self._forget_older(target.parent, article_id, revision, locale)
        except (OSError, subprocess.SubprocessError):
            log.exception("could not speak article %s (%s) into %s", article_id, locale, target.parent)
            return None
        return name

    @staticmethod
    def _make(target: Path, text: str, locale: str) -> None:
        partial = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.wav")
        try:
            speak_to_wav(text, partial, VOICES[locale])
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    @staticmethod
    def _forget_older(folder: Path, article_id: int, revision: int, locale: str) -> None:
        for old in folder.glob(f"{int(article_id)}-*-{locale}.wav"):
            number = old.stem.split("-")[1]
            if number.isdigit() and int(number) < revision:
                old.unlink(missing_ok=True)
