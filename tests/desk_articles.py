"""A few published articles for the desk's knowledge panel tests (in Chinese and English, one category)."""
from __future__ import annotations

from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.knowledge.articles import VersionText
from callcenter.models import User
from callcenter.wiring import Container

# key -> (zh title, zh short, en title, en short, variants)
ARTICLES = {
    "refund": ("如何申请退款", "在订单页点击申请退款，三到五个工作日到账。",
               "How to get a refund", "Open the order and press Refund; the money arrives in 3 to 5 working days.",
               [("zh", "我要退款"), ("zh", "退款多久到账"), ("en", "I want my money back")]),
    "router": ("路由器亮红灯怎么办", "请先重启光猫和路由器，仍亮红灯请报修。",
               "The router shows a red light",
               "Restart the fibre modem and the router; if it stays red, report a fault.",
               [("zh", "宽带断了"), ("zh", "光猫红灯"), ("en", "internet is down")]),
    "password": ("忘记密码怎么办", "在登录页点击忘记密码，按短信验证码重设。",
                 "I forgot my password", "On the sign-in page press Forgot password and follow the SMS code.",
                 [("zh", "密码忘了"), ("zh", "登录不了"), ("en", "cannot sign in")]),
    "invoice": ("如何开发票", "在账单页点击申请发票，电子发票会发到您的邮箱。",
                "How to get an invoice", "On the bill page press Invoice; the e-invoice is e-mailed to you.",
                [("zh", "要发票"), ("zh", "开票"), ("en", "send me an invoice")]),
}


def seed(container: Container, *, draft: bool = False) -> dict[str, int]:
    """Publish ``ARTICLES`` in the "support" category (as the admin ada, who must exist); key -> article id.

    ``draft``: one more article, "draft", left unpublished."""
    ids: dict[str, int] = {}
    with transaction(container.session_factory) as s:
        ada = Actor.of(s.scalars(select(User).where(User.username == "ada")).one())
        container.articles.save_category(s, ada, key="support", name_en="Technical support", name_zh="技术支持")
        for key, (zh_title, zh_short, en_title, en_short, variants) in ARTICLES.items():
            article = container.articles.create(
                s, ada, versions={"zh": VersionText(zh_title, zh_short + "\n\n详细步骤见附件。", zh_short),
                                  "en": VersionText(en_title, en_short + "\n\nThe steps in detail follow.", en_short)},
                category="support", tags=[key], variants=variants, publish=True)
            ids[key] = article.id
        if draft:
            ids["draft"] = container.articles.create(
                s, ada, versions={"zh": VersionText("草稿：退款新规", "退款新规", "退款新规")}, category="support").id
    container.knowledge_index.refresh()
    return ids
