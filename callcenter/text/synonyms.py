"""Words a call centre uses for the same thing, folded to one, for telling which tickets are alike.

Callers about one outage say it many ways: 快递 · 包裹 · 快件, 卡住 · 停滞 ·
滞留 · 不动, 中转站 · 转运中心 · 分拨中心.  Two tickets sharing none of the
same words are still about one parcel stuck in one hub; folding each group
to its first word lets the word overlap see it.  Only similarity and
recurring topics fold: search (``search.py``) keeps the words as written,
so a search for 包裹 does not return every 快递.

The groups are the trade's (parcels, bills, accounts, lines, orders), the
head first; each word is cut and stemmed as ``words.terms`` does
(``deliveries`` -> ``deliveri``) when the table is first used.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

from . import words

GROUPS = (
    # parcels and delivery
    "快递 包裹 快件 货物 parcel package shipment delivery",
    "卡住 卡 卡件 停 停滞 滞留 不动 没动 动静 不走 停留 stuck stall",
    "中转站 转运中心 分拨中心 中转场 中转 转站 转运 分拨 转场 中转中心 hub depot",
    "物流 运输 运输中 在路上 track transit",
    "更新 变化 update",
    "延误 没到 不到 没送到 迟迟 送到 到货 delay late",
    "派送 配送 送货 dispatch",
    "丢件 丢失 弄丢 丢 lost",
    "破损 坏 损坏 摔坏 damaged broken",
    # money
    "退款 退钱 退费 退回 refund",
    "扣费 扣钱 扣款 多扣 charged",
    "发票 票据 invoice receipt",
    "到账 入账 arrived",
    # accounts and sign-in
    "密码 口令 password",
    "登录 登陆 登入 login sign",
    "账号 账户 用户名 account username",
    "验证码 短信码 code otp",
    # lines and devices
    "断网 没网 上不了网 连不上 网络 offline outage",
    "路由器 光猫 router modem",
    "信号 没信号 signal",
    "话费 电话费 bill",
    # orders
    "订单 单子 order",
    "取消 撤销 cancel",
)


def _cut(word: str) -> str:
    """The word as ``terms`` gives it (stemmed); as written when it cuts into several or none."""
    found = words.terms(word)
    return found[0] if len(found) == 1 else word


@functools.cache
def table() -> dict[str, str]:
    found: dict[str, str] = {}
    for group in GROUPS:
        members = [_cut(w) for w in group.split()]
        for word in members:
            found.setdefault(word, members[0])
    return found


def fold(found: Iterable[str]) -> list[str]:
    """Each word as its group's first (快件 -> 快递); words of no group as they are."""
    known = table()
    return [known.get(w, w) for w in found]
