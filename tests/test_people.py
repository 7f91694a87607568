"""The people services on SQLite and PostgreSQL: users, teams, agent profiles, skills, wrap-up codes.

Every change leaves an audit row with old and new values; refusals name
the field and change nothing; the last active admin stays one.
"""
from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from callcenter.access import accounts
from callcenter.db import transaction
from callcenter.events import AgentProfileChanged
from callcenter.i18n import Refusal
from callcenter.models import AgentProfile, AuditLog, Queue, Role, Skill, Team, User, WrapupCode, WrapupKind
from callcenter.people import skills, teams, users, wrapup
from callcenter.people.profile_values import ProfileChange, ProfileError, parse_queues, parse_skills

from .support import rows
from .support.services import TEST


def _audit(session_factory: Any, action: str) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_add_edit_and_reset_a_user(session_factory) -> None:
    with transaction(session_factory) as s:
        team = teams.create_team(s, "Support", TEST)
        user, password = users.add_user(s, "li.na", "agent", TEST, display_name="  Li   Na ", email="li@example.com",
                                        language="zh", team_id=team.id, sip_interface="PJSIP/agent1001",
                                        extension="1001")
        user_id = user.id
    with session_factory() as s:
        user = rows.row(s, User, user_id)
        assert (user.display_name, user.email, user.language, user.must_change_password) == \
            ("Li Na", "li@example.com", "zh", True)
        assert user.agent is not None and user.agent.sip_interface == "PJSIP/agent1001"
        assert check_password_hash(user.password_hash, password)
    with transaction(session_factory) as s:
        users.edit_user(s, user_id, TEST, display_name="Li Na (HQ)", email="", language="en")
        users.edit_user(s, user_id, TEST, display_name="Li Na (HQ)")  # no change: no audit row
        generation = rows.row(s, User, user_id).session_generation
        fresh = users.reset_password(s, user_id, TEST)
    with session_factory() as s:
        user = rows.row(s, User, user_id)
        assert (user.email, user.language) == (None, "en")
        assert user.must_change_password and check_password_hash(user.password_hash, fresh)
        assert user.session_generation == generation + 1  # every session ended
    edited = _audit(session_factory, "user_edited")
    assert edited[-1].detail["changes"] == {"display_name": {"old": "Li Na", "new": "Li Na (HQ)"},
                                            "email": {"old": "li@example.com", "new": None},
                                            "language": {"old": "zh", "new": "en"}}
    assert len(edited) == 2  # the one at creation (e-mail, language, team) and this one
    reset = _audit(session_factory, "user_password_reset")
    assert len(reset) == 1 and fresh not in str(reset[0].detail) and password not in str(edited[0].detail)


@pytest.mark.parametrize(("field", "kwargs"), [
    ("username", {"username": "no spaces"}), ("email", {"email": "not-an-address"}),
    ("language", {"language": "fr"}), ("role", {"role": "boss"}), ("sip_interface", {"sip_interface": "agent1001"}),
    ("sip_interface", {"sip_interface": "PJSIP/agent\r\nAction: Originate"}),
    ("sip_interface", {"sip_interface": "PJSIP/webrtc1001"}), ("extension", {"extension": "12a"}),
])
def test_a_refused_user_names_the_field_and_adds_nobody(session_factory, field: str, kwargs: dict[str, str]) -> None:
    values: dict[str, Any] = {"username": "tom", "role": "agent", **kwargs}
    with transaction(session_factory) as s, pytest.raises(Refusal) as refused:
        users.add_user(s, values.pop("username"), values.pop("role"), TEST, **values)
    assert refused.value.field == field
    with session_factory() as s:
        assert s.scalar(select(User.id)) is None


def test_the_last_active_admin_stays_one(session_factory) -> None:
    with transaction(session_factory) as s:
        ada, _ = users.add_user(s, "ada", "admin", TEST)
        ada_id = ada.id
    with transaction(session_factory) as s:
        for change in (lambda: users.change_role(s, ada_id, "agent", TEST),
                       lambda: users.set_active(s, ada_id, False, TEST)):
            with pytest.raises(accounts.AccountError) as refused:
                change()
            assert refused.value.code == "last_admin" and refused.value.template == accounts.LAST_ADMIN
        users.add_user(s, "bea", "admin", TEST)
    with transaction(session_factory) as s:
        users.set_active(s, ada_id, False, TEST)  # another admin remains
    assert [r.object_id for r in _audit(session_factory, "user_deactivated")] == [str(ada_id)]


