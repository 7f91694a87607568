"""A small, known world for IVR tests: queues, an agent, customers, tickets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcenter.access import accounts
from callcenter.db import transaction
from callcenter.models import Customer, CustomerPhone, Queue, Ticket, TicketStatus, VipTier
from callcenter.tickets.numbers import number_for

VIP_NUMBER = "+12025550143"  # gold, English
ZH_NUMBER = "+8613800138000"  # platinum, Mandarin
AGENT_INTERFACE = "PJSIP/agent1001"


@dataclass
class World:
    vip_id: int
    zh_id: int
    agent_id: int
    open_ticket: str  # number of an open ticket of the VIP
    resolved_ticket: str


def seed(session_factory: Any) -> World:
    with transaction(session_factory) as s:
        for name in ("support", "sales", "billing"):
            s.add(Queue(name=name, display_name=name.title()))
        vip = Customer(name="Grace Hopper", language="en", vip_tier=VipTier.GOLD,
                       phones=[CustomerPhone(number=VIP_NUMBER)])
        zh = Customer(name="李雷", language="zh", vip_tier=VipTier.PLATINUM,
                      phones=[CustomerPhone(number=ZH_NUMBER)])
        s.add_all([vip, zh])
        s.flush()
        open_t = Ticket(subject="printer on fire", status=TicketStatus.OPEN, customer_id=vip.id)
        done_t = Ticket(subject="secret subject", status=TicketStatus.RESOLVED, customer_id=vip.id)
        s.add_all([open_t, done_t])
        s.flush()
        open_t.number, done_t.number = number_for(open_t.id), number_for(done_t.id)
        user, _ = accounts.create_user(s, "agent1001", "agent", "correct-horse-1",
                                       sip_interface=AGENT_INTERFACE)
        return World(vip.id, zh.id, user.id, open_t.number, done_t.number)
