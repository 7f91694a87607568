"""Walking every page of the app in Chromium, as each role, in English and in Chinese.

The pages are not listed by hand: every GET route of ``app.url_map`` is
walked, its arguments filled from a small call centre (``world``), so a
page added later is walked too.  A route is kept when the role gets an
HTML page from it (the Flask test client asks first: streams, downloads
and JSON are left out, and so are the pages a role may not open).  On
each page the walk reads what a person sees (text, tooltips, placeholders,
the words scripts show) and notes what the console said, the Content
Security Policy blocked, or a script threw.

What the words are checked against:
- the English side of the message catalogue (``web/translations/messages.pot``):
  on a Chinese page, any of its words is a sentence someone forgot to translate;
- ``ALLOWED``: proper names and abbreviations that are the same in both languages;
- the words the fixture itself typed (names, subjects, phrases): data, not UI.
Text a page marks as not for translation (``translate="no"``, ``<code>``, a
textarea's content) is data too, and not read.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.messages.pofile import read_po
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.background import jobs
from callcenter.db import transaction
from callcenter.dispatch.assigner import Assigner
from callcenter.dispatch.escalation import Escalator
from callcenter.dispatch.notifier import DISPATCHER, DispatchNotifier
from callcenter.dispatch.sla import SLA
from callcenter.forms import catalog
from callcenter.knowledge.articles import VersionText
from callcenter.models import (
    Article,
    ArticleRevision,
    ArticleVersion,
    AutoReply,
    Call,
    CallTag,
    Customer,
    CustomerTag,
    FormDefinition,
    KeywordRule,
    KnowledgeCategory,
    QAReview,
    QuestionVariant,
    Queue,
    ReplyTemplate,
    Scorecard,
    Segment,
    Skill,
    Team,
    TemplateKind,
    Ticket,
    TicketChange,
    TicketNote,
    Transcript,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from callcenter.qa import rules, scorecards
from callcenter.tickets import export
from callcenter.wiring import Container
from tests import deskdata, qadata
from tests.support import services

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent.parent
POT = ROOT / "web/translations/messages.pot"
ROLES = {"agent": "ann", "supervisor": "sue", "qa": "quinn", "admin": "ada"}
LANGUAGES = ("en", "zh")
# Same in both languages, so never a missing translation:
ALLOWED = frozenset({
    # names of things: the PBX and its protocols, tools, formats
    "asterisk", "sip", "sipp", "pjsip", "pbx", "did", "vosk", "webrtc", "ami", "agi", "toml", "json", "csv", "voip",
    "utc",
    # SMS encodings and e-mail's HTML part, named as the standards name them (the zh catalogue keeps them)
    "gsm", "unicode", "html",
    # abbreviations the Chinese UI keeps as they are (the zh catalogue writes them so too)
    "api", "vip", "id", "sla", "ivr", "qa", "csat", "url", "ok",
    # how dates and times are written in the help texts (format patterns, not words)
    "yyyy", "mm", "dd", "hh",
    # each language named in its own words by the language picker
    "english",
})
ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
WORD = re.compile(r"[A-Za-z]+")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdrf]|%%|\{[^}]*\}")
# What a page's script reads before a person does: the Chinese walk waits for these when a page has them.
READY = {"wallboard.index": "#wb-agents tr"}
# Routes of this kind are not pages, whatever they answer.
NOT_PAGES = ("static",)


def catalogue_words(pot: Path = POT) -> frozenset[str]:
    """Every word of the catalogue's English side, lowercased (placeholders left out)."""
    with pot.open("rb") as fh:
        catalogue = read_po(fh)
    words: set[str] = set()
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        for msgid in ids:
            words.update(w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", str(msgid or ""))) if len(w) > 1)
    return frozenset(words)


# -- the call centre the walk opens ------------------------------------------------------------------
@dataclass
class World:
    shop: deskdata.Shop
    billing: deskdata.Billing
    scorecard: str
    rule_id: int
    jobs: dict[str, int]  # role -> a background job of theirs
    attachment_id: int = 0  # a file of a message on the shop's ticket
    template_id: int = 0  # a reply macro with SMS and e-mail variants
    article_id: int = 0  # a published knowledge-base article in both languages
    answer_token: str = ""  # an auto-reply on the shop's ticket, waiting for the customer's yes or no
    endpoint_id: int = 0  # a webhook endpoint, and one of its deliveries
    delivery_id: int = 0
    segment_id: int = 0  # a segment the shop's customer is in, by a tag of theirs
    automation_rule_id: int = 0  # an automation rule whose approval waits for a supervisor
    typed: frozenset[str] = field(default_factory=frozenset)

    def arguments(self, role: str) -> dict[str, Any]:
        """A value for each argument name a route may have (an id of the world's records)."""
        shop = self.shop
        return {"number": shop.ticket_number, "call_id": shop.call_id, "recording_id": shop.recording_id,
                "customer_id": shop.customer_id, "agent_id": shop.users["ann"], "user_id": shop.users["ann"],
                "team_id": self.billing.team_id, "job_id": self.jobs.get(role, 0), "rule_id": self.rule_id,
                "slug": self.scorecard, "name": "summary", "token_id": 1,
                "attachment_id": self.attachment_id, "template_id": self.template_id,
                "article_id": self.article_id, "token": self.answer_token, "answer": "yes",
                "endpoint_id": self.endpoint_id, "delivery_id": self.delivery_id,
                "segment_id": self.segment_id}


# Where one argument name means different things on different routes: (endpoint, argument) -> value.
BY_ENDPOINT = {("admin.edit_form", "slug"): "support"}


def build(container: Container) -> World:
    """The shop of the desk tests, and what the pages show beside it: names in both languages, a
    ticket's system notes and dispatcher history, a transcript with its review, a keyword rule, jobs."""
    factory = container.session_factory
    shop = deskdata.build(factory, container.settings.recordings_dir())
    billing = deskdata.add_billing(factory, shop)
    qadata.add_transcript(container, shop.call_id)
    with transaction(factory) as s:
        catalog.sync_files(s)
        _name_things(s, shop)
        card = scorecards.save_version(s, "call-basics", "Call basics", scorecards.parse_items(
            "greeting | Greeted the caller | 1\nidentity | Checked who called | 2 | fail-all"), _as(s, "quinn"))
        call = s.get(Call, shop.call_id)
        assert call is not None
        scorecards.review_call(s, call, card, {"greeting": {"result": "pass", "comment": ""},
                                               "identity": {"result": "fail", "comment": "Skipped it"}},
                               "Friendly call", _as(s, "quinn"))
        rule = rules.add_rule(s, _as(s, "quinn"), rules.clean_rule("Refunds", ["refund"], "refund", None, "fail"))
        s.add(CallTag(call_id=shop.call_id, tag="refund", rule_id=rule.id, hits=[]))
        made = {"supervisor": jobs.submit(s, _as(s, "sue"), export.KIND, {"filters": {}, "zone": "UTC"}, "export"),
                "admin": jobs.submit(s, _as(s, "ada"), export.KIND, {"filters": {}, "zone": "UTC"}, "export"),
                "qa": jobs.submit(s, _as(s, "quinn"), rules.REAPPLY, {}, "rules")}
        s.flush()
        world = World(shop, billing, card.slug, rule.id, {role: job.id for role, job in made.items()})
    _dispatcher_writes(container, shop)
    world.attachment_id = deskdata.add_conversation(container, shop.ticket_number)["photo"]
    world.template_id = reply_macro(container)
    world.article_id = knowledge_article(container)
    world.answer_token = auto_reply(container, shop, world.article_id)
    world.endpoint_id, world.delivery_id = webhook(container, shop)
    world.segment_id = segment(container, shop)
    world.automation_rule_id = automation_rule(container, shop)
    with factory() as s:
        world.typed = typed_words(s)
    return world


def reply_macro(container: Container) -> int:
    """A macro as a supervisor writes one: a Chinese SMS, an English e-mail with its HTML part."""
    with transaction(container.session_factory) as s:
        sue, templates = _as(s, "sue"), container.templates
        macro = templates.create(s, sue, name="Refund done", kind=TemplateKind.MACRO, set_status="resolved",
                                 add_tags=["refund"])
        templates.save_variant(s, macro, sue, channel="sms", language="zh",
                               body="{{ customer.name }}您好，工单{{ ticket.number }}的退款已办理。")
        templates.save_variant(s, macro, sue, channel="email", language="en", subject="Your refund",
                               body="Dear {{ customer.name }}, your refund is on its way.",
                               body_html="<p>Dear {{ customer.name }}, your refund is on its way.</p>")
        return macro.id


def knowledge_article(container: Container) -> int:
    """A published article in both languages, in a category, with a question each, and a second revision."""
    with transaction(container.session_factory) as s:
        sue, service = _as(s, "sue"), container.articles
        service.save_category(s, sue, key="support", name_en="Technical support", name_zh="技术支持")
        article = service.create(s, sue, category="support", product="Router X1", tags=["router"], versions={
            "en": VersionText("Restart the router", "Unplug it for ten seconds.", "Unplug the router for ten seconds."),
            "zh": VersionText("重启路由器", "拔掉电源十秒钟。", "请拔掉路由器电源十秒钟。")},
            variants=[("zh", "路由器连不上网"), ("en", "My internet is down")], publish=True)
        service.save(s, sue, article.id, category="support", product="Router X1", tags=["router"], note="Shorter",
                     versions={
            "en": VersionText("Restart the router", "Unplug it for ten seconds, then plug it in.",
                              "Unplug the router for ten seconds."),
            "zh": VersionText("重启路由器", "拔掉电源十秒钟，再插上。", "请拔掉路由器电源十秒钟。")})
        return article.id


def auto_reply(container: Container, shop: deskdata.Shop, article_id: int) -> str:
    """The shop's ticket answered automatically with the article, waiting for the customer: its link's token."""
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        now = utcnow()
        s.add(AutoReply(ticket_id=ticket.id, article_id=article_id, probability=0.87, token="walk-token-0123456789ab",
                        question=ticket.subject, sent_at=now, due_at=now + dt.timedelta(hours=24)))
        return "walk-token-0123456789ab"


def webhook(container: Container, shop: deskdata.Shop) -> tuple[int, int]:
    """A CRM's webhook endpoint and the delivery a ticket change made for it."""
    with transaction(container.session_factory) as s:
        endpoint = container.webhook_endpoints.save(s, _as(s, "ada"), name="CRM", url="https://crm.example.com/hook",
                                                    wanted=["ticket_updated"])
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        container.tickets.change(s, ticket, _as(s, "ada"), priority="high")
        endpoint_id = endpoint.id
    with container.session_factory() as s:
        delivery = s.scalars(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)).first()
        assert delivery is not None
        return endpoint_id, delivery


