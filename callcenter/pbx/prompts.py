"""The IVR's spoken prompts, in one place so they are easy to read and replace.

``callcenter pbx up`` synthesises each missing prompt with espeak-ng into
``sounds/<lang>/callcenter/<name>.wav`` on the lab PBX.  A file that already
exists is never overwritten, so a prompt recorded by a person wins: drop a
8 kHz mono 16-bit WAV with the same name there (or on your own Asterisk).
The dialplan plays them as ``callcenter/<name>``.
"""
from __future__ import annotations

# espeak-ng voice for each prompt language (Asterisk CHANNEL(language)).
VOICES: dict[str, str] = {"en": "en-us", "zh": "cmn"}

PROMPTS: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "Thank you for calling. This call may be recorded for quality.",
        "menu": (
            "For support, press 1. For sales, press 2. For billing, press 3. "
            "To hear the status of a ticket, press 4. "
            "To request a call back, press 9."
        ),
        "enter-ticket-number": "Please enter your ticket number, then press the hash key.",
        "ticket-status-open": "Your ticket is open. An agent will work on it soon.",
        "ticket-status-pending": "Your ticket is pending, waiting for more information.",
        "ticket-status-resolved": "Your ticket has been resolved.",
        "ticket-status-closed": "Your ticket is closed.",
        "ticket-status-unknown": "Sorry, we could not find that ticket.",
        "callback-confirm": (
            "To be called back on the number you are calling from, press 1. "
            "To enter another number, press 2."
        ),
        "callback-registered": "Thank you. We will call you back as soon as an agent is free.",
        "survey-intro": (
            "Please rate the service you received, from 1 for poor to 5 for excellent."
        ),
        "survey-thanks": "Thank you for your feedback. Goodbye.",
        "sorry-error": (
            "We are sorry, something went wrong. Please hold while we connect you to an agent."
        ),
        "all-agents-busy": "All our agents are busy. Please stay on the line, or press 9 for a call back.",
        "ticket-number-invalid": "That number is not valid.",
        "ticket-status-more": "To speak to an agent, press 0. Otherwise, you may hang up.",
        "callback-enter-number": (
            "Please enter the number we should call you back on, including the area code."
        ),
        "number-invalid": "That is not a valid phone number.",
        "survey-offer": "To rate our service after your call, press 1 now.",
        "survey-comment": "To leave a short comment after the tone, press 1.",
        "callback-number-refused": "Sorry, we cannot call that number back.",
        "callback-limit": (
            "We have already arranged all the call backs we can for this number today. "
            "Please stay on the line for an agent."
        ),
        "queue-closed": (
            "Thank you for calling. We are closed right now. "
            "We can call you back as soon as we open."
        ),
        "queue-closed-goodbye": "Please call again during our opening hours. Goodbye.",
        # Self-service (handlers/knowledge.py); the answer itself is spoken from the article (pbx/answers.py).
        "kb-enter-code": "Please enter the article number, then press the hash key.",
        "kb-no-such-article": "Sorry, there is no such article.",
        "kb-no-answer": "Sorry, we have no recorded answer for this. Please hold for an agent.",
        "kb-cannot-play": "Sorry, we cannot read the answer right now. Please hold for an agent.",
        "kb-choose": (
            "Press 1 if this solved your question, 2 to talk to an agent, "
            "3 to get it by text message."
        ),
        "kb-choose-no-sms": "Press 1 if this solved your question, or 2 to talk to an agent.",
        "kb-goodbye": "We are glad we could help. Thank you for calling. Goodbye.",
        "kb-sms-sent": "We have sent the answer to your phone by text message. Thank you for calling. Goodbye.",
        "kb-sms-off": "Sorry, we cannot send text messages right now.",
        "kb-sms-refused": "Sorry, we cannot send a text message to the number you are calling from.",
        # Phone notices (handlers/notice.py): before the reply, and when it cannot be spoken.
        "notice-intro": "Hello. This is a message about your request.",
        "notice-fallback": (
            "Hello. We have an update about your request. Please call us, or read it online. Goodbye."
        ),
        "notice-goodbye": "Thank you. Goodbye.",
        # Incident mode (handlers/incident.py); the incident's own message is spoken from the supervisor's words.
        "incident-offer": (
            "To be called back when this is fixed, press 1. Otherwise, please stay on the line."
        ),
        "incident-subscribed": (
            "Thank you. We will call you when it is fixed. You may hang up now, or stay on the line."
        ),
        "incident-refused": "Sorry, we cannot call the number you are calling from.",
        "incident-solved": (
            "Hello. We are calling to let you know that the problem you called us about has been fixed. "
            "Thank you for your patience. Goodbye."
        ),
    },
    "zh": {
        "welcome": "感谢您的来电。本次通话可能会被录音以保证服务质量。",
        "menu": "技术支持请按1，销售请按2，账单请按3，查询工单状态请按4，预约回电请按9。",
        "enter-ticket-number": "请输入您的工单号码，然后按井号键。",
        "ticket-status-open": "您的工单已受理，客服人员会尽快处理。",
        "ticket-status-pending": "您的工单正在等待更多信息。",
        "ticket-status-resolved": "您的工单已解决。",
        "ticket-status-closed": "您的工单已关闭。",
        "ticket-status-unknown": "抱歉，没有找到这个工单。",
        "callback-confirm": "回电到您现在使用的号码请按1，输入其他号码请按2。",
        "callback-registered": "谢谢。客服人员有空时会尽快给您回电。",
        "survey-intro": "请为我们的服务打分，1分表示很差，5分表示非常满意。",
        "survey-thanks": "感谢您的反馈，再见。",
        "sorry-error": "抱歉，系统出现问题。请稍候，我们正在为您转接客服人员。",
        "all-agents-busy": "所有客服人员都在忙。请不要挂机，或按9预约回电。",
        "ticket-number-invalid": "这个号码无效。",
        "ticket-status-more": "如需人工服务请按0，否则您可以挂机。",
        "callback-enter-number": "请输入回电号码，包括区号。",
        "number-invalid": "这不是有效的电话号码。",
        "survey-offer": "如愿意在通话结束后为我们的服务打分，请现在按1。",
        "survey-comment": "如需在提示音后留言，请按1。",
        "callback-number-refused": "抱歉，我们无法回电到这个号码。",
        "callback-limit": "今天这个号码的回电次数已满。请不要挂机，我们将为您转接客服人员。",
        "queue-closed": "感谢您的来电。我们现在已下班。我们可以在上班后尽快给您回电。",
        "queue-closed-goodbye": "请在营业时间内再次来电。再见。",
        "kb-enter-code": "请输入文章编号，然后按井号键。",
        "kb-no-such-article": "抱歉，没有这篇文章。",
        "kb-no-answer": "抱歉，这个问题暂时没有语音解答。请稍候，我们为您转接客服人员。",
        "kb-cannot-play": "抱歉，现在无法播放解答。请稍候，我们为您转接客服人员。",
        "kb-choose": "问题已解决请按1，转人工服务请按2，需要短信发送解答请按3。",
        "kb-choose-no-sms": "问题已解决请按1，转人工服务请按2。",
        "kb-goodbye": "很高兴能帮到您。感谢您的来电，再见。",
        "kb-sms-sent": "解答已通过短信发送到您的手机。感谢您的来电，再见。",
        "kb-sms-off": "抱歉，现在无法发送短信。",
        "kb-sms-refused": "抱歉，我们无法向您现在使用的号码发送短信。",
        "notice-intro": "您好，这是关于您的服务请求的通知。",
        "notice-fallback": "您好，您的服务请求有了新进展。请致电我们或在网上查看。再见。",
        "notice-goodbye": "谢谢，再见。",
        "incident-offer": "如需在问题修复后接到我们的电话通知，请按1。否则请不要挂机。",
        "incident-subscribed": "谢谢。问题修复后我们会给您打电话。您现在可以挂机，也可以继续等待。",
        "incident-refused": "抱歉，我们无法拨打您现在使用的号码。",
        "incident-solved": "您好。您之前来电反映的问题已经修复。感谢您的耐心等待，再见。",
    },
}
