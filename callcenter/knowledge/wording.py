"""What auto-reply says to the customer and reads back from them: the answer's text, its language, yes or no.

The customer reads the answer in the language they wrote in: a channel
rarely says it (a new e-mail or WeChat customer is stored as English), so
the question's own script decides, and the ticket's and customer's stored
language only break a tie.  A reply keyword is the customer's whole answer,
folded like every searched text (``text.normal.fold``: width, case,
traditional characters), without the punctuation around it and the mobile
mail programs' signature lines, compared with the configured words.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..i18n import N_, say_in
from ..models import Channel
from ..text.normal import HAN, fold

HAN_CHAR = re.compile(f"[{HAN}]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# What a mail program adds under the text ("Sent from my iPhone", "发自我的iPhone", "-- " and a signature).
SIGNATURE = re.compile(r"^\s*(?:--\s*$|sent from my |get outlook for |发自我的|来自我的|从我的.*发送)",
                       re.IGNORECASE | re.MULTILINE)
EDGES = re.compile(r"^[\W_]+|[\W_]+$")
SPACES = re.compile(r"\s+")
# WeChat shows one bubble: the short answer, not the whole article.
SHORT_CHANNELS = (Channel.WECHAT,)

GREETING = N_("Hello,")
FOUND = N_("This answer from our help pages may solve your question:")
ASK = N_("Did this solve it?")
YES_LINK = N_("Yes: %(link)s")
NO_LINK = N_("No: %(link)s")
KEYWORDS = N_("Or reply YES or NO to this message.")
AFTER = N_("If it did not, one of our team will answer you. This message was sent automatically.")


def language_of(text: str, *stored: str | None) -> str:
    """"zh" or "en": the script the customer wrote in, else the first stored language given, else English."""
    han = len(HAN_CHAR.findall(text or ""))
    latin = len(LATIN_WORD.findall(text or ""))
    if han >= 2 and han >= latin:
        return "zh"
    if latin >= 2 and han == 0:
        return "en"
    for language in stored:
        if language:
            return "zh" if language.lower().startswith("zh") else "en"
    return "en"


def compose(locale: str, channel: Channel, *, title: str, body: str, short: str, yes: str, no: str) -> str:
    """The whole auto-reply: the article (or its short answer on WeChat), then the question with its links."""
    article = short if channel in SHORT_CHANNELS or not body.strip() else body.strip()
    parts = [say_in(locale, GREETING), say_in(locale, FOUND), title, article,
             "\n".join((say_in(locale, ASK), say_in(locale, YES_LINK, {"link": yes}),
                        say_in(locale, NO_LINK, {"link": no}), say_in(locale, KEYWORDS))),
             say_in(locale, AFTER)]
    return "\n\n".join(p for p in parts if p)


def answer_text(text: str) -> str:
    """The customer's answer as it is compared: without a signature, folded, trimmed, single-spaced."""
    found = SIGNATURE.search(text or "")
    kept = (text or "")[:found.start()] if found is not None else (text or "")
    return EDGES.sub("", SPACES.sub(" ", fold(kept)).strip())


def verdict(text: str, yes_words: Iterable[str], no_words: Iterable[str]) -> bool | None:
    """True for a yes, False for a no, None for anything else (a person should read it)."""
    said = answer_text(text)
    if not said:
        return None
    if said in {answer_text(w) for w in yes_words}:
        return True
    if said in {answer_text(w) for w in no_words}:
        return False
    return None


def holds_any(text: str, words: Iterable[str]) -> str | None:
    """The first of ``words`` in ``text`` (both folded); a word of letters or digits only as a whole word."""
    folded = fold(text or "")
    for word in words:
        wanted = fold(word).strip()
        if not wanted:
            continue
        if HAN_CHAR.search(wanted) is None:
            if re.search(rf"(?<![a-z0-9]){re.escape(wanted)}(?![a-z0-9])", folded):
                return word
        elif wanted in folded:
            return word
    return None