def segment(container: Container, shop: deskdata.Shop) -> int:
    """The shop's customer tagged by hand (one tag until a day) and by the CRM, in a segment named in both languages."""
    with transaction(container.session_factory) as s:
        customer = s.get(Customer, shop.customer_id)
        assert customer is not None
        ada = _as(s, "ada")
        container.customer_tags.add(s, customer, "complaint", ada)
        container.customer_tags.add(s, customer, "售后投诉", ada, expires_at=utcnow() + dt.timedelta(days=30))
        container.customer_tags.set_from_crm(s, customer, ["VIP"], ada)
        made = container.segments.save(s, ada, {"name": "Gold complaints", "name_zh": "金卡投诉",
                                                "tags_all": "complaint", "vip_tiers": ["gold"], "languages": ["zh"],
                                                "queue_priority": "80", "senior": True,
                                                "first_response_minutes": "30", "note": "Complaints of gold VIPs"})
        return made.id


def automation_rule(container: Container, shop: deskdata.Shop) -> int:
    """The editor's starter rule, run on a return of the shop's customer: its approval waits for a supervisor."""
    from callcenter.automation.rules import STARTER

    with transaction(container.session_factory) as s:
        rule = container.rules.save(s, _as(s, "ada"), STARTER)
        container.tickets.create(s, _as(s, "ann"), subject="Return: wrong size", category="return",
                                 customer_id=shop.customer_id)
    engine = container.service("automation").engine  # type: ignore[attr-defined]  # the rules' engine
    while engine.run_once(container.session_factory):
        pass
    return rule.id


