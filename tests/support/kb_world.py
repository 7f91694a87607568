"""A small knowledge base for the IVR's self-service tests: billing articles in English and Chinese."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcenter.db import transaction
from callcenter.knowledge.articles import VersionText
from callcenter.models import ArticleStatus
from callcenter.wiring import Container
from tests.support.services import TEST

BILL_SHORT = ("Your bill shows the plan first, then calls and data, then tax. "
              "The total due is at the bottom of the first page.")
BILL_SHORT_ZH = "账单先列套餐，再列通话和流量，最后是税费。应付总额在第一页底部。"
REFUND_SHORT = ("A double charge is refunded within five working days. "
                "You do not need to do anything else.")


@dataclass
class Articles:
    bill: tuple[int, str]  # (id, code): the oldest published billing article
    refund: tuple[int, str]  # another published billing article
    archived: tuple[int, str]
    draft: tuple[int, str]
    router: tuple[int, str]  # support, English only


def seed_articles(container: Container) -> Articles:
    made: dict[str, Any] = {}
    with transaction(container.session_factory) as s:
        kb = container.articles
        kb.save_category(s, TEST, key="billing", name_en="Billing", name_zh="账单")
        kb.save_category(s, TEST, key="support", name_en="Technical support", name_zh="技术支持")
        kb.save_category(s, TEST, key="sales", name_en="Sales", name_zh="销售")  # no articles
        made["bill"] = kb.create(s, TEST, category="billing", publish=True, versions={
            "en": VersionText("How to read your bill", "The long text.", BILL_SHORT),
            "zh": VersionText("如何看懂账单", "长文。", BILL_SHORT_ZH)})
        made["refund"] = kb.create(s, TEST, category="billing", publish=True, versions={
            "en": VersionText("Refund for a double charge", "The long text.", REFUND_SHORT),
            "zh": VersionText("重复扣费退款", "长文。", "重复扣费会在五个工作日内退回，您无需其他操作。")})
        made["archived"] = kb.create(s, TEST, category="billing", publish=True, versions={
            "en": VersionText("An old price list", "Old.", "Prices as they were last year.")})
        kb.set_status(s, TEST, made["archived"].id, ArticleStatus.ARCHIVED)
        made["draft"] = kb.create(s, TEST, category="billing", versions={
            "en": VersionText("Not ready yet", "Draft.", "Nothing to say yet.")})
        made["router"] = kb.create(s, TEST, category="support", publish=True, versions={
            "en": VersionText("Restart your router", "Long.", "Unplug the router, wait ten seconds, plug it in.")})
        return Articles(**{k: (a.id, a.code) for k, a in made.items()})
