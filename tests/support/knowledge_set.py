"""A small knowledge base of a telecom and e-commerce call centre, and customer phrasings labelled against it.

Twenty articles in five categories, each in English and Chinese with the
ways customers ask (its approved question variants).  The labelled
phrasings were written apart from the variants, the way a customer types a
message or a recogniser hears a caller: paraphrases, traditional
characters, speech recognition's spacing between characters, bare
two-character words.  The unanswerable ones ask what no article covers,
several with words the articles use; their label is None.

Nothing here is given to the index or the calibration: the quality test
asks these phrasings of what ``load`` publishes and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.knowledge.articles import Articles, VersionText

CATEGORIES = (  # key, English name, Chinese name
    ("billing", "Bills and payments", "账单与付款"),
    ("orders", "Orders and delivery", "订单与配送"),
    ("account", "Account and security", "账号与安全"),
    ("broadband", "Home broadband", "家庭宽带"),
    ("mobile", "Mobile plans and numbers", "手机套餐与号码"),
)


@dataclass(frozen=True)
class Spec:
    key: str
    category: str
    product: str
    tags: tuple[str, ...]
    en: VersionText
    zh: VersionText
    asked_en: tuple[str, ...]
    asked_zh: tuple[str, ...]


ARTICLES = (
    Spec("refund", "billing", "shop", ("refund", "payment"),
         VersionText(
             "How to request a refund and when it arrives",
             "You can request a refund for an order or a service charge within 30 days of payment. Open My Orders "
             "in the app, choose the order and tap Request refund, or ask an agent to file it for you. Once "
             "approved, the money goes back to the original payment method. Bank cards take 3 to 7 working days, "
             "wallets such as Alipay or WeChat Pay usually 1 to 2 days. You will get an SMS when the refund is "
             "issued.",
             "Request a refund in the app under My Orders within 30 days of payment. After approval the money "
             "returns to your original payment method: 1 to 2 days for Alipay or WeChat Pay, 3 to 7 working days "
             "for bank cards."),
         VersionText(
             "如何申请退款及到账时间",
             "订单或服务费在付款后30天内可以申请退款。在App的“我的订单”中选择订单，点击“申请退款”，也可以请客服代为"
             "提交。审核通过后，款项原路退回。银行卡需要3到7个工作日，支付宝或微信支付一般1到2天到账。退款发出后您会收"
             "到短信通知。",
             "付款后30天内可在App我的订单中申请退款，审核通过后原路退回，支付宝或微信1到2天到账，银行卡3到7个工作日。"),
         ("How do I get a refund?", "I want my money back for an order", "When will my refund arrive?",
          "Refund still not received"),
         ("怎么申请退款", "退款什么时候到账", "我要退钱", "退款一直没收到")),
    Spec("invoice", "billing", "shop", ("invoice",),
         VersionText(
             "Getting an invoice (fapiao) for a bill or an order",
             "Electronic invoices can be issued for monthly bills and for orders that have been delivered. In the "
             "app, go to Bills or My Orders, choose Invoice, and enter the title and, for a company, its tax "
             "number. The electronic invoice is e-mailed within 24 hours and can also be downloaded in the app. A "
             "wrong title or tax number can be corrected once by cancelling the invoice and issuing it again.",
             "Open Bills or My Orders in the app and choose Invoice. Enter the invoice title and, for a company, the "
             "tax number. The electronic invoice arrives by e-mail within 24 hours. A wrong invoice can be "
             "cancelled and issued again once."),
         VersionText(
             "如何开具发票",
             "月度账单和已签收的订单都可以开具电子发票。在App的“账单”或“我的订单”中选择“开发票”，填写发票抬头，公司"
             "还需填写税号。电子发票会在24小时内发送到您的邮箱，也可以在App中下载。抬头或税号填错的，可以作废后重开一次。",
             "在App账单或我的订单中选择开发票，填写抬头，公司需填税号。电子发票24小时内发到邮箱，开错可作废重开一次。"),
         ("How can I get an invoice?", "I need a VAT invoice for my company", "The invoice title is wrong",
          "Where do I download my e-invoice"),
         ("怎么开发票", "发票抬头开错了", "公司报销需要增值税发票", "电子发票在哪里下载")),
    Spec("tracking", "orders", "shop", ("delivery", "courier"),
         VersionText(
             "Tracking a delivery",
             "Every order gets a tracking number once it leaves the warehouse, usually within 24 hours of payment. "
             "You can follow the parcel in My Orders under Track package, or on the courier's website with the "
             "tracking number. If the tracking has not moved for 3 days, contact us and we will open an inquiry "
             "with the courier. Remote areas can take 2 to 3 extra days.",
             "Open My Orders and choose Track package to follow your parcel. Orders ship within 24 hours of payment. "
             "If tracking has not updated for 3 days, contact us and we will chase the courier."),
         VersionText(
             "查询快递物流",
             "订单出库后会生成快递单号，一般在付款后24小时内发货。您可以在“我的订单”中点击“查看物流”跟踪包裹，也可以"
             "用快递单号在快递公司官网查询。如果物流信息3天没有更新，请联系我们，我们会向快递公司催查。偏远地区可能多需"
             "要2到3天。",
             "在我的订单中点击查看物流即可跟踪包裹，付款后24小时内发货。物流信息3天未更新请联系我们催查。"),
         ("Where is my package?", "How do I track my order?", "My parcel has not arrived yet",
          "Tracking number not updating"),
         ("我的快递到哪了", "怎么查物流", "包裹一直没送到", "快递单号查不到信息")),
    Spec("password", "account", "account", ("password", "login"),
         VersionText(
             "Resetting your password",
             "If you forgot your password, tap Forgot password on the login page and enter your registered mobile "
             "number. We send a 6-digit verification code by SMS; enter it and choose a new password of at least 8 "
             "characters with letters and numbers. The new password works at once in the app and on the website. "
             "If you no longer have the registered number, visit a service hall with your ID card.",
             "Tap Forgot password on the login page, enter your registered mobile number and the SMS code, then set "
             "a new password of at least 8 letters and numbers. Without the old number, bring your ID card to a "
             "service hall."),
         VersionText(
             "重置登录密码",
             "忘记密码时，在登录页点击“忘记密码”，输入注册手机号。我们会发送6位短信验证码，输入后设置至少8位、包含字母"
             "和数字的新密码。新密码在App和网站上立即生效。如果注册手机号已不再使用，请携带身份证到营业厅办理。",
             "在登录页点击忘记密码，输入注册手机号和短信验证码，设置至少8位含字母和数字的新密码。手机号不用了请带身份证到"
             "营业厅。"),
         ("I forgot my password", "How do I reset my login password?", "How to change my password",
          "Can't remember my password"),
         ("忘记密码怎么办", "怎么重置登录密码", "我想改密码", "密码想不起来了")),
    Spec("wifi_down", "broadband", "broadband", ("outage", "router", "wifi"),
         VersionText(
             "Home internet or WiFi is down",
             "First check the lights on your router: a red or blinking LOS light means the fibre line has a "
             "problem. Switch the router and the optical modem off, wait 30 seconds and switch them on again. Check "
             "that your broadband bill is paid, as service stops when the account is overdue. If it still does not "
             "connect after restarting, book a repair in the app and an engineer will contact you within 24 hours.",
             "Turn the router and optical modem off for 30 seconds and on again, and check the broadband bill is "
             "paid. A red LOS light means a line fault: book a repair in the app and an engineer will call you "
             "within 24 hours."),
         VersionText(
             "宽带断网或WiFi连不上",
             "请先查看路由器和光猫的指示灯，LOS灯红色闪烁说明光纤线路故障。将光猫和路由器断电30秒后重新开机。请确认宽带"
             "费用已缴，欠费会暂停服务。重启后仍无法上网的，请在App中预约报修，工程师会在24小时内联系您。",
             "请将光猫和路由器断电30秒后重启，并确认宽带没有欠费。LOS灯亮红灯是线路故障，请在App预约报修，工程师24小时"
             "内联系您。"),
         ("My internet is not working", "WiFi keeps disconnecting", "The router shows a red light",
          "No internet connection at home"),
         ("家里宽带断网了", "WiFi连不上", "路由器亮红灯", "上不了网怎么办")),
    Spec("topup", "billing", "mobile", ("top-up", "payment"),
         VersionText(
             "A top-up that has not arrived",
             "Phone top-ups usually reach your balance within 10 minutes, but at busy times they can take up to 2 "
             "hours. Check that the number you topped up is correct in your payment record. If the money left your "
             "account but the balance has not changed after 2 hours, send us the payment order number. We will "
             "credit the balance or refund the payment within 1 working day.",
             "A top-up normally arrives within 10 minutes and at most 2 hours. Check the number you topped up. If it "
             "has not arrived after 2 hours, send us the payment order number and we will credit or refund it "
             "within 1 working day."),
         VersionText(
             "充值未到账",
             "话费充值一般10分钟内到账，高峰期最长可能需要2小时。请在支付记录中核对充值的手机号码是否正确。如果已扣款但2"
             "小时后余额仍未变化，请把支付订单号发给我们。我们会在1个工作日内为您补充到账或退回款项。",
             "话费充值一般10分钟内到账，最长2小时。请核对充值号码。超过2小时未到账，请提供支付订单号，我们1个工作日内补"
             "到账或退款。"),
         ("My top-up has not arrived", "I recharged but my balance did not change",
          "Paid for credit but nothing added", "Recharge not credited"),
         ("充值了话费没到账", "交了话费余额没变", "充值扣款了但是没到", "话费充错号码了")),
    Spec("sim_lost", "mobile", "mobile", ("sim", "security"),
         VersionText(
             "Lost or stolen SIM card",
             "If your phone or SIM card is lost or stolen, suspend the number at once in the app or by calling us "
             "from another phone, so nobody can use it. Then bring your ID card to any service hall for a "
             "replacement SIM with the same number; it costs nothing and takes about 10 minutes. Your balance and "
             "plan stay the same. The suspension is lifted when the new SIM is activated.",
             "Suspend the number at once in the app or by calling us from another phone. Then bring your ID card to "
             "a service hall for a free replacement SIM with the same number, ready in about 10 minutes."),
         VersionText(
             "手机卡丢失补卡",
             "手机或SIM卡丢失、被盗后，请立即在App中或用其他电话联系我们办理挂失停机，防止被人盗用。然后携带本人身份证到"
             "任一营业厅补办新卡，号码不变，免费办理，约10分钟。您的余额和套餐保持不变。新卡激活后自动解除挂失。",
             "请立即在App或用其他电话办理挂失停机，再带身份证到营业厅免费补办新卡，号码不变，约10分钟办好。"),
         ("I lost my SIM card", "My phone was stolen, how do I block my number?", "Replacement SIM card",
          "How to get a new SIM with the same number"),
         ("手机卡丢了怎么办", "手机被偷了要挂失", "怎么补办SIM卡", "补卡需要带什么")),
    Spec("bill_high", "billing", "mobile", ("bill", "charges"),
         VersionText(
             "My bill is higher than usual",
             "A higher bill usually comes from data used beyond your plan, roaming, calls to premium numbers or "
             "value-added services you subscribed to. Open Bills in the app and tap a charge to see its detail. If "
             "you do not recognise a subscription, you can cancel it there and ask us to check the charges. Charges "
             "found to be wrong are refunded to your balance on the next bill.",
             "Open Bills in the app and tap each charge to see its detail: extra data, roaming and value-added "
             "services are the usual causes. Unknown subscriptions can be cancelled there, and wrong charges are "
             "refunded on your next bill."),
         VersionText(
             "话费账单异常偏高",
             "账单偏高通常是套餐外流量、国际漫游、拨打信息服务号码或订购了增值业务造成的。在App的“账单”中点击每一项费用"
             "可查看明细。发现不认识的业务可以直接退订，并可申请核查费用。核实多收的费用会在下月账单中退回到您的余额。",
             "请在App账单中点击查看每项费用明细，常见原因是套餐外流量、漫游和增值业务。不认识的业务可直接退订，多收的费用"
             "下月退回。"),
         ("Why is my bill so high this month?", "I was overcharged", "Unknown charges on my phone bill",
          "My bill doubled"),
         ("这个月话费怎么这么高", "被乱扣费了", "账单里有不认识的收费", "话费突然多了很多")),
    Spec("plan", "mobile", "mobile", ("plan",),
         VersionText(
             "Changing your mobile plan",
             "You can switch to another plan in the app under My Plan, Change plan. An upgrade takes effect at once "
             "and the price is charged pro rata for this month. A downgrade takes effect on the first day of next "
             "month. Plans with a contract can only move to a plan of the same price or higher until the contract "
             "ends.",
             "Change your plan in the app under My Plan. An upgrade starts at once and this month is charged pro "
             "rata. A downgrade starts on the first of next month. Under contract you can only move to a plan of the "
             "same price or higher."),
         VersionText(
             "变更手机套餐",
             "您可以在App的“我的套餐”中选择“变更套餐”。升级套餐立即生效，本月费用按天折算。降级套餐从下月1日起生效。"
             "合约期内的套餐只能变更为同档或更高档位，合约到期后可自由选择。",
             "在App我的套餐中可变更套餐。升级立即生效，本月按天计费；降级下月1日生效。合约期内只能换同档或更高档。"),
         ("How do I change my plan?", "I want a cheaper package", "Upgrade my data plan",
          "Switch to a different tariff"),
         ("怎么换套餐", "想改成便宜点的套餐", "升级流量套餐", "套餐可以降档吗")),
    Spec("cancel", "mobile", "broadband", ("contract", "cancel"),
         VersionText(
             "Cancelling a contract or closing an account",
             "To cancel a broadband or mobile contract, bring your ID card to a service hall; contracts cannot be "
             "cancelled by phone for your protection. Within the contract term, an early termination fee applies, "
             "shown in the app under My Plan. Any remaining balance is refunded after outstanding bills are "
             "settled. Rented equipment such as the optical modem must be returned within 15 days.",
             "Bring your ID card to a service hall to cancel; it cannot be done by phone. Leaving before the "
             "contract ends costs the fee shown under My Plan. Return rented equipment within 15 days; any "
             "remaining balance is refunded."),
         VersionText(
             "解约与销户",
             "取消宽带或手机合约需要本人携带身份证到营业厅办理，为保障安全不能电话办理。合约期内解约需支付违约金，金额可在"
             "App“我的套餐”中查看。结清欠费后，剩余余额会退还给您。租用的光猫等设备须在15天内归还。",
             "销户或解约请本人带身份证到营业厅办理，不能电话办理。合约期内解约需付违约金，设备15天内归还，余额结清后退还。"),
         ("I want to cancel my contract", "How to terminate my broadband service", "Close my account",
          "Is there a fee to end my contract early?"),
         ("我要取消合约", "宽带怎么销户", "提前解约要交违约金吗", "不想用了怎么注销号码")),
    Spec("roaming", "mobile", "mobile", ("roaming", "travel"),
         VersionText(
             "Using your phone abroad (roaming)",
             "International roaming is switched on free of charge in the app under Services, Roaming, at least one "
             "day before you travel. Daily roaming packs give a fixed amount of data for a flat fee in over 100 "
             "destinations. Without a pack, data abroad is charged per MB and can be expensive. If your phone has no "
             "signal abroad, turn on data roaming in the phone's settings and choose a network manually.",
             "Turn on international roaming in the app under Services at least one day before you travel, and add a "
             "daily roaming pack to avoid per MB charges. No signal abroad: enable data roaming on the phone and "
             "pick a network manually."),
         VersionText(
             "出国漫游",
             "国际漫游可在出行前至少一天在App“服务”中免费开通。国际漫游日包在100多个国家和地区按天收取固定费用，含一定"
             "流量。未订购日包时境外流量按MB计费，费用较高。境外没有信号时，请在手机设置中打开数据漫游并手动选择网络。",
             "出国前至少一天在App服务中开通国际漫游，建议订购漫游日包。境外没信号请在手机设置中打开数据漫游并手动选网。"),
         ("How do I use my phone abroad?", "Activate international roaming", "No signal while travelling overseas",
          "How much is data abroad?"),
         ("出国怎么开通漫游", "国外手机没信号", "境外上网怎么收费", "去香港旅游用流量")),
    Spec("slow", "broadband", "broadband", ("speed", "wifi"),
         VersionText(
             "Slow internet speed",
             "Test the speed with a cable plugged into the router, since WiFi through walls is much slower. The 5 "
             "GHz WiFi band is faster than 2.4 GHz when you are near the router. Many devices downloading at once "
             "share your bandwidth. If the wired speed is below 70 percent of your plan for several days, book a "
             "line check in the app.",
             "Test the speed with a cable into the router: WiFi through walls is slower, and 5 GHz is faster near "
             "the router. If the wired speed stays below 70 percent of your plan, book a line check in the app."),
         VersionText(
             "宽带网速慢",
             "请用网线连接路由器测速，隔墙使用WiFi速度会明显下降。离路由器近时，5GHz频段的WiFi比2.4GHz更快。多台设备"
             "同时下载会分享带宽。如果有线测速连续几天低于套餐速率的70%，请在App中预约线路检测。",
             "请用网线连接路由器测速，隔墙WiFi会变慢，近处用5GHz频段更快。有线测速持续低于套餐速率70%，请在App预约线路"
             "检测。"),
         ("My internet is very slow", "Broadband speed lower than promised", "Pages load slowly",
          "Speed test shows low speed"),
         ("网速太慢了", "宽带速度达不到", "网页打开很慢", "测速只有几兆")),
    Spec("phone_dead", "mobile", "phone", ("device", "repair"),
         VersionText(
             "Phone will not turn on",
             "Charge the phone for at least 30 minutes with the original charger, as a fully empty battery may show "
             "nothing at first. Then hold the power button and volume down together for 15 seconds to force a "
             "restart. If it still shows no sign of life, or it got wet, do not keep charging it. Phones bought from "
             "us within 12 months are repaired free at an authorised service centre; bring the phone and its "
             "invoice.",
             "Charge it for 30 minutes with the original charger, then hold power and volume down for 15 seconds to "
             "restart. If it still does nothing, bring it with its invoice to a service centre: free repair within "
             "12 months."),
         VersionText(
             "手机无法开机",
             "请用原装充电器充电至少30分钟，电池完全没电时屏幕可能暂时没有反应。然后同时长按电源键和音量减键15秒强制重启。"
             "如果仍然没有反应或手机进过水，请不要继续充电。在我们这里购买12个月内的手机可到授权售后中心免费维修，请带上"
             "手机和发票。",
             "请用原装充电器充电30分钟，再同时长按电源键和音量减键15秒重启。仍无反应请带手机和发票到售后中心，12个月内"
             "免费维修。"),
         ("My phone won't turn on", "Phone is dead and will not charge", "Black screen, phone does not start",
          "Mobile stuck and not booting"),
         ("手机开不了机", "手机黑屏没反应", "手机充不进电也开不了机", "手机死机了按什么都不动")),
    Spec("return", "orders", "shop", ("return",),
         VersionText(
             "Returning an item",
             "Most items can be returned within 7 days of delivery without giving a reason, as long as they are "
             "unused and in their original packaging. Start the return in My Orders, choose Return, and a courier "
             "will collect the parcel, or you can drop it at a pick-up point. Return shipping is free if the item is "
             "faulty. The refund starts once the warehouse has checked the item, usually within 2 days of "
             "receiving it.",
             "Start a return in My Orders within 7 days of delivery. Items must be unused and in their original "
             "packaging. A courier collects it for free if the item is faulty, and the refund starts once the "
             "warehouse has checked it."),
         VersionText(
             "七天无理由退货",
             "大部分商品签收后7天内可以无理由退货，商品需未使用且包装完好。在“我的订单”中选择“退货”，快递员会上门取件，"
             "也可以送到自提点。商品有质量问题的，退货运费由我们承担。仓库验收后开始退款，一般在收到商品后2天内。",
             "签收7天内可在我的订单中申请退货，商品需未使用、包装完好。质量问题免运费，仓库验收后开始退款。"),
         ("How do I return an item?", "I want to send back my order", "Can I return something I bought?",
          "Return policy"),
         ("怎么退货", "买的东西想退回去", "七天无理由退货怎么操作", "退货运费谁出")),
    Spec("wrong_item", "orders", "shop", ("delivery", "exchange"),
         VersionText(
             "Received the wrong item",
             "If the parcel contains a different item, size or colour from what you ordered, take a photo of the "
             "item and the shipping label. Report it in My Orders under Problem with order within 48 hours of "
             "delivery. We send the right item at once and a courier collects the wrong one at no cost to you. "
             "Please keep the wrong item unused until it is collected.",
             "Photograph the item and the shipping label and report it in My Orders under Problem with order within "
             "48 hours. We send the right item at once and collect the wrong one free of charge."),
         VersionText(
             "收到的商品发错了",
             "如果包裹里的商品、尺码或颜色与订单不符，请拍下商品和快递面单的照片。在签收48小时内到“我的订单”的“订单问题”"
             "中反馈。我们会立即补发正确的商品，并安排快递免费上门取回发错的商品。取件前请保持发错的商品未使用。",
             "请拍下商品和快递面单，在签收48小时内到我的订单中反馈订单问题。我们会立即补发正确商品，并免费上门取回发错的"
             "商品。"),
         ("I received the wrong item", "The parcel has something I did not order", "Wrong size was delivered",
          "They sent me the wrong colour"),
         ("收到的东西发错了", "商品和我买的不一样", "尺码发错了", "颜色不对")),
    Spec("address", "orders", "shop", ("delivery", "address"),
         VersionText(
             "Changing the delivery address",
             "You can change the delivery address in My Orders until the order has shipped. Choose the order, tap "
             "Change address and select or add the new one. Once the parcel is with the courier, we can ask the "
             "courier to redirect it, which may add 1 to 2 days, or you can collect it at a pick-up point. The "
             "address cannot be moved to another city after shipping.",
             "Before shipping, change the address in My Orders under Change address. After shipping we can ask the "
             "courier to redirect the parcel within the same city, which may add 1 to 2 days."),
         VersionText(
             "修改收货地址",
             "订单发货前，可以在“我的订单”中修改收货地址。选择订单，点击“修改地址”，选择或新增地址即可。已经发货的，我们"
             "可以联系快递改派，可能多需要1到2天，您也可以到自提点取件。发货后不能改寄到其他城市。",
             "发货前可在我的订单中点击修改地址。已发货的可联系快递在同城改派，可能多需1到2天。"),
         ("How do I change my delivery address?", "I entered the wrong address",
          "Send my parcel to a different address", "Can I update the shipping address after ordering?"),
         ("怎么改收货地址", "地址填错了", "下单后能换地址吗", "快递能改送到公司吗")),
    Spec("code", "account", "account", ("sms", "login"),
         VersionText(
             "Not receiving the SMS verification code",
             "The code usually arrives within 60 seconds. Check that the phone has signal and that the number "
             "entered is right, and look in the phone's blocked or spam messages. You can ask for a new code after "
             "60 seconds, up to 5 times an hour. If the number is suspended for an unpaid bill, codes cannot be "
             "delivered until it is paid. You can also choose a voice call to hear the code.",
             "The code arrives within 60 seconds. Check the signal, the number entered and your blocked messages, "
             "then ask again after 60 seconds, up to 5 times an hour. You can also choose a voice call to hear the "
             "code."),
         VersionText(
             "收不到短信验证码",
             "验证码一般在60秒内送达。请确认手机有信号、输入的号码正确，并查看手机的骚扰拦截短信。60秒后可以重新获取，"
             "每小时最多5次。号码因欠费停机时无法接收验证码，缴费后恢复。您也可以选择语音验证码接听电话获取。",
             "验证码一般60秒内送达。请检查信号、号码和拦截短信，60秒后可重新获取，每小时最多5次，也可选择语音验证码。"),
         ("I'm not getting the verification code", "SMS code never arrives", "No OTP message received",
          "Didn't receive the login code"),
         ("收不到验证码", "验证码一直不来", "短信验证码没收到", "获取验证码没反应")),
    Spec("locked", "account", "account", ("login", "security"),
         VersionText(
             "Account locked after failed logins",
             "For your safety, an account is locked for 30 minutes after 5 wrong passwords in a row. Wait 30 "
             "minutes and try again, or reset the password to unlock it at once. If the account was frozen because "
             "of unusual activity, we will have sent you an SMS; verify your identity in the app with your ID card "
             "and a face check to unfreeze it. Agents cannot unlock an account over the phone.",
             "After 5 wrong passwords an account is locked for 30 minutes: wait, or reset the password to unlock it "
             "at once. An account frozen for unusual activity is unfrozen in the app with your ID card and a face "
             "check."),
         VersionText(
             "账号被锁定或冻结",
             "为了您的安全，连续输错5次密码后账号会被锁定30分钟。请等待30分钟后再试，或重置密码立即解锁。因异常操作被冻结"
             "的账号，我们会发送短信通知，请在App中通过身份证和人脸认证解冻。客服无法通过电话为您解锁。",
             "连续输错5次密码会锁定30分钟，等待或重置密码可解锁。因异常被冻结的账号，请在App中用身份证和人脸认证解冻。"),
         ("My account is locked", "Account frozen, how do I unlock it?", "Too many login attempts",
          "I can't log in, it says account locked"),
         ("账号被锁了", "账户被冻结怎么解冻", "登录提示账号锁定", "密码输错太多次登不上")),
    Spec("porting", "mobile", "mobile", ("number", "porting"),
         VersionText(
             "Keeping your number when switching operator (porting)",
             "You can bring your number from another operator or take it to one. Text CXXZ to your current operator "
             "to check that the number can be ported; contracts, unpaid bills or a number under 120 days old block "
             "it. Then apply at the new operator's service hall or app with your ID card. The switch happens within "
             "24 hours, with a short loss of service of up to 2 hours.",
             "Text CXXZ to your current operator to check the number can be ported. Then apply with your ID card at "
             "the new operator. It completes within 24 hours, with up to 2 hours without service. Contracts and "
             "unpaid bills block it."),
         VersionText(
             "携号转网",
             "您可以把其他运营商的号码转入，也可以转出。先发送短信CXXZ到原运营商，查询号码是否可以携转；合约未到期、有欠费"
             "或入网不满120天的号码不能办理。然后带身份证到新运营商的营业厅或App申请。24小时内完成携转，期间最多有2小时无"
             "法使用。",
             "先发短信CXXZ到原运营商查询能否携转，再带身份证到新运营商申请。24小时内完成，最多2小时无服务。合约期内或有"
             "欠费不能办理。"),
         ("How do I keep my number when I switch?", "Port my number to you", "Transfer my number to another carrier",
          "Number portability"),
         ("怎么携号转网", "号码转到你们公司", "不换号码换运营商", "携转条件是什么")),
    Spec("engineer", "broadband", "broadband", ("complaint", "engineer"),
         VersionText(
             "Complaint about an engineer's visit",
             "We are sorry if an engineer was late, did not come, was rude or left the job unfinished. Tell us the "
             "date of the visit and what happened, and a supervisor will call you back within 24 hours. If the "
             "repair was not finished, we book a new visit at a time you choose, with priority. You can also rate "
             "every visit in the app, and low ratings are reviewed by the service manager.",
             "Tell us the visit date and what went wrong, and a supervisor will call you back within 24 hours. An "
             "unfinished repair gets a priority visit at a time you choose. You can also rate each visit in the "
             "app."),
         VersionText(
             "投诉上门工程师",
             "工程师迟到、没有上门、态度不好或没修好就走了，我们深表歉意。请告诉我们上门日期和具体情况，主管会在24小时内给"
             "您回电。维修未完成的，我们会按您方便的时间优先安排再次上门。您也可以在App中为每次上门服务评价，差评会由服务"
             "经理复核。",
             "请告诉我们上门日期和具体情况，主管会在24小时内回电。没修好的会优先按您方便的时间再次上门。您也可以在App中"
             "评价每次上门服务。"),
         ("The engineer did not show up", "Complaint about the technician", "The repair man was rude",
          "Engineer left without fixing it"),
         ("维修师傅没来", "投诉装维人员", "工程师态度很差", "师傅没修好就走了")),
)

# -- the labelled phrasings: (what the customer wrote or said, the article that answers it) --------------
ZH = (
    ("退款", "refund"),
    ("我 要 申 请 退 款 钱 什 么 时 候 能 回 来", "refund"),
    ("退款多久會退回到我的銀行卡", "refund"),
    ("订单取消了钱退到哪里去了", "refund"),
    ("发票", "invoice"),
    ("報銷要用的發票怎麼開", "invoice"),
    ("公司抬头的专票能开吗", "invoice"),
    ("开 发 票 要 填 什 么", "invoice"),
    ("物流", "tracking"),
    ("买的东西好几天了还在路上吗", "tracking"),
    ("快 递 到 哪 里 了 帮 我 查 一 下", "tracking"),
    ("包裹怎麼還沒到", "tracking"),
    ("密码", "password"),
    ("登录密码忘了怎么找回", "password"),
    ("忘 了 密 码 怎 么 重 新 设 置", "password"),
    ("密碼忘記了要怎麼重新設定", "password"),
    ("断网", "wifi_down"),
    ("家里的无线网突然用不了了", "wifi_down"),
    ("光猫上面的灯一直闪红色", "wifi_down"),
    ("路 由 器 红 灯 上 不 了 网", "wifi_down"),
    ("充值", "topup"),
    ("话费交了怎么还显示欠费", "topup"),
    ("充 了 一 百 块 话 费 还 没 到 账", "topup"),
    ("早上充的話費到現在還沒進賬", "topup"),
    ("补卡", "sim_lost"),
    ("手机丢了卡怎么办", "sim_lost"),
    ("电话卡被偷了要先停机吗", "sim_lost"),
    ("手機卡掉了要怎麼補辦", "sim_lost"),
    ("这个月扣了我好多钱不知道为什么", "bill_high"),
    ("账单上多了一笔莫名其妙的费用", "bill_high"),
    ("帳單費用比平常高很多", "bill_high"),
    ("话 费 怎 么 突 然 变 这 么 贵", "bill_high"),
    ("现在的套餐太贵了想换一个", "plan"),
    ("流量不够用想加大套餐", "plan"),
    ("套 餐 能 不 能 改 成 月 租 低 一 点 的", "plan"),
    ("我想換個流量多一點的套餐", "plan"),
    ("销户", "cancel"),
    ("合约还没到期可以退掉宽带吗", "cancel"),
    ("不 想 用 你 们 的 宽 带 了 怎 么 退 订", "cancel"),
    ("提前解約要賠多少錢", "cancel"),
    ("漫游", "roaming"),
    ("下个月去日本手机怎么用", "roaming"),
    ("在国外打电话贵不贵", "roaming"),
    ("出國旅遊手機要怎麼開通", "roaming"),
    ("网速", "slow"),
    ("晚上上网特别卡", "slow"),
    ("看视频老是缓冲", "slow"),
    ("網速很慢怎麼辦", "slow"),
    ("黑屏", "phone_dead"),
    ("手机没电了充了电也开不了", "phone_dead"),
    ("昨天手机掉水里现在不亮了", "phone_dead"),
    ("手 机 按 电 源 键 没 有 反 应", "phone_dead"),
    ("退货", "return"),
    ("衣服不合适能退吗", "return"),
    ("买的东西没拆封想退掉", "return"),
    ("退貨要自己寄回去嗎", "return"),
    ("我订的是黑色的到手是白色的", "wrong_item"),
    ("包裹里的东西不是我买的", "wrong_item"),
    ("收 到 的 鞋 子 尺 码 不 对", "wrong_item"),
    ("寄來的商品跟訂單不一樣", "wrong_item"),
    ("收货地址写错了还能改吗", "address"),
    ("我搬家了包裹能不能送到新家", "address"),
    ("下 单 的 时 候 地 址 填 错 了", "address"),
    ("已經發貨了還能改收件地址嗎", "address"),
    ("注册的时候短信一直收不到", "code"),
    ("登录要的那个短信码没发过来", "code"),
    ("登 录 的 验 证 码 等 了 好 久 都 没 来", "code"),
    ("註冊帳號時收不到簡訊驗證碼", "code"),
    ("冻结", "locked"),
    ("输错几次密码账号登不上了", "locked"),
    ("我的账户被冻住了怎么办", "locked"),
    ("帳號被鎖定了怎麼解開", "locked"),
    ("我想换运营商但是号码不想变", "porting"),
    ("号码转到别家要什么条件", "porting"),
    ("攜號轉網要怎麼辦理", "porting"),
    ("携 号 转 网 需 要 多 久", "porting"),
    ("上门的师傅迟到了两个小时", "engineer"),
    ("装宽带的人态度恶劣", "engineer"),
    ("约好的维修人员根本没来", "engineer"),
    ("工程師來了也沒修好", "engineer"),
)

EN = (
    ("Can I have my money back, the order was cancelled", "refund"),
    ("how long until the refund shows on my card", "refund"),
    ("need a receipt with our company tax ID for reimbursement", "invoice"),
    ("Please send me a tax invoice for last month's bill", "invoice"),
    ("where's my parcel, ordered a week ago", "tracking"),
    ("the courier status hasn't changed for days", "tracking"),
    ("forgotten my login details, how to set a new password", "password"),
    ("reset password please", "password"),
    ("broadband down since this morning, router light is red", "wifi_down"),
    ("the wifi at home stopped working", "wifi_down"),
    ("topped up 50 yuan but balance still the same", "topup"),
    ("recharge money deducted but not added to my phone", "topup"),
    ("lost my phone yesterday, need to block the sim", "sim_lost"),
    ("how do I get a replacement card with the same number", "sim_lost"),
    ("why was I charged so much this month", "bill_high"),
    ("strange charges on my bill I don't recognise", "bill_high"),
    ("can I downgrade to a smaller plan", "plan"),
    ("I'd like more data, which plan should I move to", "plan"),
    ("I'm moving abroad and want to end my contract", "cancel"),
    ("what's the early termination fee", "cancel"),
    ("going to Japan next week, will my phone work there", "roaming"),
    ("data roaming charges abroad", "roaming"),
    ("internet speed is terrible in the evening", "slow"),
    ("videos keep buffering on wifi", "slow"),
    ("my phone died and won't switch on even when charging", "phone_dead"),
    ("dropped my phone in water now black screen", "phone_dead"),
    ("the jacket doesn't fit, can I send it back", "return"),
    ("how many days do I have to return a product", "return"),
    ("ordered blue shoes but got red ones", "wrong_item"),
    ("package contained someone else's item", "wrong_item"),
    ("I moved house, can you deliver my order to my new address", "address"),
    ("need to change where my parcel is going", "address"),
    ("the one-time code isn't coming through to my phone", "code"),
    ("registration sms code not arriving", "code"),
    ("entered my password wrong too many times and now I'm locked out", "locked"),
    ("my account got frozen for suspicious activity", "locked"),
    ("want to switch to your network but keep my old number", "porting"),
    ("how long does porting take", "porting"),
    ("technician was two hours late and rude", "engineer"),
    ("nobody came for the repair appointment yesterday", "engineer"),
)

# Questions no article answers; several share words with one.
UNANSWERABLE = (
    ("你们营业厅周末几点关门", None),
    ("手机屏幕碎了换屏多少钱", None),
    ("积分怎么兑换礼品", None),
    ("可以办一张副卡给家里人用吗", None),
    ("快递员态度太差了", None),
    ("宽带可以移机到新家吗", None),
    ("你们有没有老年人手机卖", None),
    ("怎么设置孩子上网的时间限制", None),
    ("国际长途怎么拨号", None),
    ("公司要招聘客服吗", None),
    ("what time does your store open on Sunday", None),
    ("do you sell phone cases", None),
    ("can I add a second line for my kid", None),
    ("how do I set up parental controls on the router", None),
    ("my screen is cracked, how much to fix it", None),
    ("can I pay my bill in cash at the post office", None),
    ("how do I earn loyalty points", None),
    ("is 5G coverage available in my area", None),
    ("the courier was rude to me", None),
    ("are you hiring call centre staff", None),
)


def load(session: Session, articles: Articles, actor: Actor) -> dict[str, int]:
    """Create the categories and publish the twenty articles; their ids by key."""
    for key, name_en, name_zh in CATEGORIES:
        articles.save_category(session, actor, key=key, name_en=name_en, name_zh=name_zh)
    found = {}
    for spec in ARTICLES:
        variants = [("en", q) for q in spec.asked_en] + [("zh", q) for q in spec.asked_zh]
        article = articles.create(session, actor, versions={"en": spec.en, "zh": spec.zh}, category=spec.category,
                                  product=spec.product, tags=spec.tags, variants=variants, publish=True)
        found[spec.key] = article.id
    return found
