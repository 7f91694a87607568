"""One method per event the desk's call control publishes."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import CallTransferRequested, ClickToCallPlaced
from ..models import ClickCall


class CallControlNotifier(Notifier):
    def click_to_call_placed(self, session: Session, click: ClickCall, actor: Actor) -> None:
        self._publish(ClickToCallPlaced(click_id=click.id, agent_id=click.agent_id, status=click.status.value,
                                        ticket_id=click.ticket_id, call_id=click.call_id, actor=actor.name),
                      session)

    def call_transfer_requested(self, session: Session, pbx: str, linkedid: str, call_id: int | None, mode: str,
                                kind: str, target: str, actor: Actor) -> None:
        self._publish(CallTransferRequested(pbx=pbx, linkedid=linkedid, call_id=call_id, mode=mode, kind=kind,
                                            target=target, actor=actor.name), session)
