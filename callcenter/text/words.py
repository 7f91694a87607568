"""The words of a short text (a ticket subject, a note), Chinese or English, for grouping and counting.

Chinese has no spaces, so character pairs ("发票金额" -> 发票 · 票金 · 金额)
made half of every label nonsense; jieba cuts it into dictionary words
instead (发票 · 金额), and passes Latin runs through whole, so one cut serves
both languages and mixed subjects ("invoice 发票").  A few words of our own
trade that jieba's general dictionary splits (断网, 到账) are added to it.

``normalise`` folds what looks the same to a reader (full-width letters,
case, traditional characters: ``normal.fold``), ``segment`` cuts, ``words``
keeps what carries meaning: no stop words in either language, no bare
numbers (ticket and phone numbers).  ``terms`` is the search side: jieba's
search mode also gives the shorter words inside a long one (退款申请 ->
退款 · 申请 · 退款申请), so a two-character query finds a longer word.

The admin extends the dictionary (product names, the trade's own words);
``teach`` adds those words to the one tokenizer every caller shares.
"""
from __future__ import annotations

import functools
import gc
import logging
import re
import threading
from collections.abc import Iterable

import jieba
import snowballstemmer

from .normal import fold

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]+")
# Words of a call centre that jieba's dictionary cuts in two (断网 -> 断 · 网).
DOMAIN_WORDS = ("断网", "到账", "重开", "开错", "没收到", "连不上", "打不通", "退货", "换货",
                "工单号", "验证码", "充值", "扣费", "欠费", "副卡", "流量包", "运单号", "合约机", "运费险",
                "短信码")
STOP_EN = frozenset("""a an and are as at be been being but by can cannot could did do does for from had has have
he her him his how i if in into is it it's its me my no not of on or our over please said says she so still than
thank thanks that the their them then there they this to up us very was we were what when which who why will
with would you your also about after again before just need needs call called calling caller customer ticket
issue problem hello hi should here been being where whom whose more most other some such only own same
too few each both all any now out off once until while through during above below between against further
else much many even like since yet already ago""".split())
STOP_ZH = frozenset("""的 了 着 过 吗 呢 吧 啊 呀 哦 嗯 哈 又 也 都 就 还 很 太 在
是 有 和 与 及 或 被 把 给 让 对 从 向 到 为 以 而 但 并 等
我 你 您 他 她 它 我们 你们 他们 这 那 这个 那个 哪 谁 什么 怎么
为什么 一 个 些 要 想 会 能 可以 已经 没有 没 不 请 一下 一直
现在 今天 昨天 明天 还是 就是 但是 因为 所以 如果 然后 问题 客户
来电 电话 工单 谢谢 您好 你好 麻烦 帮忙 帮 一些 这样 那样 怎样
我要 我想 想要 需要 怎么办 如何 请问 一下子 咨询 下 吗 么
哪里 哪儿 时候 一个 一点 这么 那么 多少 自己 上面 根本 特别 不是 有没有 知道 用 上 来 去 跟 比 里
老是 其实 可能 应该 之后 以后 之前 啥 咋 为啥 不能 好像""".split())
# Searching only: words a question is phrased with that say nothing of its subject.
# English contractions reach here cut at the apostrophe (hasn't -> hasn), so their stems are listed too.
STOP_SEARCH = frozenset("""get got want wanted wants don't doesn't didn't can't i'm i've im dont cant
let know tell way anyone someone something don doesn didn isn aren wasn weren hasn haven hadn won wouldn
couldn shouldn ain""".split())
# 帐 is the older form of 账 ("account") that traditional text (帳 -> 帐) and many people still write:
# 帐号, 到帐.  Only in those words, so 帐篷 (a tent) stays a tent.
ACCOUNT_VARIANT = re.compile(r"帐(?=[号户单务目本])|(?<=[到转对查记算结入挂销欠赖])帐")
_stemmer = threading.local()
STOP = STOP_EN | STOP_ZH

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()
_taught: set[str] = set()


def _cutter() -> jieba.Tokenizer:
    """Our own jieba tokenizer (the global one is left alone), built once; its dictionary loads on first use."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict..." on every start
            found = jieba.Tokenizer()
            for word in DOMAIN_WORDS:
                found.add_word(word)
            _tokenizer = found
        return _tokenizer


def teach(words: Iterable[str]) -> set[str]:
    """Make the tokenizer know exactly these admin words (on top of ours); returns the words it newly learnt."""
    wanted = {fold(w).strip() for w in words} - {""}
    cutter = _cutter()
    with _lock:
        for gone in _taught - wanted:
            if gone not in DOMAIN_WORDS:
                cutter.del_word(gone)
        new = wanted - _taught
        for word in new:
            cutter.add_word(word)
        _taught.clear()
        _taught.update(wanted)
    return new


def normalise(text: str) -> str:
    """Width, case, script and spacing folded (ＷｉＦｉ -> wifi, 發票 -> 发票, 帳號 -> 账号): see ``normal.fold``."""
    return ACCOUNT_VARIANT.sub("账", fold(text))


def segment(text: str) -> list[str]:
    """Every word of ``text`` in order (Chinese cut by jieba, Latin runs whole); punctuation and spaces dropped."""
    return [w for w in _cutter().lcut(normalise(text)) if WORD.fullmatch(w)]


def meaningful(word: str) -> bool:
    """A word worth counting: not a stop word, not a bare number, not a lone Latin letter."""
    if word in STOP or word.isdigit():
        return False
    return HAN.search(word) is not None or len(word) > 1


def words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning, in order, repeats kept (callers count them)."""
    return [w for w in segment(text) if meaningful(w)]


@functools.lru_cache(maxsize=100_000)
def _stem_word(word: str) -> str:
    """One English word's stem, remembered: pure-Python Snowball takes a quarter of a millisecond a word,
    and the same words come back all day.  Snowball's stemmers are not thread-safe: one per thread."""
    stemmer = getattr(_stemmer, "english", None)
    if stemmer is None:
        stemmer = _stemmer.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def _stem(words: list[str]) -> list[str]:
    """English words to their stems (refunds, refunded -> refund); Chinese words as they are."""
    return [w if HAN.search(w) else _stem_word(w) for w in words]


def terms(text: str) -> list[str]:
    """The words to index or search ``text`` by: search-mode cut, meaningful ones only, English stemmed."""
    found = [w for w in _cutter().lcut_for_search(normalise(text))
             if WORD.fullmatch(w) and meaningful(w) and w not in STOP_SEARCH]
    return _stem(found)


_FREEZE, _FROZEN = threading.Lock(), False


def warm() -> None:
    """Load the dictionary and the converter now, not inside the first write that cuts a ticket's words.

    jieba's dictionary and OpenCC's tables take a second or two to load; a first ticket saved inside a
    transaction would hold SQLite's write lock for that long, and the AMI bridge's call records wait on it.
    """
    terms("预热 warm")
    # jieba's dictionary is a few hundred thousand objects that live as long as the process: out of the
    # collector's reach, its full collections stop walking them (tens of milliseconds each, in any request).
    # Once per process: what is alive then stays for good, so never again later with garbage about.
    global _FROZEN
    with _FREEZE:
        if not _FROZEN:
            gc.freeze()
            _FROZEN = True
