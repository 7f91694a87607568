"""The ticket page's problem panel on SQLite and PostgreSQL: similar open tickets with their shared words,
"Same problem: link", a problem's incidents with unlink, roles and CSRF on every post, both languages."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import Ticket, TicketChange, TicketMerge

from .deskdata import PASSWORD
from .support.parcels import STUCK
from .webtools import csrf_token, sign_in


def _outage(container: Any, count: int = 6) -> list[str]:
    with transaction(container.session_factory) as s:
        made = [container.tickets.create(s, Actor.system("test"), subject=subject, description=description,
                                         category="delivery") for subject, description in STUCK[:count]]
        s.flush()
        return [t.number for t in made]


def _client(app: Any, who: str) -> tuple[Any, str]:
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    return client, csrf_token(client, "/tickets/")


def test_the_page_offers_similar_tickets_and_links_them_in_one_click(app, container, shop) -> None:
    numbers = _outage(container)
    ada, token = _client(app, "ada")
    page = ada.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    assert 'id="similar-tickets"' in page and all(f'data-ticket="{n}"' in page for n in numbers[1:4])
    assert "shared words" in page and "快递" in page
    # This ticket is the same problem as the second one: one click.
    resp = ada.post(f"/tickets/{numbers[0]}/link", data={"problem": numbers[1], "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/tickets/{numbers[0]}#problem")
    # From the problem's page, another similar ticket is added as an incident.
    assert ada.post(f"/tickets/{numbers[1]}/incidents", data={"incident": numbers[2], "csrf_token": token}
                    ).status_code == 303
    problem_page = ada.get(f"/tickets/{numbers[1]}").get_data(as_text=True)
    assert 'id="incidents"' in problem_page and numbers[0] in problem_page and numbers[2] in problem_page
    similar = problem_page.split('id="similar-tickets"')[1] if 'id="similar-tickets"' in problem_page else ""
    assert numbers[0] not in similar and numbers[2] not in similar  # linked ones are not offered again
    incident_page = ada.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    assert "Incident of problem" in incident_page and 'id="unlink-problem"' in incident_page
    with container.session_factory() as s:
        rows = {n: s.scalar(select(Ticket).where(Ticket.number == n)) for n in numbers[:3]}
        problem = rows[numbers[1]]
        assert problem is not None and problem.is_problem
        assert all(rows[n] is not None and rows[n].problem_id == problem.id for n in (numbers[0], numbers[2]))
    # Unlinked from the problem's page: back there, the incident gone.
    back = ada.post(f"/tickets/{numbers[2]}/unlink", data={"back": numbers[1], "csrf_token": token})
    assert back.headers["Location"].endswith(f"/tickets/{numbers[1]}#problem")
    with container.session_factory() as s:
        assert s.scalar(select(Ticket.problem_id).where(Ticket.number == numbers[2])) is None
        fields = set(s.scalars(select(TicketChange.field).where(TicketChange.field.in_(("problem", "is_problem")))))
        assert fields == {"problem", "is_problem"}
    # The history reads in Chinese too.
    zh = ada.get(f"/tickets/{numbers[1]}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "问题工单" in zh and "事件" in zh


def test_solving_from_the_problem_page_queues_the_job_and_shows_its_progress(app, container, shop) -> None:
    numbers = _outage(container, 4)
    ada, token = _client(app, "ada")
    for number in numbers[1:]:
        ada.post(f"/tickets/{number}/link", data={"problem": numbers[0], "csrf_token": token})
    page = ada.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    assert 'id="solve-problem"' in page and "{{ customer.name }}" in page
    empty = ada.post(f"/tickets/{numbers[0]}/solve", data={"body": " ", "csrf_token": token}, follow_redirects=True)
    assert "Write the reply every customer gets" in empty.get_data(as_text=True)
    resp = ada.post(f"/tickets/{numbers[0]}/solve", data={"body": "已恢复，今天派送。", "csrf_token": token})
    assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
    job_page = ada.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Tell a problem" in job_page and "job-bar" in job_page  # the kind, and its progress bar
    assert container.service("background").run_once()
    with container.session_factory() as s:
        statuses = set(s.scalars(select(Ticket.status).where(Ticket.number.in_(numbers))))
        assert {st.value for st in statuses} == {"resolved"}


def test_merge_and_undo_from_the_ticket_page(app, container, shop) -> None:
    numbers = _outage(container, 2)
    ada, token = _client(app, "ada")
    assert 'id="merge-ticket"' in ada.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    resp = ada.post(f"/tickets/{numbers[0]}/merge", data={"into": numbers[1], "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/tickets/{numbers[1]}")
    merged = ada.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    assert "This ticket was merged into" in merged and 'id="undo-merge"' in merged
    into = ada.get(f"/tickets/{numbers[1]}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "撤销合并" in into
    with container.session_factory() as s:
        merge_id = s.scalar(select(TicketMerge.id))
    undo = ada.post(f"/tickets/{numbers[1]}/merges/{merge_id}/undo", data={"csrf_token": token})
    assert undo.status_code == 303 and undo.headers["Location"].endswith(f"/tickets/{numbers[0]}")
    with container.session_factory() as s:
        assert s.scalar(select(Ticket.merged_into_id).where(Ticket.number == numbers[0])) is None
    gone = ada.post(f"/tickets/{numbers[0]}/merge", data={"into": "", "csrf_token": token}, follow_redirects=True)
    assert "Which ticket?" in gone.get_data(as_text=True)


def test_bulk_from_the_list_every_page_then_the_jobs_page_lists_failures_and_cancels(app, container, shop) -> None:
    numbers = _outage(container, 6)
    ada, token = _client(app, "ada")
    page = ada.get("/tickets/?category=delivery").get_data(as_text=True)
    assert 'id="bulk-form"' in page and 'name="ticket"' in page
    with container.session_factory() as s:
        ids = dict(s.execute(select(Ticket.number, Ticket.id).where(Ticket.number.in_(numbers))).tuples().all())
    # All the filter matches, on every page: each linked to the first ticket (which cannot link to itself).
    resp = ada.post("/tickets/bulk", data={"csrf_token": token, "scope": "all", "category": "delivery",
                                           "action": "link", "problem_value": numbers[0]})
    assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
    assert container.service("background").run_once()
    job_page = ada.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="bulk-failed"' in job_page and numbers[0] in job_page and "cannot be an incident of itself" in job_page
    zh = ada.get(resp.headers["Location"], headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "工单不能作为自己的事件工单" in zh
    # Ticked rows only; cancelled before the worker reached it.
    picked = ada.post("/tickets/bulk", data={"csrf_token": token, "scope": "selected", "action": "priority",
                                             "priority_value": "urgent", "ticket": [ids[numbers[1]], ids[numbers[2]]]})
    job_url = picked.headers["Location"]
    assert 'id="bulk-cancel"' in ada.get(job_url).get_data(as_text=True)
    assert ada.post(job_url + "/cancel", data={"csrf_token": token}).status_code == 303
    assert container.service("background").run_once()
    assert "skipped after a cancel: 2" in ada.get(job_url).get_data(as_text=True)
    # Nothing ticked: said, nothing queued.
    none = ada.post("/tickets/bulk", data={"csrf_token": token, "scope": "selected", "action": "close"},
                    follow_redirects=True)
    assert "No ticket is selected." in none.get_data(as_text=True)


def test_only_the_desk_links_and_every_post_needs_its_token(app, container, shop) -> None:
    numbers = _outage(container, 3)
    quinn, token = _client(app, "quinn")
    assert quinn.post(f"/tickets/{numbers[0]}/link", data={"problem": numbers[1], "csrf_token": token}
                      ).status_code == 403
    ada, token = _client(app, "ada")
    assert ada.post(f"/tickets/{numbers[0]}/link", data={"problem": numbers[1]}).status_code == 400
    refused = ada.post(f"/tickets/{numbers[0]}/link", data={"problem": numbers[0], "csrf_token": token},
                       follow_redirects=True)
    assert "cannot be an incident of itself" in refused.get_data(as_text=True)
    assert ada.post(f"/tickets/{numbers[0]}/link", data={"problem": "9999999", "csrf_token": token}
                    ).status_code == 404
    with container.session_factory() as s:
        assert s.scalar(select(Ticket.problem_id).where(Ticket.number == numbers[0])) is None


def test_a_supervisor_declares_an_incident_from_the_problem_page_and_the_wallboard_shows_it(app, container,
                                                                                           shop) -> None:
    from callcenter.models import Incident, IncidentStatus
    from web.wallboard.state import incidents

    numbers = _outage(container, 2)
    ann, ann_token = _client(app, "ann")  # an agent: incident mode is for supervisors
    assert 'id="declare-incident"' not in ann.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    assert ann.post(f"/tickets/{numbers[0]}/incident", data={"message_en": "x", "csrf_token": ann_token}
                    ).status_code == 403
    ada, token = _client(app, "ada")
    assert 'id="declare-incident"' in ada.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    empty = ada.post(f"/tickets/{numbers[0]}/incident", data={"csrf_token": token}, follow_redirects=True)
    assert "Write what callers hear" in empty.get_data(as_text=True)
    resp = ada.post(f"/tickets/{numbers[0]}/incident", data={
        "csrf_token": token, "message_en": "Parcels are stuck at the hub; we expect them to move tomorrow.",
        "message_zh": "中转站包裹积压，预计明天恢复。", "category": "delivery"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#incident")
    page = ada.get(f"/tickets/{numbers[0]}").get_data(as_text=True)
    assert "incident-open" in page and 'id="end-incident"' in page and "中转站包裹积压" in page
    with container.session_factory() as s:
        [shown] = incidents(s)
        assert (shown["status"], shown["number"], shown["category"], shown["subscribers"]) == (
            "open", numbers[0], "delivery", 0)
    assert ada.post(f"/tickets/{numbers[0]}/incident/end", data={"csrf_token": token}).status_code == 303
    with container.session_factory() as s:
        incident = s.scalar(select(Incident))
        assert incident is not None and incident.status is IncidentStatus.ENDED and incidents(s) == []


def test_recurring_issues_page_groups_the_outage_and_makes_a_problem_of_it(app, container, shop) -> None:
    from tests.support.parcels import OTHER

    numbers = _outage(container, 20)
    with transaction(container.session_factory) as s:
        for subject, description in OTHER:
            container.tickets.create(s, Actor.system("test"), subject=subject, description=description)
    ada, token = _client(app, "ada")
    page = ada.get("/problems/recurring").get_data(as_text=True)
    assert page.count('class="card recurring"') >= 1 and "快递" in page and "make-problem" in page
    group = page.split('class="card recurring"')[1]
    ids = [v.split('"')[0] for v in group.split('name="ticket" value="')[1:]]
    assert len(ids) >= 15
    resp = ada.post("/problems/recurring/problem", data={"csrf_token": token, "ticket": ids, "word": ["快递", "物流"]})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#problem")
    with container.session_factory() as s:
        problem = s.scalar(select(Ticket).where(Ticket.is_problem))
        assert problem is not None and "快递" in problem.subject
        linked = set(s.scalars(select(Ticket.number).where(Ticket.problem_id == problem.id)))
        assert len(linked) == len(ids) and linked <= set(numbers)
    empty = ada.post("/problems/recurring/problem", data={"csrf_token": token}, follow_redirects=True)
    assert "None of these tickets" in empty.get_data(as_text=True)
