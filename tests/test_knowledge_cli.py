"""``callcenter knowledge`` on SQLite and PostgreSQL: import (JSON, CSV, checked before stored), export and
import again, calibrate (the table), and reindex after the dictionary learnt a word."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.access.audit import Actor
from callcenter.cli import main
from callcenter.db import make_engine, make_session_factory
from callcenter.knowledge.articles import Articles, VersionText
from callcenter.knowledge.notifier import KnowledgeNotifier
from callcenter.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    AuditLog,
    Calibration,
    Call,
    DictionaryWord,
    KnowledgeCategory,
    KnowledgeState,
    Ticket,
    Transcript,
    TranscriptStatus,
    utcnow,
)
from callcenter.text import words
from callcenter.text.search import ticket_matches
from tests import kbdata
from tests.support import services

ARTICLES = Articles(KnowledgeNotifier(None))  # no bus: the command's database is all these tests read


def _ok(cli: CliRunner, *args: str) -> str:
    out = cli.invoke(main, list(args))
    assert out.exit_code == 0, (args, out.output)
    return out.output


def _refused(cli: CliRunner, *args: str) -> str:
    out = cli.invoke(main, list(args))
    assert out.exit_code != 0, (args, out.output)
    return out.output


@pytest.fixture
def db(db_url: str, cli: CliRunner) -> Iterator[sessionmaker[Session]]:
    """A session factory on the command's database (migrated by the ``cli`` fixture)."""
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def _count(db: sessionmaker[Session], model: type) -> int:
    with db() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_import_checks_first_then_stores_and_export_round_trips(cli: CliRunner, db, tmp_path: Path) -> None:
    source = tmp_path / "kb.json"
    source.write_text(json.dumps(kbdata.document(), ensure_ascii=False), encoding="utf-8")
    checked = _ok(cli, "knowledge", "import", str(source))
    assert "8 created, 0 updated, 0 unchanged, 0 error" in checked and "nothing was stored" in checked
    assert _count(db, Article) == 0 and _count(db, KnowledgeCategory) == 0
    assert "imported" in _ok(cli, "knowledge", "import", str(source), "--apply")
    assert _count(db, Article) == 8 and _count(db, KnowledgeCategory) == 3
    with db() as s:
        first = s.scalars(select(Article).order_by(Article.id)).first()
        assert first is not None and first.status is ArticleStatus.PUBLISHED and first.category is not None
        assert first.category.key == "billing" and first.tags == ["refund"]
        assert len([v for v in first.variants if v.locale == "zh"]) == 3
        assert "退款" in first.version("zh").search_words.split()
        imported = s.scalars(select(AuditLog).where(AuditLog.action == "knowledge_imported")).one()
        assert imported.actor_name.startswith("cli:") and imported.detail["counts"]["created"] == 8
    # Exported, edited and imported again: one article updated (a new revision), the rest unchanged.
    out = tmp_path / "out.json"
    _ok(cli, "knowledge", "export", str(out))
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [c["key"] for c in doc["categories"]] == ["billing", "delivery", "network"]
    assert [a["code"] for a in doc["articles"]] == [str(1001 + n) for n in range(8)]
    doc["articles"][1]["en"]["title"] = "Download an invoice as PDF"
    doc["articles"][1]["zh"]["questions"].append("电子发票怎么下载")
    out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    again = _ok(cli, "knowledge", "import", str(out), "--apply")
    assert "0 created, 1 updated, 7 unchanged, 0 error" in again
    with db() as s:
        invoice = s.scalars(select(Article).where(Article.code == "1002")).one()
        assert invoice.version("en").title == "Download an invoice as PDF"
        assert "电子发票怎么下载" in {v.text for v in invoice.variants}
        assert s.scalar(select(func.count()).select_from(Article)) == 8
    # CSV: the same articles, one a line, questions one a line inside their cell.
    text = _ok(cli, "knowledge", "export", "--format", "csv", "--status", "published")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 8 and table[0]["code"] == "1001" and table[0]["questions_zh"].count("\n") == 2
    assert "8 unchanged" in _ok(cli, "knowledge", "import", str(_write(tmp_path / "kb.csv", text)))


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_a_csv_from_a_chinese_office_and_refusals(cli: CliRunner, db, tmp_path: Path) -> None:
    with db() as s, s.begin():
        kbdata.load(s, ARTICLES)
    rows = [["code", "category", "product", "tags", "status", "title_zh", "short_zh", "questions_zh"],
            ["", "network", "宽带", "光猫 wifi", "draft", "光猫亮红灯", "请重启光猫。", "光猫红灯一直亮|光猫坏了"]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    made = _ok(cli, "knowledge", "import", str(_write(tmp_path / "gbk.csv", out.getvalue(), "gb18030")), "--apply")
    assert "1 created" in made
    with db() as s:
        article = s.scalars(select(Article).where(Article.code == "1009")).one()
        assert article.status is ArticleStatus.DRAFT and article.tags == ["光猫", "wifi"]
        assert [v.text for v in article.variants] == ["光猫红灯一直亮", "光猫坏了"]
    # A new article without a code never takes the code the file gives another one.
    both = io.StringIO()
    csv.writer(both).writerows([["code", "title_en"], ["", "Without a code"], ["1010", "With its code"]])
    assert "2 created" in _ok(cli, "knowledge", "import", str(_write(tmp_path / "both.csv", both.getvalue())),
                              "--apply")
    with db() as s:
        titles = {a.code: a.versions[0].title for a in s.scalars(select(Article).where(Article.code >= "1010"))}
    assert titles == {"1010": "With its code", "1011": "Without a code"}
    # One bad line among good ones: every error is listed and nothing is stored.
    bad = io.StringIO()
    csv.writer(bad).writerows([["code", "status", "title_en", "short_en"],
                               ["", "published", "Fine", "A fine short answer."],
                               ["", "published", "No short answer", ""],
                               ["12a", "draft", "Bad code", ""]])
    refused = _refused(cli, "knowledge", "import", str(_write(tmp_path / "bad.csv", bad.getvalue())), "--apply")
    assert "line 3" in refused and "short_en: A published article needs a short answer" in refused
    assert "line 4" in refused and "1-20 digits" in refused and "nothing was imported" in refused
    assert _count(db, Article) == 11
    assert "Unknown columns: colour" in _refused(cli, "knowledge", "import",
                                                  str(_write(tmp_path / "cols.csv", "title_en,colour\nA,red\n")))
    assert "Not valid JSON" in _refused(cli, "knowledge", "import", str(_write(tmp_path / "x.json", "{nope")))


def test_calibrate_prints_precision_and_coverage_or_why_not(cli: CliRunner, db) -> None:
    refused = _refused(cli, "knowledge", "calibrate")
    assert "Calibration needs both right and wrong answers" in refused
    with db() as s, s.begin():
        kbdata.load(s, ARTICLES)
    printed = _ok(cli, "knowledge", "calibrate")
    lines = printed.splitlines()
    assert lines[0].startswith("calibrated on ") and "seed" in lines[0]
    assert lines[1] == "threshold\tprecision\tcoverage" and len(lines) == 2 + 19
    assert lines[2].startswith("0.05\t") and lines[-1].startswith("0.95\t")
    with db() as s:
        row = s.scalars(select(Calibration)).one()
        assert lines[-5] == f"0.75\t{row.table[14][1]:.3f}\t{row.table[14][2]:.3f}"


@pytest.fixture
def forget_words() -> Iterator[None]:
    """The test teaches this process's segmenter a word; other tests must not know it."""
    yield
    words.teach([])


def test_reindex_cuts_articles_and_tickets_again_after_the_dictionary_learnt_a_word(
        cli: CliRunner, db, forget_words: None) -> None:
    with db() as s, s.begin():
        kbdata.load(s, ARTICLES)
        ticket = services.tickets().create(s, Actor.system("test"), subject="小翼管家登录不了", description="")
        s.flush()
        ticket_id, stamp = ticket.id, ticket.updated_at
        article = ARTICLES.create(s, Actor.system("test"), versions={"zh": VersionText("小翼管家登录", "", "")})
        article_id = article.id
        call = Call(pbx="lab", linkedid="1700000000.77", caller_number="+8613800138000", started_at=utcnow())
        s.add(call)
        s.flush()
        said = Transcript(call_id=call.id, status=TranscriptStatus.DONE, language="zh", text="",
                          turns=[{"speaker": "caller", "start": 0, "end": 2, "text": "小 翼 管 家 登 录 不 了"}])
        s.add(said)
        s.flush()
        transcript_id = said.id
        assert "小翼管家" not in said.caller_words.split() and "登录" in said.caller_words.split()
    with db() as s:
        clause = ticket_matches("小翼管家")
        assert clause is not None and s.scalars(select(Ticket.id).where(clause)).all() == [ticket_id]
    with db() as s, s.begin():
        s.add(DictionaryWord(word="小翼管家"))
        version_before = s.get(KnowledgeState, 1).articles
    printed = _ok(cli, "knowledge", "reindex", "--batch", "3")
    assert "9 articles (1 versions changed), 1 tickets (1 changed), 1 transcripts (1 changed)" in printed
    with db() as s:
        stored = s.get(Ticket, ticket_id)
        assert stored is not None and "小翼管家" in stored.search_words.split()
        assert stored.updated_at == stamp  # nobody changed the ticket
        heard = s.get(Transcript, transcript_id)
        assert heard is not None and "小翼管家" in heard.caller_words.split()
        again = ticket_matches("小翼管家")  # the query is cut with the new word too
        assert again is not None and s.scalars(select(Ticket.id).where(again)).all() == [ticket_id]
        version = s.scalars(select(Article).where(Article.id == article_id)).one().version("zh")
        assert version is not None and "小翼管家" in version.search_words.split()
        assert s.get(KnowledgeState, 1).articles > version_before
        assert s.scalar(select(func.count()).select_from(ArticleRevision).where(
            ArticleRevision.article_id == article_id)) == 1  # words, not a new revision
    assert "0 versions changed" in _ok(cli, "knowledge", "reindex")

