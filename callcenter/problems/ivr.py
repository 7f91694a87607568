"""What the IVR needs of incident mode: the incident a caller hears, its spoken message, the subscription.

Kept apart from the ``Incidents`` service so the AGI process holds only
this (the voice and the dialling policy), like the knowledge base's
``SelfService``.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Incident, NoticeStatus, PhoneNotice
from ..pbx.answers import AnswerVoice
from ..pbx.prompts import VOICES
from .incidents import Incidents

FOLDER = "callcenter-incident"
NOTICES = "callcenter-notice"  # phone notices' own texts (a ticket's reply)


@dataclass
class IncidentLine:
    incidents: Incidents
    voice: AnswerVoice
    notices: AnswerVoice

    @classmethod
    def from_settings(cls, settings: Settings, incidents: Incidents) -> IncidentLine:
        return cls(incidents, AnswerVoice.from_settings(settings, folder=FOLDER,
                                                        max_chars=settings.problems.incident_max_chars),
                   AnswerVoice.from_settings(settings, folder=NOTICES))

    def spoken_notice(self, session: Session, notice_id: int) -> str | None:
        """The file of a phone notice's text, for the call the dispatcher is placing now (None: nothing to say)."""
        row = session.get(PhoneNotice, notice_id)
        # DIALING, or TOLD already: the dialer reports "reached" as soon as the customer answers.
        if row is None or not row.text or row.status not in (NoticeStatus.DIALING, NoticeStatus.TOLD):
            return None
        return self.notices.ensure(row.id, 1, row.language if row.language in VOICES else "en", "", row.text)

    def heard_by(self, session: Session, queue: str, category: str, skip: set[int]) -> Incident | None:
        return self.incidents.heard_by(session, queue, category, skip)

    def spoken(self, incident: Incident, language: str) -> str | None:
        """The message's file in ``language`` (the other one when it has none), made on first use."""
        said = incident.message_zh if language == "zh" and incident.message_zh else incident.message_en
        locale = "zh" if said is incident.message_zh and incident.message_zh else "en"
        return self.voice.ensure(incident.id, incident.revision, locale, "", incident.message(locale))

    def subscribe(self, session: Session, incident_id: int, number: str, language: str,
                  call_id: int | None) -> PhoneNotice | None:
        return self.incidents.subscribe(session, incident_id, number, language, call_id)
