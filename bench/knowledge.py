"""Knowledge base benchmark: suggestions over 50,000 articles and ticket search over a million tickets.

Articles (English and Chinese versions, two or three customers' questions
per version, real call-centre words: ``bench/corpus``) and tickets are
stored in a real SQLite database through the migrations.  Each figure has a
bare baseline measured in the same run, on the same words:

1. Suggestion latency, one core: ``Suggester.suggest`` (cutting the words,
   ranking, the calibrated probability, loading the top rows) over
   paraphrases, two-character words, traditional characters, speech and long
   call transcripts (whose words the transcriber cut once when it stored
   them: the desk reads ``Transcript.caller_words``), beside
   ``bm25s.BM25().retrieve(k=3)`` on the same words cut in advance.  Also ours without the row load, the cut alone, the
   ranking alone.  Goals: p99 < 50 ms and <= 1.5x the bare library's p99.
2. Index build (``build(published(session))`` vs ``BM25().index``) and its
   memory (RSS growth and tracemalloc peak, each in a fresh process).
3. Ticket search: ``search.ticket_matches`` (FTS5), newest 50, one and two
   words, beside ``LIKE '%word%'`` on the description; the same on
   PostgreSQL (to_tsvector) with 200,000 tickets when it is there.

    .venv/bin/python bench/knowledge.py [--quick]
"""
from __future__ import annotations

import os

for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")  # one core: set before numpy is imported

import argparse
import gc
import json
import multiprocessing
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bm25s
from rich.console import Console
from rich.table import Table
from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.corpus import knowledge as corpus
from bench.corpus import words as vocabulary
from bench.scratch_pg import scratch_database
from callcenter import migrations
from callcenter.config import Settings
from callcenter.db import make_engine, make_read_session_factory
from callcenter.knowledge import calibration
from callcenter.knowledge.index import K1, B, build, published, rank
from callcenter.knowledge.suggest import MAX_QUERY, Said, capped
from callcenter.models import Ticket
from callcenter.text import search, words
from callcenter.wiring import Container

