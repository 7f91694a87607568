"""Every set of roles the product checks, named once.

Pages, the API and the services refer to these names, so "who may review
QA" or "who works the desk" is decided in one line, not wherever it is used.
"""
from __future__ import annotations

from ..models import Role

EVERYONE = (Role.AGENT, Role.SUPERVISOR, Role.QA, Role.ADMIN)
# Work calls at the desk, file and change tickets, create customers and callbacks.
DESK = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
# Lead a team: the review page, reports, the wallboard, reassignment, the governance pages (to look).
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)
# Review calls: transcript search, scorecards, agents' trends, survey results.
REVIEWERS = (Role.QA, Role.SUPERVISOR, Role.ADMIN)
# Change what reviewers score against: scorecards and keyword rules.
QA_EDITORS = (Role.QA, Role.ADMIN)
ADMINS = (Role.ADMIN,)
# See every call, recording, transcript and ticket (QA only reads tickets).
SEE_ALL = (Role.ADMIN, Role.QA)
# People a ticket can be given to.
ASSIGNABLE = (Role.AGENT, Role.SUPERVISOR)
# Who outranks whom, for minting another user's API token: never for a higher role, never for another admin.
RANK = {Role.AGENT: 1, Role.QA: 2, Role.SUPERVISOR: 2, Role.ADMIN: 3}