def _as(s: Any, username: str) -> Actor:
    user = s.scalar(select(User).where(User.username == username))
    return Actor.of(user)


def _name_things(s: Any, shop: deskdata.Shop) -> None:
    """The centre's own codes named in both languages, as an admin would; the call's IVR choices."""
    names = {"support": ("Technical support", "技术支持"), "sales": ("Sales", "销售"), "billing": ("Billing", "账单")}
    for queue in s.scalars(select(Queue)):
        queue.display_name, queue.display_name_zh = names.get(queue.name, (queue.name, queue.name))
    s.add(Skill(name="routers", name_zh="路由器"))
    call = s.get(Call, shop.call_id)
    call.ivr = {"path": "queue", "keys": ["1"], "category": "support", "queue": "support", "language": "zh",
                "survey_optin": True, "timed_out": False}


def _dispatcher_writes(container: Container, shop: deskdata.Shop) -> None:
    """What the dispatcher leaves on tickets: a callback's promise, an assignment and an unassigned
    decision with their reasons, SLA warnings, a breach and escalation steps."""
    settings, tickets = container.settings, container.tickets
    rules_ = settings.dispatch.assignment
    assigner = Assigner(rules_, tickets)
    escalator = Escalator(SLA(settings.dispatch.sla, settings.timezone), list(settings.dispatch.sla.escalation),
                          dt.timedelta(minutes=1), assigner, tickets, DispatchNotifier(container.bus))
    later = utcnow() + dt.timedelta(days=10)  # every SLA clock of a ticket made now has run out by then
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        other = s.scalars(select(Ticket).where(Ticket.number == shop.other_ticket_number)).one()
        call = s.get(Call, shop.call_id)
        assert call is not None
        call.ticket_id = ticket.id
        agents = frozenset(s.scalars(select(User.id).where(User.role == "agent")))
        tickets.add_note(s, ticket, "Customer says the router reboots every hour.", _as(s, "ann"), internal=False)
        container.callbacks.request(s, "+12025550143", source="agent", ticket_id=ticket.id,
                                    due_at=utcnow() + dt.timedelta(hours=2), actor=DISPATCHER)
        assigner.assign(s, ticket.id, later, exclude=agents)
        assigner.assign(s, other.id, later, exclude=agents)
        for step in range(len(settings.dispatch.sla.escalation)):
            escalator.check(s, ticket.id, later + dt.timedelta(minutes=step * 2))