PG_ADMIN = os.environ.get("CALLCENTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
GOAL_P99_MS, GOAL_RATIO = 50.0, 1.5
# What speech recognition wrote reaches the desk from a stored transcript, cut once by the transcriber
# (``Transcript.caller_words``); the rest is text the desk cuts when asked.
HEARD = ("speech", "transcript")
LATENCY = ("ours", "ours_nodb", "segment", "rank", "bare")
SEARCH_KEYS = tuple(f"{kind}_{size}_{figure}" for size in ("1word", "2word") for kind, figure in (
    ("fts", "p50_ms"), ("fts", "p99_ms"), ("like", "p50_ms"), ("like", "p99_ms"), ("fts", "rows")))
# Every figure of the JSON line (PostgreSQL's are null when it is not there; calibrate_s when not fitted).
KEYS = ("articles", "tickets", "queries", "store_articles_s", "store_tickets_s", "words_checked", "calibrate_s",
        "ours_build_s", "ours_build_only_s", "bare_build_s", "build_ratio", "ours_rss_mb", "ours_peak_mb",
        "ours_kept_mb", "bare_rss_mb", "bare_peak_mb", "bare_kept_mb", "memory_ratio",
        *(f"{n}_{p}_ms" for n in LATENCY for p in ("p50", "p99")),
        *(f"{n}_cpu_{p}_ms" for n in LATENCY for p in ("p50", "p99")), "ratio_p50", "ratio_p99",
        "cpu_ratio_p99", "nodb_ratio_p99", "rank_ratio_p99", "shown_per_query", "by_kind",
        *SEARCH_KEYS, "pg_tickets", *(f"pg_{key}" for key in SEARCH_KEYS),
        "goal_p99_ms", "goal_ratio", "goal_p99_met", "goal_ratio_met", "goal_p99_met_cpu", "goal_ratio_met_cpu")


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def ms(values: Sequence[float], q: float) -> float:
    return round(pct(values, q) * 1000, 3)


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bare_index(corpus_tokens: list[list[str]]) -> bm25s.BM25:
    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    retriever.index(corpus_tokens, show_progress=False)
    return retriever


# -- 2. build time and memory ---------------------------------------------------------------------------
def build_times(container: Container) -> tuple[dict[str, float], bm25s.BM25]:
    """Ours as a process builds it on first use (``KnowledgeIndex.current``: ``build(published(session))``)."""
    started = time.perf_counter()
    built = container.knowledge_index.current()
    ours = time.perf_counter() - started
    with container.read_session_factory() as session:
        tokens = [stored.split() for _, stored in published(session)]
    started = time.perf_counter()
    bare = bare_index(tokens)
    return {"ours_build_s": round(ours, 3), "ours_build_only_s": round(built.seconds, 3),
            "bare_build_s": round(time.perf_counter() - started, 3)}, bare


def _measured(kind: str, url: str, trace: bool, out: Connection) -> None:
    """In a fresh (forked) process: what one index costs, from reading the same stored words to the index."""
    factory = make_read_session_factory(make_engine(url))
    gc.collect()
    before = rss()
    if trace:
        tracemalloc.start()
    with factory() as session:
        if kind == "ours":
            kept: object = build(published(session))
        else:
            kept = bare_index([stored.split() for _, stored in published(session)])
    gc.collect()
    kept_bytes, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
    tracemalloc.stop()
    out.send((rss() - before, peak, kept_bytes if kept is not None else 0))


def memory(url: str) -> dict[str, float]:
    found: dict[str, float] = {}
    context = multiprocessing.get_context("fork")
    for kind in ("ours", "bare"):
        for trace in (False, True):
            mine, theirs = context.Pipe()
            child = context.Process(target=_measured, args=(kind, url, trace, theirs))
            child.start()
            grown, peak, kept = mine.recv()
            child.join()
            if trace:
                found |= {f"{kind}_peak_mb": round(peak / 2**20, 1), f"{kind}_kept_mb": round(kept / 2**20, 1)}
            else:
                found[f"{kind}_rss_mb"] = round(grown / 2**20, 1)
    return found


# -- 1. suggestion latency ------------------------------------------------------------------------------
def said(q: corpus.Query) -> Said:
    """The question as the desk asks it: typed or written text, or a transcript's words stored when it was."""
    return Said("", capped(words.terms(q.text))) if q.kind in HEARD else Said(q.text)


def latency(container: Container, queries: Sequence[corpus.Query], bare: bm25s.BM25) -> dict[str, Any]:
    """Every variant on each query in turn, starting with another each time (the machine's noise and any
    warm cache fall on all alike); wall and CPU seconds per call (CPU time leaves out the other processes
    of a busy machine, which take turns on our core)."""
    suggester, factory = container.suggester, container.read_session_factory
    built = container.knowledge_index.current()
    asked = [said(q) for q in queries]
    cut = [words.terms(a.text[:MAX_QUERY]) + list(a.cut) for a in asked]
    times: dict[str, list[float]] = {name: [] for name in LATENCY}
    cpu: dict[str, list[float]] = {name: [] for name in LATENCY}
    shown = 0
    by_text = {id(q): a for q, a in zip(queries, asked, strict=True)}

    def ours(q: corpus.Query, _: list[str]) -> None:
        nonlocal shown
        a = by_text[id(q)]
        with factory() as session:
            shown += len(suggester.suggest(session, a.text, category=q.category, cut=a.cut))

    def ours_nodb(q: corpus.Query, _: list[str]) -> None:
        a = by_text[id(q)]
        with factory() as session:
            model = suggester.model(session)
        for found in suggester.ranked(a.text, k=3, category=q.category, cut=a.cut):
            model.probability(found.features)

    variants: dict[str, Callable[[corpus.Query, list[str]], object]] = {
        "ours": ours, "ours_nodb": ours_nodb, "segment": lambda q, _: words.terms(q.text[:MAX_QUERY]),
        "rank": lambda q, cut: rank(built, cut, k=3, category=q.category),
        "bare": lambda _, cut: bare.retrieve([cut], k=3, show_progress=False, n_threads=0)}
    for q, words_of in zip(queries[:30], cut, strict=False):  # warm-up
        for call in variants.values():
            call(q, words_of)
    shown = 0
    order = list(variants.items())
    for number, (q, words_of) in enumerate(zip(queries, cut, strict=True)):
        for name, call in order[number % len(order):] + order[:number % len(order)]:
            started, used = time.perf_counter(), time.thread_time()
            call(q, words_of)
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.thread_time() - used)
    by_kind: dict[str, dict[str, float]] = {}
    for kind in sorted({q.kind for q in queries}):
        picked = [i for i, q in enumerate(queries) if q.kind == kind]
        by_kind[kind] = {"n": len(picked), **{f"{name}_{p}": ms([times[name][i] for i in picked], q / 100)
                                              for name in ("ours", "bare") for p, q in (("p50", 50), ("p99", 99))}}
    result: dict[str, Any] = {f"{name}_{p}_ms": ms(times[name], q / 100) for name in LATENCY
                              for p, q in (("p50", 50), ("p99", 99))}
    result |= {f"{name}_cpu_{p}_ms": ms(cpu[name], q / 100) for name in LATENCY for p, q in (("p50", 50), ("p99", 99))}
    result["shown_per_query"] = round(shown / len(queries), 2)
    result["by_kind"] = by_kind
    return result