def test_teams_leads_and_members(session_factory) -> None:
    with transaction(session_factory) as s:
        sue, _ = users.add_user(s, "sue", "supervisor", TEST)
        ann, _ = users.add_user(s, "ann", "agent", TEST)
        bob, _ = users.add_user(s, "bob", "agent", TEST)
        north = teams.create_team(s, "North", TEST, lead_id=sue.id)
        south = teams.create_team(s, " South ", TEST)
        teams.set_lead(s, south.id, sue.id, TEST)  # one supervisor leads two teams
        teams.set_team(s, ann.id, north.id, TEST)
        teams.set_members(s, south.id, [bob.id, sue.id], TEST)
        ids = {"sue": sue.id, "ann": ann.id, "bob": bob.id, "north": north.id, "south": south.id}
    with transaction(session_factory) as s:
        with pytest.raises(teams.TeamError, match="already a team named"):
            teams.create_team(s, "north", TEST)
        with pytest.raises(teams.TeamError, match="active supervisor or administrator"):
            teams.set_lead(s, ids["north"], ids["ann"], TEST)
        with pytest.raises(teams.TeamError, match="Only an empty team") as full:
            teams.delete_team(s, ids["south"], TEST)
        assert full.value.params == {"people": 2, "queues": 0}
        with pytest.raises(teams.TeamError, match="not a member"):
            teams.remove_member(s, ids["north"], ids["bob"], TEST)
        teams.rename_team(s, ids["north"], "North desk", TEST)
        teams.set_members(s, ids["south"], [ids["bob"]], TEST)  # sue leaves
        teams.remove_member(s, ids["south"], ids["bob"], TEST)
        teams.delete_team(s, ids["south"], TEST)
    with session_factory() as s:
        assert [t.name for t in s.scalars(select(Team))] == ["North desk"]
        assert rows.row(s, Team, ids["north"]).supervisor_id == ids["sue"]
        assert rows.row(s, User, ids["ann"]).team_id == ids["north"]
        assert rows.row(s, User, ids["sue"]).team_id is None
    moves = [(r.detail["old"], r.detail["new"]) for r in _audit(session_factory, "user_team_changed")]
    assert moves == [(None, "North"), (None, "South"), (None, "South"), ("South", None), ("South", None)]
    assert [r.detail["name"] for r in _audit(session_factory, "team_deleted")] == ["South"]
    assert [(r.detail["old"], r.detail["new"]) for r in _audit(session_factory, "team_renamed")] == \
        [("North", "North desk")]


def _setup_codes(session_factory: Any) -> int:
    with transaction(session_factory) as s:
        for name in ("support", "billing"):
            skills.create_skill(s, name, TEST, name_zh={"support": "技术支持", "billing": "账单"}[name])
        s.add_all([Queue(name="support"), Queue(name="sales"), Queue(name="old", is_active=False)])
        user, _ = users.add_user(s, "ann", "agent", TEST)
        return user.id


def test_a_profile_change_is_checked_audited_and_published(container, session_factory) -> None:
    ann = _setup_codes(session_factory)
    seen: list[AgentProfileChanged] = []
    container.bus.subscribe(AgentProfileChanged, lambda m: seen.append(m.event))
    change = ProfileChange(sip_interface="PJSIP/agent1001", extension="1001", skills=parse_skills("support:3;billing"),
                           languages=["zh", "en"], capacity=12, seniority=4, queues=parse_queues("support;sales:2"))
    with transaction(session_factory) as s:
        changed = container.profiles.update(s, ann, change, TEST)
    assert changed["skills"] == {"old": "", "new": "billing;support:3"}
    with transaction(session_factory) as s:  # again: nothing changes, nothing audited or published
        assert container.profiles.update(s, ann, change, TEST) == {}
        container.profiles.update(s, ann, ProfileChange(queues={"sales": 0}, skills={"support": 5}), TEST)
    with session_factory() as s:
        profile = s.scalar(select(AgentProfile).where(AgentProfile.user_id == ann))
        assert profile is not None
        assert {a.skill.name: a.level for a in profile.skills} == {"support": 5}
        assert {q.queue.name: q.penalty for q in profile.queues} == {"sales": 0}
        assert (profile.languages, profile.capacity, profile.seniority) == (["zh", "en"], 12, 4)
    audit_rows = _audit(session_factory, "agent_profile_changed")
    assert len(audit_rows) == 2
    assert audit_rows[1].detail["changes"] == {"skills": {"old": "billing;support:3", "new": "support:5"},
                                               "queues": {"old": "sales:2;support", "new": "sales"}}
    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [(e.user_id, e.queues) for e in seen] == [(ann, ["sales", "support"]), (ann, ["sales"])]


