"""Words of Chinese and English subjects with the real jieba, and recurring topics labelled with them."""
from __future__ import annotations

from callcenter.reporting.topics import cluster
from callcenter.text import words


def test_chinese_is_cut_into_dictionary_words_not_character_pairs() -> None:
    assert words.words("发票金额开错了") == ["发票", "金额", "开错"]
    assert "票金" not in words.segment("发票金额不对，请重开")


def test_trade_words_jieba_would_split_stay_whole() -> None:
    assert words.words("我的宽带又断网了") == ["宽带", "断网"]
    assert words.words("退款还没到账") == ["退款", "到账"]


def test_english_words_lower_case_without_stop_words_or_numbers() -> None:
    assert words.words("Router DOWN, no internet for the 3rd day (ticket 1234567)") == [
        "router", "down", "internet", "3rd", "day"]


def test_full_width_and_mixed_text_normalised() -> None:
    assert words.normalise("ＷｉＦｉ") == "wifi"
    assert words.words("ＷｉＦｉ连不上") == ["wifi", "连不上"]
    assert words.words("invoice amount wrong 发票金额") == ["invoice", "amount", "wrong", "发票", "金额"]


def test_stop_words_of_both_languages() -> None:
    assert words.words("您好，我想问一下") == ["问"]
    assert words.words("Hello, can you please call me") == []


def test_topics_are_labelled_with_real_words_in_both_languages() -> None:
    topics = cluster([(1, "发票金额开错了"), (2, "发票金额不对，请重开"), (3, "发票金额有误"),
                      (4, "Router down no internet"), (5, "no internet since morning, router red light"),
                      (6, "宽带断网了"), (7, "宽带又断网")])
    by_members = {tuple(sorted(t.examples)): t for t in topics}
    assert set(by_members) == {(1, 2, 3), (4, 5), (6, 7)}
    invoice = by_members[(1, 2, 3)]
    assert invoice.terms[:2] == ["发票", "金额"] and invoice.label.startswith("发票 · 金额")
    assert "票金" not in invoice.label
    assert by_members[(6, 7)].label == "宽带 · 断网"
    assert set(by_members[(4, 5)].terms[:2]) == {"router", "internet"}