# -- 3. ticket search -----------------------------------------------------------------------------------
def search_queries(count: int, seed: int = 53) -> dict[str, list[str]]:
    rng = random.Random(seed)
    zh = [z for _, z in vocabulary.PRODUCTS] + [z for _, _, z in vocabulary.ISSUES]
    en = sorted({x.lower() for e, _ in vocabulary.PRODUCTS for x in e.split() if len(x) > 3}
                | {x.lower() for _, e, _ in vocabulary.ISSUES for x in e.split() if len(x) > 3})
    one = [rng.choice(zh if rng.random() < 0.6 else en) for _ in range(count)]
    two = []
    for _ in range(count):
        if rng.random() < 0.6:
            two.append(f"{rng.choice(vocabulary.PRODUCTS)[1]} {rng.choice(vocabulary.ISSUES)[2]}")
        else:
            two.append(f"{rng.choice(en)} {rng.choice(en)}")
    return {"1word": one, "2word": two}


def ticket_search(factory: sessionmaker[Session], asked: dict[str, list[str]], like_count: int) -> dict[str, float]:
    """Newest 50 holding every word: ours (the words' index) and a bare LIKE scan of the descriptions."""
    found: dict[str, float] = {}
    with factory() as session:
        for size, qs in asked.items():
            ours, bare, rows = [], [], 0
            for q in qs:
                started = time.perf_counter()
                clause = search.ticket_matches(q)
                if clause is not None:
                    rows += len(session.execute(select(Ticket.id).where(clause).order_by(Ticket.id.desc())
                                                .limit(50)).all())
                ours.append(time.perf_counter() - started)
            for q in qs[:like_count]:
                started = time.perf_counter()
                session.execute(select(Ticket.id).where(and_(*[Ticket.description.like(f"%{w}%") for w in q.split()]))
                                .order_by(Ticket.id.desc()).limit(50)).all()
                bare.append(time.perf_counter() - started)
            found |= {f"fts_{size}_p50_ms": ms(ours, 0.5), f"fts_{size}_p99_ms": ms(ours, 0.99),
                      f"like_{size}_p50_ms": ms(bare, 0.5), f"like_{size}_p99_ms": ms(bare, 0.99),
                      f"fts_{size}_rows": round(rows / len(qs), 1)}
    return found