def typed_words(s: Any) -> frozenset[str]:
    """Words the fixture typed into records (names, subjects, notes, phrases): data shown as it was typed."""
    texts: list[str] = []
    for column in (User.username, User.display_name, Team.name, Ticket.subject, Ticket.description,
                   Customer.name, Call.caller_name, Scorecard.title, Scorecard.slug, KeywordRule.name,
                   KeywordRule.tag, CallTag.tag, Skill.name, ReplyTemplate.name, Queue.display_name,
                   FormDefinition.title, ArticleVersion.title, ArticleVersion.body, ArticleVersion.short,
                   ArticleRevision.note, Article.product, QuestionVariant.text, KnowledgeCategory.name_en,
                   WebhookEndpoint.name, WebhookEndpoint.url, CustomerTag.tag, Segment.name, Segment.note):
        texts += [t for t in s.scalars(select(column)) if t]
    texts += list(s.scalars(select(TicketNote.body).where(TicketNote.template.is_(None))))
    texts += [c.reason for c in s.scalars(select(TicketChange).where(TicketChange.reason_template.is_(None)))]
    for card in s.scalars(select(Scorecard)):
        texts += [f"{i['key']} {i['label']}" for i in card.items]
    for rule in s.scalars(select(KeywordRule)):
        texts += rule.phrases
    for review in s.scalars(select(QAReview)):
        texts += [review.comment, *(str(a.get("comment", "")) for a in (review.answers or {}).values())]
    texts += [t.text for t in s.scalars(select(Transcript))]
    texts.append(services.TEST.name)  # the actor the fixture's own records name
    return frozenset(w.lower() for t in texts for w in WORD.findall(t))


