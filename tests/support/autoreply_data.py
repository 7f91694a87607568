"""A small published knowledge base in English and Chinese, calibrated, for the auto-reply tests.

Eight articles in four categories, each with three ways customers ask in
each language (the seed calibration holds one out per article and
language), so the fit has right and wrong answers to learn from.
"""
from __future__ import annotations

from dataclasses import dataclass

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.knowledge import calibration
from callcenter.knowledge.articles import VersionText
from callcenter.wiring import Container

EDITOR = Actor.system("test-editor")
CATEGORIES = (("account", "Account", "账户"), ("billing", "Billing", "账单"), ("delivery", "Delivery", "配送"),
              ("network", "Network", "网络"))


@dataclass(frozen=True)
class Seed:
    key: str
    category: str
    en: VersionText
    zh: VersionText
    asked_en: tuple[str, ...]
    asked_zh: tuple[str, ...]


ARTICLES = (
    Seed("password", "account",
         VersionText("Reset a forgotten password",
                     "Open the sign-in page and choose Forgot password. We e-mail you a link; it works for one hour.",
                     "Choose Forgot password on the sign-in page and follow the link we e-mail you."),
         VersionText("重置忘记的密码", "打开登录页面，点击忘记密码。我们会给您发一封带链接的邮件，链接一小时内有效。",
                     "在登录页点击忘记密码，按邮件里的链接操作即可。"),
         ("I forgot my password", "how do I reset my password", "cannot log in because I lost my password"),
         ("忘记密码怎么办", "如何重置密码", "密码找不回来了登录不了")),
    Seed("refund", "billing",
         VersionText("Ask for a refund", "Refunds go back to the card you paid with within five working days.",
                     "Reply with your order number and we refund the card you paid with within five working days."),
         VersionText("申请退款", "退款会在五个工作日内退回您付款的银行卡。",
                     "回复您的订单号，我们会在五个工作日内退款到原付款卡。"),
         ("I want a refund for my order", "how do I get my money back", "please refund my payment"),
         ("我要申请退款", "怎么退款", "钱什么时候退给我")),
    Seed("tracking", "delivery",
         VersionText("Track your parcel", "Every parcel has a tracking number in the shipping e-mail.",
                     "The tracking number is in your shipping e-mail; enter it on the courier's site."),
         VersionText("查询快递物流", "每个包裹的发货邮件里都有快递单号。",
                     "发货邮件里有快递单号，可在快递公司网站查询物流。"),
         ("where is my parcel", "my order has not arrived yet", "track my delivery"),
         ("我的快递到哪了", "包裹还没到", "查询物流信息")),
    Seed("address", "delivery",
         VersionText("Change the delivery address", "An address can change until the parcel leaves the warehouse.",
                     "Reply with the new address before the parcel ships and we change it."),
         VersionText("修改收货地址", "包裹出库前都可以修改收货地址。", "在包裹发货前回复新地址，我们会为您修改。"),
         ("change my shipping address", "I moved, new delivery address", "wrong address on my order"),
         ("修改收货地址", "我要改地址", "收货地址填错了")),
    Seed("invoice", "billing",
         VersionText("Get an invoice", "Invoices are in your account under Orders, as PDF.",
                     "Download the invoice as PDF from Orders in your account."),
         VersionText("开具发票", "发票在您账户的订单页面，可下载PDF。", "在账户的订单页面下载PDF发票。"),
         ("I need an invoice", "send me a receipt for my order", "where can I download the invoice"),
         ("我要开发票", "发票在哪里下载", "请给我订单的收据")),
    Seed("router", "network",
         VersionText("Router light blinks red", "A red light means the line is down. Restart the router first.",
                     "Unplug the router for thirty seconds; if the light stays red, tell us."),
         VersionText("路由器红灯闪烁", "红灯表示线路中断。请先重启路由器。",
                     "拔掉路由器电源三十秒再插上；如果仍是红灯，请告诉我们。"),
         ("my router blinks red", "red light on the router and no internet", "the router light is red"),
         ("路由器一直闪红灯", "路由器红灯上不了网", "路由器亮红灯")),
    Seed("cancel", "account",
         VersionText("Cancel a subscription", "You can cancel any time; the plan runs to the end of the month.",
                     "Cancel under Account, Plan; it runs to the end of the month."),
         VersionText("取消订阅", "您可以随时取消，套餐持续到月底。", "在账户的套餐页面取消，服务持续到月底。"),
         ("cancel my subscription", "stop my monthly plan", "how do I unsubscribe from the plan"),
         ("取消订阅", "我要退订套餐", "怎么停掉每月的套餐")),
    Seed("wifi", "network",
         VersionText("Change the Wi-Fi password",
                     "The Wi-Fi password is on the router's sticker; change it in the app.",
                     "Open the app, choose Wi-Fi and type a new password."),
         VersionText("修改无线网络密码", "无线密码在路由器背面的标签上，可在应用里修改。",
                     "打开应用，选择无线网络，输入新密码。"),
         ("change the wifi password", "what is my wifi password", "new password for the wireless network"),
         ("修改无线密码", "无线网络密码是多少", "怎么改wifi密码")),
)


def seed(container: Container, *, calibrate: bool = True) -> dict[str, int]:
    """Publish the articles (and fit the calibration); their ids by key."""
    ids: dict[str, int] = {}
    with transaction(container.session_factory) as s:
        for key, name_en, name_zh in CATEGORIES:
            container.articles.save_category(s, EDITOR, key=key, name_en=name_en, name_zh=name_zh)
        for item in ARTICLES:
            article = container.articles.create(
                s, EDITOR, versions={"en": item.en, "zh": item.zh}, category=item.category, publish=True,
                variants=[("en", q) for q in item.asked_en] + [("zh", q) for q in item.asked_zh])
            ids[item.key] = article.id
        if calibrate:
            calibration.calibrate(s)
    container.knowledge_index.refresh()
    container.suggester.forget_model()
    return ids
