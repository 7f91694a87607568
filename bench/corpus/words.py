"""A call centre's words in English and Chinese, and the sentences its articles and tickets are made of.

Real words (products, problems, what to do about them, where), so jieba
cuts the Chinese as it cuts real text and the words' frequencies (hence
their idf) spread as they do in a real knowledge base: a few very common
words (账号, order), many rare ones (model codes).  Each entry is
(English, Chinese); templates take the same slots in both languages.
"""
from __future__ import annotations

CATEGORIES = [("billing", "Billing", "账单"), ("network", "Network", "网络"), ("delivery", "Delivery", "物流"),
              ("account", "Account", "账号"), ("device", "Devices", "设备"), ("returns", "Returns", "退换货"),
              ("plans", "Plans", "套餐"), ("payment", "Payment", "支付"), ("installation", "Installation", "安装"),
              ("membership", "Membership", "会员")]

PRODUCTS = [("broadband", "宽带"), ("router", "路由器"), ("mobile phone", "手机"), ("SIM card", "SIM卡"),
            ("set-top box", "机顶盒"), ("smart watch", "智能手表"), ("laptop", "笔记本电脑"), ("tablet", "平板电脑"),
            ("printer", "打印机"), ("air conditioner", "空调"), ("washing machine", "洗衣机"), ("fridge", "冰箱"),
            ("television", "电视"), ("headphones", "耳机"), ("charger", "充电器"), ("membership card", "会员卡"),
            ("gift card", "礼品卡"), ("credit card", "信用卡"), ("mobile app", "手机客户端"),
            ("water purifier", "净水器"), ("vacuum cleaner", "吸尘器"), ("electric scooter", "电动车"),
            ("security camera", "摄像头"),
            ("smart lock", "智能门锁"), ("smart speaker", "智能音箱"), ("fibre modem", "光猫"),
            ("landline", "固定电话"), ("data plan", "流量套餐"), ("monthly plan", "月租套餐"), ("e-wallet", "电子钱包"),
            ("water heater", "热水器"),
            ("rice cooker", "电饭煲"), ("microwave", "微波炉"), ("game console", "游戏机"), ("cloud storage", "云盘"),
            ("dishwasher", "洗碗机"), ("electric toothbrush", "电动牙刷"), ("power bank", "充电宝"),
            ("car charger", "车载充电器"), ("projector", "投影仪")]

# (category, English, Chinese)
ISSUES = [
    ("billing", "invoice", "发票"), ("billing", "bill details", "账单明细"), ("billing", "double charge", "重复扣费"),
    ("billing", "late fee", "滞纳金"), ("billing", "overdue balance", "欠费停机"), ("billing", "refund", "退款"),
    ("network", "no signal", "没有信号"), ("network", "slow internet", "网速慢"),
    ("network", "connection drops", "断网"),
    ("network", "Wi-Fi password", "无线密码"), ("network", "roaming", "国际漫游"),
    ("network", "call forwarding", "呼叫转移"), ("network", "dropped calls", "通话中断"),
    ("delivery", "late delivery", "物流延迟"), ("delivery", "parcel not received", "快递没收到"),
    ("delivery", "damaged parcel", "包裹破损"), ("delivery", "wrong item", "发错货"),
    ("delivery", "delivery address", "收货地址"), ("delivery", "tracking number", "快递单号"),
    ("account", "login failure", "登录失败"), ("account", "password reset", "重置密码"),
    ("account", "verification code", "验证码"), ("account", "frozen account", "账号冻结"),
    ("account", "identity check", "实名认证"), ("account", "change phone number", "更换手机号"),
    ("device", "cracked screen", "屏幕碎了"), ("device", "battery drains fast", "耗电快"),
    ("device", "will not turn on", "无法开机"), ("device", "overheating", "发热严重"),
    ("device", "loud noise", "噪音大"),
    ("device", "water leak", "漏水"), ("device", "firmware update", "固件升级"), ("device", "repair", "维修"),
    ("returns", "return", "退货"), ("returns", "exchange", "换货"), ("returns", "missing accessories", "配件缺失"),
    ("returns", "warranty", "保修"), ("returns", "price protection", "价格保护"),
    ("plans", "plan change", "套餐变更"), ("plans", "data allowance", "流量"), ("plans", "number porting", "携号转网"),
    ("plans", "contract cancellation", "解约"), ("plans", "automatic renewal", "自动续费"),
    ("payment", "top-up not credited", "充值没到账"), ("payment", "payment failed", "支付失败"),
    ("payment", "instalments", "分期付款"), ("payment", "deposit", "押金"), ("payment", "balance", "余额"),
    ("payment", "bank transfer", "银行转账"), ("installation", "installation appointment", "预约安装"),
    ("installation", "technician visit", "上门服务"), ("installation", "moving house", "搬家移机"),
    ("installation", "cabling", "布线"), ("membership", "membership renewal", "会员续费"),
    ("membership", "points", "积分"), ("membership", "coupon", "优惠券"), ("membership", "member benefits", "会员权益"),
]

