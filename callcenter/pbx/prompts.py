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
    },
}