def postgres(count: int, cut: corpus.Cutter, asked: dict[str, list[str]], like_count: int) -> dict[str, float] | None:
    with scratch_database() as url:
        if url is None:
            return None
        engine = make_engine(url)
        migrations.upgrade(engine)
        corpus.store_tickets(engine, count, cut)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE tickets"))
        found = ticket_search(make_read_session_factory(engine), {size: qs[:100] for size, qs in asked.items()},
                              like_count)
        engine.dispose()
        return found


# -- the run ----------------------------------------------------------------------------------------------
def run(articles: int, tickets: int, queries: int, pg_tickets: int, search_count: int, like_count: int,
        workdir: Path, fit: bool = True) -> dict[str, Any]:
    """Every figure of ``KEYS``; ``fit`` runs the calibration first (else its prior: the same cost per question)."""
    url = f"sqlite:///{workdir / 'knowledge.db'}"
    container = Container(Settings(instance_dir=workdir / "instance", database={"url": url}, lab={"enabled": False},
                                   web={"secret_key": "bench", "port": 0}))
    result: dict[str, Any] = {"articles": articles, "tickets": tickets}
    try:
        migrations.upgrade(container.engine)
        started = time.perf_counter()
        specs, cut = corpus.store_articles(container.engine, articles)
        result["store_articles_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        corpus.store_tickets(container.engine, tickets, cut)
        result["store_tickets_s"] = round(time.perf_counter() - started, 1)
        with container.session_factory() as session:
            result["words_checked"] = corpus.check(session)
        result["calibrate_s"] = None
        if fit:
            started = time.perf_counter()
            with container.session_factory.begin() as session:
                calibration.calibrate(session)
            result["calibrate_s"] = round(time.perf_counter() - started, 1)
        result |= memory(url)
        built, bare = build_times(container)
        result |= built
        asked = [q for q in corpus.queries(specs, queries * 11 // 10) if words.terms(q.text[:MAX_QUERY])][:queries]
        result["queries"] = len(asked)
        result |= latency(container, asked, bare)
        wanted = search_queries(search_count)
        result |= ticket_search(container.read_session_factory, wanted, like_count)
    finally:
        container.close()
    pg = postgres(pg_tickets, cut, wanted, like_count) if pg_tickets else None
    result["pg_tickets"] = pg_tickets if pg else 0
    result |= {f"pg_{key}": (pg or {}).get(key) for key in SEARCH_KEYS}
    result["ratio_p99"] = round(result["ours_p99_ms"] / result["bare_p99_ms"], 3)
    result["ratio_p50"] = round(result["ours_p50_ms"] / result["bare_p50_ms"], 3)
    result["cpu_ratio_p99"] = round(result["ours_cpu_p99_ms"] / result["bare_cpu_p99_ms"], 3)
    result["nodb_ratio_p99"] = round(result["ours_nodb_p99_ms"] / result["bare_p99_ms"], 3)
    result["rank_ratio_p99"] = round(result["rank_p99_ms"] / result["bare_p99_ms"], 3)
    result["build_ratio"] = round(result["ours_build_s"] / result["bare_build_s"], 3)
    result["memory_ratio"] = round(result["ours_rss_mb"] / max(result["bare_rss_mb"], 0.1), 3)
    result |= {"goal_p99_ms": GOAL_P99_MS, "goal_ratio": GOAL_RATIO,
               "goal_p99_met": result["ours_p99_ms"] < GOAL_P99_MS, "goal_ratio_met": result["ratio_p99"] <= GOAL_RATIO,
               "goal_p99_met_cpu": result["ours_cpu_p99_ms"] < GOAL_P99_MS,
               "goal_ratio_met_cpu": result["cpu_ratio_p99"] <= GOAL_RATIO}
    return result


def report(r: dict[str, Any], console: Console) -> None:
    t = Table(title=f"Suggestions: {r['articles']:,} articles (en + zh), {r['queries']:,} questions, one core")
    for col in ("variant", "p50 (ms)", "p99 (ms)", "p99 vs bare", "CPU p50", "CPU p99", "CPU p99 vs bare"):
        t.add_column(col)
    names = {"bare": "baseline: bm25s retrieve k=3 on the words cut in advance",
             "ours": "ours: Suggester.suggest (cut, rank, calibrated, top rows loaded)",
             "ours_nodb": "ours without loading the rows",
             "segment": "breakdown: cutting the words alone (speech: once, when stored)",
             "rank": "breakdown: our ranking alone on the words cut in advance"}
    for name in ("bare", "ours", "ours_nodb", "segment", "rank"):
        t.add_row(names[name], f"{r[f'{name}_p50_ms']:.2f}", f"{r[f'{name}_p99_ms']:.2f}",
                  f"{r[f'{name}_p99_ms'] / r['bare_p99_ms']:.2f}x", f"{r[f'{name}_cpu_p50_ms']:.2f}",
                  f"{r[f'{name}_cpu_p99_ms']:.2f}", f"{r[f'{name}_cpu_p99_ms'] / r['bare_cpu_p99_ms']:.2f}x")
    console.print(t)
    t = Table(title="Suggestions by kind of question")
    for col in ("kind", "questions", "ours p50", "ours p99", "bare p50", "bare p99"):
        t.add_column(col)
    for kind, row in r["by_kind"].items():
        t.add_row(kind, str(row["n"]), *(f"{row[k]:.2f}" for k in ("ours_p50", "ours_p99", "bare_p50", "bare_p99")))
    console.print(t)
    t = Table(title=f"Index of {r['articles'] * 2:,} versions: build and memory")
    for col in ("variant", "seconds", "RSS growth (MB)", "tracemalloc peak (MB)", "kept (MB)"):
        t.add_column(col)
    t.add_row("baseline: bm25s index (words split in advance; memory: read, split, index)",
              f"{r['bare_build_s']:.2f}", f"{r['bare_rss_mb']}", f"{r['bare_peak_mb']}", f"{r['bare_kept_mb']}")
    t.add_row("ours: build(published(session))", f"{r['ours_build_s']:.2f}", f"{r['ours_rss_mb']}",
              f"{r['ours_peak_mb']}", f"{r['ours_kept_mb']}")
    t.add_row("breakdown: build() alone, rows already read", f"{r['ours_build_only_s']:.2f}", "", "", "")
    console.print(t)
    t = Table(title="Ticket search: newest 50 holding every word")
    for col in ("engine", "tickets", "words", "ours p50", "ours p99", "LIKE p50", "LIKE p99", "rows found"):
        t.add_column(col)
    for prefix, engine, n in (("", "SQLite FTS5", r["tickets"]), ("pg_", "PostgreSQL", r["pg_tickets"])):
        for size in ("1word", "2word"):
            if r.get(f"{prefix}fts_{size}_p50_ms") is not None:
                t.add_row(engine, f"{n:,}", size[0], *(f"{r[f'{prefix}{k}_{size}_{p}_ms']:.1f}"
                                                      for k in ("fts", "like") for p in ("p50", "p99")),
                          f"{r[f'{prefix}fts_{size}_rows']}")
    console.print(t)
    console.print(f"Stored: articles {r['store_articles_s']} s, tickets {r['store_tickets_s']} s; words checked "
                  f"against the real functions: {r['words_checked']}; calibration {r['calibrate_s']} s")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="5,000 articles and 50,000 tickets")
    ap.add_argument("--articles", type=int)
    ap.add_argument("--tickets", type=int)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--pg-tickets", type=int)
    args = ap.parse_args(argv)
    articles = args.articles or (5_000 if args.quick else 50_000)
    tickets = args.tickets or (50_000 if args.quick else 1_000_000)
    pg_tickets = args.pg_tickets if args.pg_tickets is not None else (10_000 if args.quick else 200_000)
    if hasattr(os, "sched_setaffinity") and argv is None:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    with tempfile.TemporaryDirectory() as tmp:
        result = run(articles, tickets, args.queries, pg_tickets, search_count=100 if args.quick else 200,
                     like_count=20, workdir=Path(tmp), fit=not args.quick)
    report(result, Console(width=120))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