ACTIONS = [("check", "查询"), ("apply for", "申请"), ("cancel", "取消"), ("change", "修改"), ("reset", "重置"),
           ("activate", "激活"), ("turn on", "开通"), ("turn off", "关闭"), ("handle", "处理"), ("fix", "解决"),
           ("restart", "重启"), ("link", "绑定"), ("unlink", "解绑"), ("renew", "续费"), ("upgrade", "升级"),
           ("report", "报修"), ("track", "跟踪"), ("confirm", "确认"), ("download", "下载"), ("pay", "缴纳")]

CHANNELS = [("the app", "App"), ("our website", "官网"), ("a service hall", "营业厅"), ("the hotline", "客服热线"),
            ("our WeChat account", "微信公众号"), ("a text message", "短信"), ("the self-service kiosk", "自助终端")]

CONTEXTS = [("after moving house", "搬家以后"), ("abroad", "在国外"), ("at the weekend", "周末"),
            ("for business accounts", "企业用户"), ("for new customers", "新用户"), ("on a prepaid plan", "预付费用户"),
            ("for elderly customers", "老年用户"), ("during a sale", "促销期间"), ("after an upgrade", "升级以后"),
            ("for family plans", "家庭套餐"), ("in rural areas", "农村地区"), ("on holidays", "节假日")]

SERIES = ["AX", "BE", "GT", "HX", "K", "M", "MX", "N", "P", "Pro", "Q", "R", "S", "TX", "V", "X", "Z", "Mini", "Lite",
          "Max"]

# Articles: titles, customers' questions, short answers and body sentences.  Slots: {p} product, {i} issue,
# {a} action, {c} channel, {x} context, {n} a number.
TITLES = [
    ("How to {a} {i} for your {p}", "如何{a}{p}的{i}"),
    ("{p}: {i}", "{p}{i}怎么办"),
    ("What to do about {i} on your {p}", "{p}出现{i}的处理方法"),
    ("{i} with your {p} {x}", "{x}{p}{i}问题"),
    ("{p} {i}: how to {a} it", "{p}{i}后如何{a}"),
]
QUESTIONS = [
    ("my {p} has a {i} problem, what should I do", "我的{p}{i}了怎么办"),
    ("how do I {a} the {i} on my {p}", "{p}{i}，怎么{a}"),
    ("why does my {p} keep having {i}", "为什么我的{p}老是{i}"),
    ("can you help me {a} my {p} {i}", "{p}一直{i}，能不能帮我{a}一下"),
    ("{i} on my {p} again {x}", "{x}{p}又{i}了"),
    ("where can I {a} {i} for the {p}", "请问{p}{i}在哪里{a}"),
    ("is {i} covered for my {p}", "{p}{i}还能用吗"),
    ("I need to {a} {i}, it is the {p}", "我想{a}{i}，是{p}的"),
]
SHORTS = [
    ("To {a} {i} for your {p}, open {c}, choose My {p} and follow the steps. It takes {n} working days.",
     "{p}{i}请在{c}的“我的{p}”页面{a}，{n}个工作日内处理完成。"),
    ("Restart your {p}, then {a} {i} in {c}. If it still fails, an agent will call you back.",
     "请先重启{p}，再通过{c}{a}{i}；仍未解决会有客服回电。"),
]
BODY = [
    ("Open {c} and sign in with your account.", "请先打开{c}，登录您的账号。"),
    ("On the My {p} page, tap {a}.", "在“我的{p}”页面点击“{a}”。"),
    ("If the {i} is still there, restart the {p} and try again.", "如果{i}仍然存在，请重启{p}后再试一次。"),
    ("It usually takes {n} working days, and we will let you know by text message.",
     "处理时间一般为{n}个工作日，结果会通过短信通知您。"),
    ("If you need a person, call the hotline or visit a service hall.", "如需人工帮助，请拨打客服热线或前往营业厅。"),
    ("Please have your ID card and proof of purchase ready.", "请准备好您的身份证和购买凭证。"),
    ("The {p} has a one-year warranty; damage caused by misuse is not covered.",
     "{p}的保修期为一年，人为损坏不在保修范围内。"),
    ("Refunds go back to the account you paid from.", "退款将原路返回到您的支付账户。"),
    ("If you cannot see the {a} button in {c}, update it to the latest version first.",
     "如果您在{c}上看不到“{a}”按钮，请先升级到最新版本。"),
    ("Customers {x} may need to show extra documents.", "{x}可能需要提供额外的证明材料。"),
    ("Check that the power cable and the network cable of the {p} are plugged in firmly.",
     "请检查{p}的电源线和网线是否插好。"),
    ("If the indicator light keeps flashing red, the line may be faulty: book a technician.",
     "如果指示灯一直闪红灯，可能是线路故障，请预约工程师上门检修。"),
    ("You can follow the progress of your request in {c} at any time.", "您可以随时在{c}查看申请的处理进度。"),
    ("Do not give your verification code to anyone, including our staff.",
     "请不要把验证码告诉任何人，包括我们的工作人员。"),
    ("Fees already charged for {i} are returned within {n} days once approved.",
     "{i}产生的费用审核通过后将在{n}天内退回。"),
    ("A {p} bought online can be returned within seven days without giving a reason.",
     "网上购买的{p}支持七天无理由退货。"),
    ("Keep the original box and all accessories of the {p}.", "请保留{p}的原包装和全部配件。"),
    ("The courier will call you before the pick-up.", "快递员上门取件前会先给您打电话。"),
    ("For {i}, a business licence is needed for business accounts.", "企业用户办理{i}需要提供营业执照。"),
    ("Points and coupons cannot be exchanged for cash.", "积分和优惠券不能兑换现金。"),
    ("After you {a}, the change takes effect from the next billing month.", "{a}成功后，下个账期开始生效。"),
    ("If the {p} overheats, unplug it and let it cool before using it again.",
     "如果{p}发热严重，请拔掉电源，等它冷却后再使用。"),
    ("Our engineers work from 8 am to 8 pm every day, including holidays.",
     "我们的工程师每天早八点到晚八点上门服务，节假日照常。"),
    ("An invoice can be issued up to one year after payment.", "发票可以在付款后一年内申请开具。"),
]

