"""Finding 6 of the walk: every long list has page numbers instead of stopping at 200 or 500 rows:
/review, the audit log, /jobs and the QA search results (filters kept on every page)."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import AuditLog, BackgroundJob, Call, Disposition, Transcript, utcnow
from callcenter.models.transcripts import TranscriptStatus

from .webtools import make_user, sign_in

NOW = utcnow()
CALL_ROW = re.compile(r'<span class="muted">c(\d{3})</span>')  # the caller's name


def _client(app, who: str):
    client = app.test_client()
    sign_in(client, who)
    return client


def _page_links(html: str) -> dict[str, str]:
    return {n: url.replace("&amp;", "&") for url, n in re.findall(r'<a href="([^"]+)"(?: rel="\w+")?>(\d+)</a>', html)}


def test_review_pages_through_every_call_of_the_day(app, session_factory) -> None:
    make_user(session_factory, "ada", "admin")
    with transaction(session_factory) as s:
        for n in range(230):
            s.add(Call(pbx="lab", linkedid=f"p.{n}", caller_number="+12025550143", caller_name=f"c{n:03d}",
                       queue_name="support", started_at=NOW - dt.timedelta(seconds=n + 1),
                       disposition=Disposition.ABANDONED_QUEUE if n % 2 else Disposition.ANSWERED))
    client = _client(app, "ada")
    first = client.get("/review/").get_data(as_text=True)
    assert "Page 1 of 5" in first and "(230)" in first
    assert CALL_ROW.findall(first) == [f"{n:03d}" for n in range(50)]  # newest first
    last = client.get(_page_links(first)["5"]).get_data(as_text=True)
    assert CALL_ROW.findall(last) == [f"{n:03d}" for n in range(200, 230)]  # past the old cut at 200
    abandoned = client.get("/review/?view=abandoned").get_data(as_text=True)
    assert "Page 1 of 3" in abandoned
    third = _page_links(abandoned)["3"]
    assert "view=abandoned" in third and "page=3" in third
    assert len(CALL_ROW.findall(client.get(third).get_data(as_text=True))) == 15


def test_audit_log_pages_with_its_filters(app, session_factory) -> None:
    make_user(session_factory, "ada", "admin")
    with transaction(session_factory) as s:
        s.add_all([AuditLog(action="bulk_thing" if n % 3 else "other_thing", actor_name="loader", outcome="ok",
                            object_type="thing", object_id=str(n)) for n in range(650)])
    client = _client(app, "ada")
    page = client.get("/admin/audit?action=bulk_thing").get_data(as_text=True)
    total = sum(1 for n in range(650) if n % 3)
    assert f"({total})" in page and "Page 1 of 5" in page  # 433 rows: past the old cut at 500 for all 650
    last = _page_links(page)["5"]
    assert "action=bulk_thing" in last
    tail = client.get(last).get_data(as_text=True)
    assert tail.count("<td>bulk_thing</td>") == total - 400 and "<td>other_thing</td>" not in tail
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "Page 1 of" in everything and everything.count("</tr>") == 101  # header + 100 rows


def test_jobs_page_and_a_bad_page_number(app, session_factory) -> None:
    ann = make_user(session_factory, "ann", "agent")
    with transaction(session_factory) as s:
        s.add_all([BackgroundJob(kind="export_tickets", label=f"Export {n}", requested_by_id=ann, params={})
                   for n in range(60)])
    client = _client(app, "ann")
    with session_factory() as s:  # newest first: the 50 newest on page 1, the 10 oldest on page 2
        ids = sorted(s.scalars(select(BackgroundJob.id)), reverse=True)
    html = client.get("/jobs/").get_data(as_text=True)
    assert "Page 1 of 2" in html and f'href="/jobs/{ids[0]}"' in html and f'href="/jobs/{ids[50]}"' not in html
    second = client.get("/jobs/?page=2").get_data(as_text=True)
    assert f'href="/jobs/{ids[50]}"' in second and f'href="/jobs/{ids[0]}"' not in second
    odd = client.get("/jobs/?page=abc")
    assert odd.status_code == 200 and "Page 1 of 2" in odd.get_data(as_text=True)
    assert "had a value we cannot use" in odd.get_data(as_text=True)
    odd_query = client.get("/jobs/?_method=POST&_external=1")  # url_for's own arguments, never taken from a query
    assert odd_query.status_code == 200 and "Page 1 of 2" in odd_query.get_data(as_text=True)
    beyond = client.get("/jobs/?page=99").get_data(as_text=True)
    assert 'aria-current="page">2<' in beyond  # past the last page: the last one


def test_qa_search_results_have_page_numbers(app, session_factory) -> None:
    make_user(session_factory, "quinn", "qa")
    with transaction(session_factory) as s:
        for n in range(55):
            call = Call(pbx="lab", linkedid=f"q.{n}", started_at=NOW - dt.timedelta(minutes=n),
                        disposition=Disposition.ANSWERED, queue_name="support")
            s.add(call)
            s.flush()
            turns = [{"speaker": "caller", "start": 0.0, "end": 1.0,
                      "words": [{"w": "refund", "start": 0.0, "end": 0.5, "conf": 1.0},
                                {"w": f"n{n}", "start": 0.5, "end": 1.0, "conf": 1.0}]}]
            s.add(Transcript(call_id=call.id, status=TranscriptStatus.DONE, turns=turns, text=f"refund n{n}"))
    client = _client(app, "quinn")
    html = client.get("/qa/?q=refund").get_data(as_text=True)
    assert "55 calls found" in html and "Page 1 of 2" in html and html.count("<mark>refund</mark>") == 50
    second = client.get(_page_links(html)["2"]).get_data(as_text=True)
    assert second.count("<mark>refund</mark>") == 5 and "n54" in second and "n0 " not in second
