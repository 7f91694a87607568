"""The words of a short text (a ticket subject, a note), Chinese or English, for grouping and counting.

Chinese has no spaces, so character pairs ("发票金额" -> 发票 · 票金 · 金额)
made half of every label nonsense; jieba cuts it into dictionary words
instead (发票 · 金额), and passes Latin runs through whole, so one cut serves
both languages and mixed subjects ("invoice 发票").  A few words of our own
trade that jieba's general dictionary splits (断网, 到账) are added to it.

``normalise`` folds what looks the same to a reader (full-width letters,
case), ``segment`` cuts, ``words`` keeps what carries meaning: no stop
words in either language, no bare numbers (ticket and phone numbers).
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata

import jieba

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]+")
# Words of a call centre that jieba's dictionary cuts in two (断网 -> 断 · 网).
DOMAIN_WORDS = ("断网", "到账", "重开", "开错", "没收到", "连不上", "打不通", "退货", "换货",
                "工单号", "验证码", "充值", "扣费", "欠费")
STOP_EN = frozenset("""a an and are as at be been being but by can cannot could did do does for from had has have
he her him his how i if in into is it it's its me my no not of on or our over please said says she so still than
thank thanks that the their them then there they this to up us very was we were what when which who why will
with would you your also about after again before just need needs call called calling caller customer ticket
issue problem hello hi should here been being""".split())
STOP_ZH = frozenset("""的 了 着 过 吗 呢 吧 啊 呀 哦 嗯 哈 又 也 都 就 还 很 太 在
是 有 和 与 及 或 被 把 给 让 对 从 向 到 为 以 而 但 并 等
我 你 您 他 她 它 我们 你们 他们 这 那 这个 那个 哪 谁 什么 怎么
为什么 一 个 些 要 想 会 能 可以 已经 没有 没 不 请 一下 一直
现在 今天 昨天 明天 还是 就是 但是 因为 所以 如果 然后 问题 客户
来电 电话 工单 谢谢 您好 你好 麻烦 帮忙 帮 一些 这样 那样 怎样""".split())
STOP = STOP_EN | STOP_ZH

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()


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


def normalise(text: str) -> str:
    """Full-width letters, digits and punctuation as their plain forms (ＷｉＦｉ -> wifi), in lower case."""
    return unicodedata.normalize("NFKC", text).casefold()


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