# -- the pages -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    endpoint: str
    url: str


def routes(app: Flask, world: World, role: str) -> tuple[list[Route], list[str]]:
    """Every GET route as a URL with the world's values; and the routes whose arguments it cannot fill."""
    found, unknown = [], []
    values = world.arguments(role)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES or rule.rule.startswith("/api"):
            continue
        args: dict[str, Any] = {}
        for name in rule.arguments:
            value = BY_ENDPOINT.get((rule.endpoint, name), values.get(name))
            if (rule.endpoint, name) == ("admin.edit_rule", "rule_id"):  # an automation rule, not a keyword rule
                value = world.automation_rule_id
            if value is None:
                unknown.append(f"{rule.rule} ({name})")
                break
            args[name] = value
        else:
            with app.test_request_context():
                from flask import url_for

                found.append(Route(rule.endpoint, url_for(rule.endpoint, _external=False, **args)))
    return found, unknown


def html_pages(app: Flask, username: str, candidates: Iterable[Route]) -> list[Route]:
    """The routes that give this user an HTML page (asked with the test client: streams are not read)."""
    from tests.webtools import sign_in

    client = app.test_client()
    sign_in(client, username, deskdata.PASSWORD)
    kept = []
    for route in candidates:
        if route.endpoint == "auth.login":
            continue  # a signed-in user is sent on: walked signed out instead
        resp = client.get(route.url)
        if resp.status_code == 200 and resp.mimetype == "text/html":
            kept.append(route)
        resp.close()
    return kept


# -- reading a page --------------------------------------------------------------------------------
DATA = '[translate="no"], code, kbd, samp, textarea, script, style, noscript, template'
READ_PAGE = """(data) => {
  const skip = (el) => el && el.closest(data);
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!skip(n.parentElement) && n.textContent.trim()) out.push(n.textContent);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (skip(el)) continue;
    for (const a of el.attributes) {
      const name = a.name;
      if (['title', 'placeholder', 'aria-label', 'alt'].includes(name) || name.startsWith('data-t-')) out.push(a.value);
    }
    if (el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type)) out.push(el.value);
  }
  return out.join('\\n');
}"""


@dataclass
class Seen:
    """What one page showed, and what went wrong in the browser while it did."""

    text: str = ""
    console: list[str] = field(default_factory=list)


def watch(page: Page, seen: list[Seen]) -> None:
    """Console errors, CSP refusals and uncaught script errors go to the page being read (the last)."""
    def on_console(message: Any) -> None:
        where = (message.location or {}).get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):
            seen[-1].console.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen[-1].console.append(f"uncaught: {exc}"))


def read(page: Page, url: str, endpoint: str, seen: list[Seen]) -> Seen:
    now = Seen()
    seen.append(now)
    page.goto(url, wait_until="load")
    ready = READY.get(endpoint)
    if ready:
        page.wait_for_selector(ready, state="attached", timeout=10000)
    now.text = page.evaluate(READ_PAGE, DATA)
    return now


def problems(text: str, language: str, words: frozenset[str], typed: frozenset[str]) -> list[str]:
    """What is wrong with a page's text: English left on a Chinese page, raw codes, ISO moments."""
    found = [f"ISO time {m}" for m in ISO_MOMENT.findall(text)]
    if language != "zh":
        return found
    found += [f"raw code {c}" for c in sorted(set(RAW_CODE.findall(text)) - typed)]
    english = {w.lower() for w in WORD.findall(text)} & words
    found += [f"English {w!r}" for w in sorted(english - ALLOWED - typed)]
    return found