def test_a_refused_profile_names_every_wrong_field_and_changes_nothing(session_factory, container) -> None:
    ann = _setup_codes(session_factory)
    with transaction(session_factory) as s:
        bob, _ = users.add_user(s, "bob", "agent", TEST, sip_interface="PJSIP/agent1002")
    bad = ProfileChange(sip_interface="PJSIP/agent1002", skills={"cooking": 2}, languages=["fr"], capacity=900,
                        queues={"old": 0, "nowhere": 1})
    with transaction(session_factory) as s, pytest.raises(ProfileError) as refused:
        container.profiles.update(s, ann, bad, TEST)
    errors = refused.value.errors
    assert set(errors) == {"sip_interface", "skills", "languages", "capacity", "queues"}
    assert errors["queues"].params == {"names": "old, nowhere"} and errors["sip_interface"].code == "taken"
    for text, field in (("support:9", "skills"), ("sup-port", "queues"), ("sales:x", "queues")):
        with pytest.raises(Refusal) as wrong:
            (parse_skills if field == "skills" else parse_queues)(text)
        assert wrong.value.field == field
    assert bob.id and _audit(session_factory, "agent_profile_changed") == []


def test_skills_are_made_described_retired_and_kept_by_their_agents(session_factory, container) -> None:
    ann = _setup_codes(session_factory)
    with transaction(session_factory) as s:
        container.profiles.update(s, ann, ProfileChange(skills={"billing": 2}), TEST)
        billing = skills.by_name(s, "billing")
        skills.edit_skill(s, billing.id, TEST, description="Invoices and refunds")
        skills.set_active(s, billing.id, False, TEST)
        for bad in ("1st", "a-b", "", "naïve"):
            with pytest.raises(skills.SkillError, match="A code is"):
                skills.create_skill(s, bad, TEST)
        with pytest.raises(skills.SkillError, match="already a skill named"):
            skills.create_skill(s, "support", TEST)
    with transaction(session_factory) as s:  # a retired skill: kept by ann, refused to anybody new
        container.profiles.update(s, ann, ProfileChange(skills={"billing": 3}), TEST)
        bob, _ = users.add_user(s, "bob", "agent", TEST)
        with pytest.raises(ProfileError, match="Unknown skills: billing"):
            container.profiles.update(s, bob.id, ProfileChange(skills={"billing": 1}), TEST)
    with session_factory() as s:
        assert [(k.name, k.name_zh, k.is_active) for k in skills.listing(s)] == [
            ("billing", "账单", False), ("support", "技术支持", True)]
        assert [k.name for k in skills.listing(s, active_only=True)] == ["support"]
        assert rows.row(s, Skill, billing.id).description == "Invoices and refunds"
    assert [r.action for r in _audit(session_factory, "skill_retired")] == ["skill_retired"]


def test_wrapup_codes_are_made_edited_retired_and_moved(session_factory) -> None:
    with session_factory() as s:  # the migration's seeded codes
        seeded = [c.code for c in wrapup.listing(s)]
    assert seeded[:2] == ["resolved_first_call", "follow_up"] and "wrong_number" in seeded
    with transaction(session_factory) as s:
        row = wrapup.create_code(s, "billing_question", "Billing question", TEST, label_zh="账单问题")
        wrapup.place(s, row.id, 0, TEST)
        wrapup.edit_code(s, row.id, TEST, kind="both", label_zh="账单咨询")
        wrapup.set_active(s, wrapup.by_code(s, "test_call").id, False, TEST)
        with pytest.raises(wrapup.WrapupError, match="already a wrap-up code"):
            wrapup.create_code(s, "follow_up", "Again", TEST)
        with pytest.raises(wrapup.WrapupError, match="A kind is"):
            wrapup.edit_code(s, row.id, TEST, kind="maybe")
        with pytest.raises(wrapup.WrapupError, match="A label is"):
            wrapup.edit_code(s, row.id, TEST, label="  ")
    with session_factory() as s:
        codes = wrapup.listing(s)
        assert [c.code for c in codes][:2] == ["billing_question", "resolved_first_call"]
        assert [c.position for c in codes] == list(range(len(codes)))
        no_ticket = [c.code for c in wrapup.listing(s, active_only=True, kind=WrapupKind.NO_TICKET)]
        assert "billing_question" in no_ticket and "test_call" not in no_ticket and "follow_up" not in no_ticket
        assert rows.row(s, WrapupCode, row.id).label_zh == "账单咨询"
    edited = _audit(session_factory, "wrapup_code_edited")
    assert edited[0].detail["changes"] == {"label_zh": {"old": "账单问题", "new": "账单咨询"},
                                           "kind": {"old": "ticket", "new": "both"}}
    assert [(r.detail["old"], r.detail["new"]) for r in _audit(session_factory, "wrapup_code_moved")] == \
        [(len(seeded), 0)]


def test_role_of_an_imported_agent_is_an_agent_profile(session_factory) -> None:
    """A user made an agent later gets a profile, so the desk and the profile form work for them."""
    with transaction(session_factory) as s:
        quinn, _ = users.add_user(s, "quinn", Role.QA, TEST)
        assert quinn.agent is None
        users.change_role(s, quinn.id, "agent", TEST)
        assert quinn.agent is not None
