"""What the IVR needs of incident mode: the incident a caller hears, its spoken message, the subscription.

Kept apart from the ``Incidents`` service so the AGI process holds only
this (the voice and the dialling policy), like the knowledge base's
``SelfService``.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Incident, IncidentSubscription
from ..pbx.answers import AnswerVoice
from .incidents import Incidents

FOLDER = "callcenter-incident"


@dataclass
class IncidentLine:
    incidents: Incidents
    voice: AnswerVoice

    @classmethod
    def from_settings(cls, settings: Settings, incidents: Incidents) -> IncidentLine:
        return cls(incidents, AnswerVoice.from_settings(settings, folder=FOLDER,
                                                        max_chars=settings.problems.incident_max_chars))

    def heard_by(self, session: Session, queue: str, category: str, skip: set[int]) -> Incident | None:
        return self.incidents.heard_by(session, queue, category, skip)

    def spoken(self, incident: Incident, language: str) -> str | None:
        """The message's file in ``language`` (the other one when it has none), made on first use."""
        said = incident.message_zh if language == "zh" and incident.message_zh else incident.message_en
        locale = "zh" if said is incident.message_zh and incident.message_zh else "en"
        return self.voice.ensure(incident.id, incident.revision, locale, "", incident.message(locale))

    def subscribe(self, session: Session, incident_id: int, number: str, language: str,
                  call_id: int | None) -> IncidentSubscription | None:
        return self.incidents.subscribe(session, incident_id, number, language, call_id)