# Tickets: what customers write.  {o} is an order number (kept apart from the words, as in real text).
TICKET_SUBJECTS = [("{i} on my {p}", "{p}{i}"), ("{p} {i}", "{i}：{p}"), ("please help: {i}", "{i}，请尽快处理"),
                   ("{a} my {p}", "{a}{p}")]
TICKET_SENTENCES = [
    ("My {p} has had {i} since yesterday.", "我的{p}从昨天开始就{i}。"),
    ("I already restarted it twice and it did not help.", "我已经重启了两次，还是不行。"),
    ("My order number is {o} .", "我的订单号是 {o} 。"),
    ("I want to {a} it as soon as possible.", "我想尽快{a}。"),
    ("Nobody called me back after my last call.", "上次打电话以后一直没有人联系我。"),
    ("The technician said it was {i} but nothing changed.", "师傅说是{i}，但是一直没有处理。"),
    ("I was charged twice this month.", "这个月被扣了两次钱。"),
    ("Please call me at {o} .", "请打这个号码联系我 {o} 。"),
    ("The {p} is only {n} days old.", "这个{p}才买了{n}天。"),
    ("I tried {c} but could not find where to {a}.", "我在{c}上找不到{a}的地方。"),
    ("This is the third time I report {i}.", "这已经是我第三次反映{i}了。"),
    ("I am very unhappy with the service.", "对你们的服务很不满意。"),
]

# Speech: what callers say around their question (transcripts).
FILLERS = [("hello", "喂"), ("um", "嗯"), ("well", "那个"), ("you know", "就是"), ("right", "对"), ("okay", "好的"),
           ("hang on", "等一下"), ("sorry", "不好意思")]
CALLER_LINES = [
    ("hello I am calling about my {p}", "你好 我是想问一下我的{p}"),
    ("it has {i} since last week", "从上个星期开始就{i}"),
    ("I restarted it and unplugged it but nothing changed", "我重启了也拔了电源还是没用"),
    ("can you {a} it for me today", "你们今天能不能帮我{a}"),
    ("my neighbour has the same {p} and it works", "我邻居用的也是{p}就没问题"),
    ("I called twice already about the {i}", "{i}的事情我已经打了两次电话了"),
    ("the app says {i} but I do not understand", "App上显示{i}我看不懂"),
    ("how long will it take", "这个要多长时间啊"),
]
AGENT_LINES = [
    ("let me check your account", "我帮您查一下账号"), ("may I have your order number", "请问您的订单号是多少"),
    ("I understand, sorry for the trouble", "明白 给您添麻烦了"), ("please hold on a moment", "请您稍等一下"),
]
# Paraphrases: the words customers use instead of ours.
SYNONYMS_ZH = {"路由器": "无线路由", "宽带": "家里的网", "手机": "电话", "退款": "退钱", "网速慢": "网络很卡",
               "断网": "老掉线", "快递没收到": "包裹一直没到", "屏幕碎了": "屏幕摔坏了", "重置密码": "忘记密码",
               "无法开机": "开不了机", "登录失败": "登不上去", "充值没到账": "充了钱没到账", "发票": "开票",
               "维修": "修一下", "取消": "不要了", "查询": "查一下", "申请": "办理", "噪音大": "声音特别响"}
SYNONYMS_EN = {"refund": "money back", "slow internet": "very slow connection",
               "connection drops": "keeps disconnecting", "cracked screen": "broken display",
               "password reset": "forgot my password", "will not turn on": "is dead",
               "router": "wifi box", "mobile phone": "phone", "parcel not received": "package never arrived",
               "cancel": "stop", "check": "look up", "login failure": "cannot sign in", "invoice": "receipt"}
