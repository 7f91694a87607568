"""A small knowledge base for the reports, calibration and CLI tests: three categories, eight articles in
English and Chinese, each with three ways customers ask (enough for the calibration's held-out questions)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.knowledge.articles import Articles, VersionText
from callcenter.models import Article

CATEGORIES: list[dict[str, Any]] = [
    {"key": "billing", "name_en": "Billing", "name_zh": "账单", "threshold": 0.75},
    {"key": "network", "name_en": "Network", "name_zh": "网络", "threshold": 0.8},
    {"key": "delivery", "name_en": "Delivery", "name_zh": "物流", "threshold": 0.7},
]


def _a(category: str, product: str, tags: list[str], en: tuple[str, str, str, list[str]],
       zh: tuple[str, str, str, list[str]]) -> dict[str, Any]:
    return {"category": category, "product": product, "tags": tags, "status": "published",
            "en": {"title": en[0], "body": en[1], "short": en[2], "questions": en[3]},
            "zh": {"title": zh[0], "body": zh[1], "short": zh[2], "questions": zh[3]}}


ARTICLES = [
    _a("billing", "mobile", ["refund"],
       ("Get a refund for a double charge", "If you were charged twice, we refund the second charge within "
        "five working days. No form is needed.", "We refund a double charge within five working days.",
        ["I was charged twice, can I get a refund?", "refund for a duplicate payment",
         "money taken two times from my card"]),
       ("重复扣费退款", "如果您被重复扣费，我们会在五个工作日内退还多扣的金额，无需填写表格。",
        "重复扣费会在五个工作日内退还。", ["我被扣了两次钱怎么退款", "重复扣款能退吗", "同一笔费用扣了两遍"])),
    _a("billing", "mobile", ["invoice"],
       ("Download an invoice", "Invoices are in the app under Account, Bills. Choose the month and press "
        "Download.", "Open Account, Bills in the app and press Download.",
        ["where do I find my invoice", "how to download my bill as pdf", "I need an invoice for my company"]),
       ("下载发票", "发票在应用的账户、账单里。选择月份后点击下载。", "在应用的账户账单里点击下载发票。",
        ["发票在哪里下载", "怎么开发票", "我需要公司发票"])),
    _a("billing", "broadband", ["bill"],
       ("Why is my bill higher this month", "A higher bill usually comes from roaming, extra data or the end "
        "of a discount. The bill lists each charge.", "Roaming, extra data or an ended discount raise a bill.",
        ["my bill is too high", "why did I pay more this month", "unexpected charges on my bill"]),
       ("账单金额变高", "账单变高通常是因为漫游、额外流量或优惠到期。账单上列出了每一项费用。",
        "漫游、额外流量或优惠到期会让账单变高。", ["这个月话费怎么变多了", "账单太高了", "为什么多扣了话费"])),
    _a("network", "broadband", ["wifi"],
       ("Router has no internet", "Switch the router off for thirty seconds, then on. If the light stays red, "
        "call us and we test the line.", "Restart the router; if the light stays red, call us.",
        ["my wifi is not working", "router light is red no internet", "broadband down at home"]),
       ("路由器无法上网", "请关闭路由器三十秒后再打开。如果指示灯一直是红色，请致电我们检测线路。",
        "重启路由器，红灯不灭请来电。", ["家里断网了", "路由器亮红灯上不了网", "宽带连不上"])),
    _a("network", "mobile", ["speed"],
       ("Slow mobile data", "Mobile data slows down after the monthly allowance is used. Buy an add-on in the "
        "app to get full speed back.", "After your allowance data slows; buy an add-on in the app.",
        ["internet on my phone is very slow", "mobile data speed is bad", "4g is slow"]),
       ("手机流量网速慢", "每月流量用完后网速会降低。在应用里购买加油包即可恢复全速。",
        "流量用完会限速，在应用里买加油包。", ["手机上网很慢", "流量网速特别慢", "4g信号差网速慢"])),
    _a("network", "mobile", ["roaming"],
       ("Turn on roaming", "Roaming is switched on in the app under Services. Daily roaming prices are shown "
        "before you confirm.", "Switch on roaming in the app under Services.",
        ["how do I use my phone abroad", "activate roaming", "my phone does not work overseas"]),
       ("开通国际漫游", "在应用的服务里开通漫游。确认前会显示每日漫游价格。", "在应用的服务里开通漫游。",
        ["出国怎么用手机", "开通漫游", "在国外手机没信号"])),
    _a("delivery", "shop", ["tracking"],
       ("Track a parcel", "The tracking number is in the shipping e-mail. Enter it on the courier's page to "
        "see where the parcel is.", "Use the tracking number in your shipping e-mail.",
        ["where is my parcel", "track my order", "my package has not arrived"]),
       ("查询物流", "物流单号在发货邮件里。在快递公司页面输入单号即可查看包裹位置。",
        "用发货邮件里的单号查询物流。", ["我的快递到哪了", "查一下物流", "包裹还没到"])),
    _a("delivery", "shop", ["return"],
       ("Return an item", "Items can be returned within fourteen days. Print the label from your order and "
        "drop the parcel at any post office.", "Return within 14 days with the label from your order.",
        ["how do I send an item back", "I want to return my order", "return a product I bought"]),
       ("退货", "商品可在十四天内退货。在订单里打印退货标签，把包裹交到任意邮局。",
        "十四天内可凭订单里的标签退货。", ["怎么退货", "我想把东西退回去", "买的商品要退"])),
]


def load(session: Session, articles: Articles, actor: Actor | None = None) -> list[Article]:
    """The categories and the published articles (as the CLI's import or an editor would make them)."""
    actor = actor or Actor.system("test")
    for c in CATEGORIES:
        articles.save_category(session, actor, key=c["key"], name_en=c["name_en"], name_zh=c["name_zh"],
                               threshold=c["threshold"])
    made = []
    for spec in ARTICLES:
        versions = {loc: VersionText(spec[loc]["title"], spec[loc]["body"], spec[loc]["short"]) for loc in ("en", "zh")}
        variants = [(loc, q) for loc in ("en", "zh") for q in spec[loc]["questions"]]
        made.append(articles.create(session, actor, versions=versions, category=spec["category"],
                                    product=spec["product"], tags=spec["tags"], variants=variants, publish=True))
    return made


def document() -> dict[str, Any]:
    """The same knowledge base in the import file's JSON form."""
    return {"categories": CATEGORIES, "articles": ARTICLES}
