"""The one place that builds the services and hands them their database, bus and each other.

No module opens a connection at import time; everything it needs arrives
through the ``Container`` built here (wazo-call-logd's controller.py).
Domain services (tickets, customers, intake, callbacks, erasure) are built
once per container with their notifier on this container's bus, so the
desk, the API, the CLI and the dispatcher share one of each.  The web
service is built from a container by ``web`` itself (``callcenter.cli``
starts it), so nothing here depends on the web layer.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .access.dialling import DiallingPolicy
from .automation.actions import Actions
from .automation.approvals import Approvals
from .automation.engine import Inbox
from .automation.notifier import ApprovalNotifier, RuleNotifier
from .automation.rules import Rules
from .bus import Bus, make_bus
from .channels.intake import ChannelIntake
from .channels.sms import SMSInbox
from .channels.webform import WebForm
from .channels.wechat import WeChatInbox
from .config import Settings
from .conversations.attachments import AttachmentStore
from .conversations.notifier import ConversationNotifier
from .conversations.replies import Replies
from .conversations.service import Conversations
from .conversations.templates import Templates
from .crm.lookup import CrmLookup
from .customers.merge import CustomerMerge
from .customers.notifier import CustomerNotifier
from .customers.segments import Segments
from .customers.service import CustomerService
from .customers.sync import CustomerSync
from .customers.tags import CustomerTags
from .db import make_engine, make_read_session_factory, make_session_factory
from .dispatch.callbacks import Callbacks
from .dispatch.notifier import DispatchNotifier
from .events import AutomationRuleChanged, WebhookEndpointChanged
from .forms.intake import Intake
from .governance.erasure import Erasure
from .governance.notifier import ErasureNotifier
from .knowledge.answers import AutoReplyAnswers
from .knowledge.articles import Articles
from .knowledge.autoreply import AutoReplies
from .knowledge.dictionary import Dictionary
from .knowledge.index import KnowledgeIndex
from .knowledge.notifier import KnowledgeNotifier
from .knowledge.suggest import Suggester
from .people.notifier import PeopleNotifier
from .people.profiles import Profiles
from .pops.notifier import PopNotifier
from .pops.service import PopService
from .presence.notifier import PresenceNotifier
from .presence.service import PresenceService
from .problems.bulk import BulkActions
from .problems.incidents import Incidents
from .problems.ivr import IncidentLine
from .problems.links import Problems
from .problems.merging import Merges
from .problems.notifier import IncidentNotifier, MergeNotifier, ProblemNotifier
from .problems.recurring import RecurringIssues
from .problems.similar import SimilarTickets
from .queues.notifier import QueueNotifier
from .queues.service import QueueService
from .runner import Service
from .text import words as text_words
from .tickets.notifier import TicketNotifier
from .tickets.references import TicketReferences
from .tickets.service import TicketService
from .webhooks.endpoints import Endpoints
from .webhooks.notifier import WebhookNotifier
from .webhooks.outbox import Outbox

if TYPE_CHECKING:
    from .ami.bridge import AMIService
    from .ami.control import Controls
    from .callcontrol.clicktocall import ClickToCall
    from .callcontrol.monitoring import Monitor
    from .callcontrol.transfers import Transfers
    from .channels.email.imap import MailFetcher
    from .knowledge.ivr import SelfService
    from .knowledge.watcher import KnowledgeWatcher

# The services ``callcenter run`` starts in one process; each also runs alone (``callcenter ami`` ...).
BACKEND_SERVICES = ("ami", "agi", "dispatcher", "transcriber", "tagger", "background", "channels", "knowledge",
                    "webhooks", "automation")


@dataclass
class Container:
    settings: Settings

    def __post_init__(self) -> None:
        # Ticket writes cut words (text/search.py): load the segmenter before the first one, off this thread.
        threading.Thread(target=text_words.warm, name="warm-words", daemon=True).start()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def read_session_factory(self) -> sessionmaker[Session]:
        """For pages and reports: reads that never hold SQLite's write lock."""
        return make_read_session_factory(self.engine)

    @cached_property
    def bus(self) -> Bus:
        bus = make_bus(self.engine.url.render_as_string(hide_password=False))
        # Every change's webhook deliveries are written in its own transaction (webhooks/outbox.py).
        bus.record_with(self.webhook_outbox)
        # ... and the events automation rules want (automation/engine.py).
        bus.record_with(Inbox(self.session_factory, lambda: self.rules))
        bus.subscribe(WebhookEndpointChanged, lambda _: self.webhook_outbox.forget())
        bus.subscribe(AutomationRuleChanged, lambda _: self.rules.forget())
        bus.start()
        return bus

    @cached_property
    def webhook_outbox(self) -> Outbox:
        return Outbox(self.session_factory, self.settings.webhooks)

    @cached_property
    def crm(self) -> CrmLookup:
        """The CRM as the desk's pop asks it (one per process: its cache and its connections)."""
        return CrmLookup(self.settings.crm)

    @cached_property
    def webhook_endpoints(self) -> Endpoints:
        """Admins' webhook endpoints, their secrets, and replays."""
        return Endpoints(WebhookNotifier(self.bus), self.webhook_outbox)

    # -- domain services ---------------------------------------------------
    @cached_property
    def tickets(self) -> TicketService:
        return TicketService(TicketNotifier(self.bus))

    @cached_property
    def ticket_references(self) -> TicketReferences:
        """Tickets' records in other systems (an ERP's return, a CRM's case), found again by them."""
        return TicketReferences(TicketNotifier(self.bus))

    @cached_property
    def conversations(self) -> Conversations:
        """A ticket's messages on every channel, its internal notes and its one timeline."""
        store = AttachmentStore(self.settings.attachments_dir(), self.settings.conversations.max_attachment_bytes)
        return Conversations(ConversationNotifier(self.bus), self.tickets, store)

    @cached_property
    def templates(self) -> Templates:
        """Reply templates and macros, their variants per channel and language, filled in for a ticket."""
        return Templates(self.tickets, self.settings.conversations.centre_name)

    @cached_property
    def replies(self) -> Replies:
        """An agent's reply from the ticket (page or API): to the customer's address, a macro applied."""
        return Replies(self.conversations, self.templates)

    @cached_property
    def articles(self) -> Articles:
        """Writing the knowledge base: articles, revisions, question variants, categories."""
        return Articles(KnowledgeNotifier(self.bus), self.settings.knowledge.default_threshold)

    @cached_property
    def dictionary(self) -> Dictionary:
        """The words the admin teaches the segmenter; a change cuts every article again."""
        return Dictionary()

    @cached_property
    def knowledge_index(self) -> KnowledgeIndex:
        """This process's ranking of the published articles, rebuilt when any process changes one."""
        return KnowledgeIndex(self.read_session_factory, self.settings.knowledge)

    @cached_property
    def problems(self) -> Problems:
        """Problem tickets and their incidents: one fault's callers linked to the ticket where it is worked on."""
        return Problems(self.tickets, ProblemNotifier(self.bus), self.templates, self.incidents)

    @cached_property
    def recurring(self) -> RecurringIssues:
        """The last days' tickets grouped by what they say (scikit-learn, loaded only when asked)."""
        return RecurringIssues(self.settings.problems, self.tickets, self.problems)

    @cached_property
    def incidents(self) -> Incidents:
        """Incident mode: an outage's message in the IVR, the surge watch, and who is told when it is fixed."""
        return Incidents(self.tickets, IncidentNotifier(self.bus), self.settings.problems,
                         DiallingPolicy.from_settings(self.settings), self.similar_tickets)

    @cached_property
    def bulk_actions(self) -> BulkActions:
        """Changes to many tickets at once, as a background job that does each ticket once."""
        return BulkActions(self.tickets, self.replies, self.problems)

    @cached_property
    def merges(self) -> Merges:
        """Merging one ticket into another, and undoing it within a day."""
        return Merges(self.tickets, MergeNotifier(self.bus))

    @cached_property
    def similar_tickets(self) -> SimilarTickets:
        """The open tickets most like one ticket or the intake form's words: one problem's other callers."""
        return SimilarTickets(self.settings.problems)

    @cached_property
    def suggester(self) -> Suggester:
        """The articles that fit a question, with their calibrated probability and matched words."""
        return Suggester(self.knowledge_index, self.settings.knowledge)

    @cached_property
    def auto_reply_answers(self) -> AutoReplyAnswers:
        """The customer's yes or no to an auto-reply (link, reply keyword), or none in time."""
        return AutoReplyAnswers(self.settings.knowledge.auto_reply, self.tickets, self.articles, self.suggester,
                                KnowledgeNotifier(self.bus))

    @cached_property
    def auto_replies(self) -> AutoReplies:
        """E-mail, web-form and WeChat questions answered with an article above the calibrated threshold."""
        web = self.settings.web
        url = self.settings.knowledge.auto_reply.answer_url or f"http://{web.host}:{web.port}"
        return AutoReplies(self.settings.knowledge, self.suggester, self.replies, self.tickets,
                           self.auto_reply_answers, KnowledgeNotifier(self.bus), url)

    @cached_property
    def customers(self) -> CustomerService:
        return CustomerService(CustomerNotifier(self.bus), self.settings.phone.default_region)

    @cached_property
    def customer_tags(self) -> CustomerTags:
        """Customers' tags, set by hand, by rules or by the CRM; audited, maybe expiring."""
        return CustomerTags(CustomerNotifier(self.bus))

    @cached_property
    def segments(self) -> Segments:
        """Saved filters on customers' tags: IVR priority, senior agents, a stricter SLA."""
        return Segments()

    @cached_property
    def rules(self) -> Rules:
        """Admins' automation rules (when, if, then), held parsed for the engine."""
        return Rules(RuleNotifier(self.bus))

    @cached_property
    def approvals(self) -> Approvals:
        """Rules' actions waiting for a supervisor's (or another role's) approval."""
        return Approvals(self.rule_actions, ApprovalNotifier(self.bus))

    @cached_property
    def rule_actions(self) -> Actions:
        return Actions(self.tickets, self.customer_tags, self.replies, self.webhook_outbox)

    @cached_property
    def customer_sync(self) -> CustomerSync:
        """A CRM's or ERP's customers created or updated in bulk by their own ids (the inbound API)."""
        return CustomerSync(self.customers, CustomerNotifier(self.bus), self.settings.phone.default_region,
                            self.customer_tags)

    @cached_property
    def customer_merge(self) -> CustomerMerge:
        """Two customers found to be one person: everything of one moves to the other."""
        return CustomerMerge(CustomerNotifier(self.bus))

    @cached_property
    def channel_intake(self) -> ChannelIntake:
        """Every channel's one way in: the customer, the ticket, the message stored once."""
        return ChannelIntake(self.conversations, self.tickets, self.customers,
                             self.settings.channels.email.reopen_days)

    @cached_property
    def webform(self) -> WebForm:
        """The public contact form: validation, honeypot and rate limit in front of the channel intake."""
        return WebForm(self.settings.channels.webform, self.channel_intake, self.conversations, self.customers,
                       self.settings.phone.default_region)

    @cached_property
    def wechat_inbox(self) -> WeChatInbox:
        """The WeChat Official Account's signed callback: messages in, stored once by MsgId."""
        return WeChatInbox(self.settings.channels.wechat, self.channel_intake)

    @cached_property
    def sms_inbox(self) -> SMSInbox:
        """The SMS gateway's signed webhooks: texts in, receipts for our replies."""
        return SMSInbox(self.settings.channels.sms, self.channel_intake, ConversationNotifier(self.bus),
                        self.settings.phone.default_region)

    @cached_property
    def intake(self) -> Intake:
        return Intake(self.tickets, self.settings.phone.default_region, self.presence, self.pops, self.suggester)

    @cached_property
    def pops(self) -> PopService:
        """The desk's pops, kept until handled; every web process's hub stores and moves them through it."""
        return PopService(PopNotifier(self.bus))

    @cached_property
    def presence(self) -> PresenceService:
        """Agent states; the desk's changes go through the control link, the bridge's through its own."""
        pbxes = self.settings.pbxes()
        pbx = self.settings.presence.pbx or (pbxes[0].name if pbxes else "")
        return PresenceService(self.settings.presence, pbx, PresenceNotifier(self.bus),
                               lambda name, work: self.controls.get(name).act(work), self.settings.softphone.enabled)

    @cached_property
    def profiles(self) -> Profiles:
        """Agent profiles as admins set them (pages, API, CLI, CSV import); a signed-in agent's queues follow."""
        return Profiles(PeopleNotifier(self.bus), self.presence)

    @cached_property
    def queues(self) -> QueueService:
        """Defining queues; the AMI service writes them for Asterisk when QueueDefined arrives."""
        return QueueService(QueueNotifier(self.bus), self.settings.ivr)

    @cached_property
    def callbacks(self) -> Callbacks:
        return Callbacks(self.settings.dispatch.callbacks, self.settings.phone.default_region, self.tickets,
                         DispatchNotifier(self.bus), DiallingPolicy.from_settings(self.settings))

    @cached_property
    def erasure(self) -> Erasure:
        return Erasure(self.session_factory, self.settings, ErasureNotifier(self.bus))

    @cached_property
    def controls(self) -> Controls:
        """AMI links for acting on live calls (agent states, click-to-call, transfers, monitoring)."""
        from .ami.control import Controls

        return Controls(self.settings.pbxes(), self.settings.ami)

    @cached_property
    def click_to_call(self) -> ClickToCall:
        """The desk's click-to-call: the agent's phone first, then the customer, exactly once."""
        from .callcontrol.clicktocall import ClickToCall
        from .callcontrol.notifier import CallControlNotifier

        return ClickToCall(self.session_factory, self.controls, DiallingPolicy.from_settings(self.settings),
                           self.settings, CallControlNotifier(self.bus), self.callbacks)

    @cached_property
    def transfers(self) -> Transfers:
        """Blind and attended transfers from the desk; the ticket follows the call."""
        from .callcontrol.notifier import CallControlNotifier
        from .callcontrol.transfers import Transfers

        return Transfers(self.session_factory, self.controls, DiallingPolicy.from_settings(self.settings),
                         self.settings, CallControlNotifier(self.bus), self.tickets)

    @cached_property
    def monitor(self) -> Monitor:
        """Supervisors listen to, coach and barge into agents' calls (ChanSpy), audited."""
        from .callcontrol.monitoring import Monitor

        return Monitor(self.session_factory, self.controls, self.settings)

    @cached_property
    def self_service(self) -> SelfService:
        """The IVR's self-service: the article a caller hears, its spoken file, and the SMS of it."""
        from .knowledge.ivr import SelfService

        return SelfService(self.settings, self.tickets, self.conversations, self.suggester)

    # -- long-running services --------------------------------------------
    @cached_property
    def _bridge(self) -> AMIService:
        from .ami.bridge import AMIService

        return AMIService(self.settings, self.session_factory, self.bus, presence=self.presence)

    def ami(self) -> AMIService:
        """One per container: other services reach the PBXs through it (``container.ami().action``)."""
        return self._bridge

    def agi(self) -> Service:
        from .agi.service import AGIService

        return AGIService(self.settings, self.session_factory, knowledge=self.self_service,
                          incidents=IncidentLine.from_settings(self.settings, self.incidents),
                          segments=self.segments, notifier=DispatchNotifier(self.bus))

    def dispatcher(self) -> Service:
        from .dispatch.service import DispatcherService

        return DispatcherService(self.settings, self.engine, self.session_factory, self.bus, self.callbacks,
                                 incidents=self.incidents)

    def transcriber(self) -> Service:
        from .transcribe.worker import TranscriberService

        return TranscriberService(self.settings, self.session_factory, self.bus)

    def tagger(self) -> Service:
        from .qa.tagger import KeywordTagger

        return KeywordTagger(self.session_factory, self.bus, self.tickets)

    def background(self) -> Service:
        """The worker for long work people ask for, each kind run by the package that owns it."""
        from .background.worker import BackgroundWorker
        from .knowledge import calibrating
        from .problems import bulk, solving
        from .qa import rules
        from .tickets import export

        cfg = self.settings.background
        handlers = {rules.REAPPLY: lambda work: rules.reapply(work, self.tickets, cfg.batch_size),
                    export.KIND: lambda work: export.run(work, self.settings.exports_dir(), cfg.batch_size),
                    calibrating.KIND: calibrating.run,
                    solving.KIND: lambda work: solving.run(work, self.tickets, self.replies,
                                                          self.settings.problems.phone_reply),
                    bulk.KIND: lambda work: self.bulk_actions.run(work, cfg.batch_size)}
        return BackgroundWorker(self.session_factory, handlers, cfg.poll_seconds, cfg.heartbeat_timeout_seconds)

    def channels(self) -> Service:
        """The reply sender and each enabled channel's listener."""
        from .channels.delivery import Delivery
        from .channels.registry import adapters
        from .channels.service import ChannelsService

        cfg = self.settings.channels
        senders = adapters(cfg, policy=DiallingPolicy.from_settings(self.settings),
                           region=self.settings.phone.default_region, store=self.conversations.store)
        delivery = Delivery(self.session_factory, senders, ConversationNotifier(self.bus),
                            poll_seconds=cfg.delivery.poll_seconds, batch=cfg.delivery.batch,
                            retry_delays=cfg.delivery.retry_delays, bus=self.bus)
        parts: list[Service] = [delivery]
        if cfg.email.enabled:
            parts.append(self.mail_fetcher())
        return ChannelsService(parts)

    def knowledge(self) -> KnowledgeWatcher:
        """Auto-reply's look at new messages, the customers' answers, expiries, new tickets' suggestions."""
        from .knowledge.watcher import KnowledgeWatcher

        return KnowledgeWatcher(self.session_factory, self.bus, self.auto_replies, self.auto_reply_answers,
                                self.suggester, read_factory=self.read_session_factory)

    def mail_fetcher(self) -> MailFetcher:
        """The support mailbox read over IMAP into tickets (part of the ``channels`` service)."""
        from .channels.email.imap import MailFetcher
        from .channels.email.intake import MailIntake

        cfg = self.settings.channels.email
        return MailFetcher(cfg, MailIntake(cfg, self.session_factory, self.channel_intake, self.conversations,
                                           self.customers))

    def webhooks(self) -> Service:
        """The webhook sender: posts what the outbox holds, signed, in order per ticket (several may run)."""
        from .webhooks.sender import Sender

        return Sender(self.session_factory, self.settings.webhooks, WebhookNotifier(self.bus))

    def automation(self) -> Service:
        """Runs the rules on the events they want, in order, once each (several may run on PostgreSQL)."""
        from .automation.engine import AutomationService, Engine
        from .dispatch.calendar import BusinessCalendar

        sla = self.settings.dispatch.sla
        engine = Engine(self.rules, self.rule_actions, self.approvals, self.segments, self.settings.timezone,
                        BusinessCalendar(sla.business_hours, sla.holidays, self.settings.timezone))
        return AutomationService(self.session_factory, engine, self.bus, self.customer_tags)

    def service(self, name: str) -> Service:
        if name not in BACKEND_SERVICES:
            raise ValueError(f"unknown service {name!r}")
        built: Service = getattr(self, name)()
        return built

    def close(self) -> None:
        if "controls" in self.__dict__:
            self.controls.close()
        if "crm" in self.__dict__:
            self.crm.close()
        if "bus" in self.__dict__:
            self.bus.stop()
        if "engine" in self.__dict__:
            self.engine.dispose()
