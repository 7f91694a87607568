"""The ``[knowledge]`` settings: suggestions, auto-reply and the IVR's self-service."""
from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from ..days import clock_time

WEB_ADDRESS = re.compile(r"^https?://[^\s/?#]+(?:/[^\s?#]*)?$")


class AutoReplySettings(BaseModel):
    """Answering e-mail, web-form and WeChat tickets with an article when the score is high enough."""

    enabled: bool = False
    channels: list[str] = Field(default_factory=lambda: ["email", "web", "wechat"])
    # Where customers reach the "Yes / No" pages (https://help.example.com); empty: http://<web.host>:<web.port>.
    answer_url: str = ""
    # No yes or no within this many hours: an agent takes the ticket, the article marked rejected.
    answer_hours: float = Field(default=24.0, gt=0)
    # A message holding any of these (after folding: case, width, traditional characters) is never auto-answered.
    angry_words: list[str] = Field(default_factory=lambda: [
        "complaint", "complain", "lawyer", "sue", "unacceptable", "ridiculous", "furious", "scam", "fraud",
        "投诉", "律师", "起诉", "骗子", "欺诈", "垃圾", "太差", "气死", "曝光", "12315"])
    # Reply keywords, besides the links: the customer's whole answer, folded, is compared.
    yes_words: list[str] = Field(default_factory=lambda: [
        "yes", "y", "1", "solved", "是", "是的", "解决了", "已解决"])
    no_words: list[str] = Field(default_factory=lambda: [
        "no", "n", "2", "not solved", "否", "不是", "没解决", "未解决"])

    @field_validator("answer_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not WEB_ADDRESS.match(value):
            raise ValueError("answer_url must be an http:// or https:// address, e.g. https://help.example.com")
        return value


class IVRSelfServiceSettings(BaseModel):
    """The IVR's "hear the answer" option: the top article of the caller's category, or one they key in.

    A menu digit offers it with ``path = "knowledge"`` (or ``"knowledge_code"``) in ``[ivr.menu]``.
    """

    enabled: bool = True
    # Longest short answer read out, in characters (a longer one is cut at a sentence end).
    max_chars: int = Field(default=400, ge=40)
    # Asterisk's sounds directory as this process sees it (a shared mount when Asterisk runs on another
    # machine): the spoken answers are written under its callcenter-kb/.  Empty: the lab PBX's, when enabled.
    sounds_dir: Path | None = None
    # Answers one number may get by SMS from the IVR in a day, 0 = no limit (a spoofed caller ID must not
    # have us text a stranger again and again).
    sms_per_number_per_day: int = Field(default=3, ge=0)


class CalibrationSettings(BaseModel):
    """The nightly fit of the calibrated score (the active dispatcher runs it)."""

    # Fit again every night when agents or customers labelled suggestions, or articles changed, since the last fit.
    nightly: bool = True
    # Local time (HH:MM, in ``timezone``) of the nightly fit.
    at: str = "02:30"

    @field_validator("at")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        return clock_time(v, "at")


class KnowledgeSettings(BaseModel):
    # Calibrated probability at or above which a category's ticket is answered (a category may set its own).
    default_threshold: float = Field(default=0.75, gt=0, le=1)
    # A ticket whose best suggestion is below this is a "knowledge gap" in the reports.
    gap_below: float = Field(default=0.3, ge=0, le=1)
    # Suggestions shown at the desk.
    suggestions: int = Field(default=3, ge=1, le=10)
    # An index of more versions than this is rebuilt in the background (the old one answers meanwhile).
    rebuild_in_background_over: int = Field(default=5000, ge=0)
    # How often a process checks whether another one changed the articles.
    refresh_seconds: float = Field(default=1.0, ge=0)
    auto_reply: AutoReplySettings = Field(default_factory=AutoReplySettings)
    ivr: IVRSelfServiceSettings = Field(default_factory=IVRSelfServiceSettings)
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)
