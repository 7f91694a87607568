"""API: survey results."""
from __future__ import annotations

from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles, visibility
from callcenter.i18n import N_
from callcenter.models import Survey

from .registry import api_user, endpoint, page
from .schemas import SurveyOut


@endpoint("GET", "/surveys", roles=roles.REVIEWERS, scope="surveys:read",
          summary=N_("Survey results"), response=SurveyOut, many=True,
          params=("limit", "offset"))
def list_surveys() -> ResponseReturnValue:
    return page(select(Survey).where(visibility.survey_clause(api_user())).order_by(Survey.id.desc()), SurveyOut.of)
