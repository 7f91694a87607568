"""``callcenter knowledge ...``: run the knowledge service, fit the calibrated score, cut the words again, import
and export articles."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..db import transaction
from ..i18n import Refusal
from ..knowledge import bulk, calibrating, reindexing
from ..models import ArticleStatus
from ..wiring import Container
from .actors import cli_actor
from .changes import said
from .services import serve


@click.group("knowledge", invoke_without_command=True)
@click.pass_context
def knowledge(ctx: click.Context) -> None:
    """The knowledge base: its service (alone, like every other service's command), calibration, word index,
    import and export."""
    if ctx.invoked_subcommand is None:
        serve(ctx.obj, ("knowledge",))


@knowledge.command("run")
@click.pass_obj
def run(container: Container) -> None:
    """Run only the knowledge service: auto-reply, the customers' answers and expiries, new tickets' suggestions
    (many processes, one PostgreSQL); the same as ``callcenter knowledge``."""
    serve(container, ("knowledge",))


@knowledge.command("calibrate")
@click.pass_obj
def calibrate(container: Container) -> None:
    """Fit the calibrated score now and print its precision and coverage at each threshold."""
    try:
        with transaction(container.session_factory) as session:
            row = calibrating.calibrate_now(session, cli_actor())
            sources = ", ".join(f"{k} {v}" for k, v in sorted(row.sources.items()))
            table = [list(r) for r in row.table]
            pairs, right = row.positives + row.negatives, row.positives
    except Refusal as exc:
        raise click.ClickException(said(exc)) from None
    click.echo(f"calibrated on {pairs} labelled pairs ({right} right; {sources})")
    click.echo("threshold\tprecision\tcoverage")
    for threshold, precision, coverage in table:
        click.echo(f"{threshold:.2f}\t{precision:.3f}\t{coverage:.3f}")


@knowledge.command("reindex")
@click.option("--batch", type=click.IntRange(1, 10_000), default=None,
              help="Rows per transaction (default: [background] batch_size).")
@click.pass_obj
def reindex(container: Container, batch: int | None) -> None:
    """Cut every article's, ticket's and transcript's words again (after the dictionary changed)."""
    factory = container.session_factory
    with factory() as session:
        total = sum(reindexing.counts(session))
    with click.progressbar(length=total, label="cutting words", file=sys.stderr) as bar:
        done = reindexing.everything(factory, batch or container.settings.background.batch_size, bar.update)
    click.echo(f"{done.articles} articles ({done.versions_changed} versions changed), "
               f"{done.tickets} tickets ({done.tickets_changed} changed), "
               f"{done.transcripts} transcripts ({done.transcripts_changed} changed)")


@knowledge.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="Store the articles (default: only check them).")
@click.pass_obj
def import_articles(container: Container, file: Path, apply_: bool) -> None:
    """Articles from FILE.json or FILE.csv: checked one by one, stored with --apply (none while any fails).

    \b
    JSON: {"categories": [{"key", "name_en", "name_zh", "threshold", "auto_reply"}],
           "articles": [{"code", "category", "product", "tags": [...], "status",
                         "en": {"title", "body", "short", "questions": [...]}, "zh": {...}}]}
    (a bare list is a list of articles).
    CSV, one article a line, with a header of these columns in any order:
      code, category, product, tags, status, title_en, body_en, short_en, questions_en,
      title_zh, body_zh, short_zh, questions_zh
    tags separated by spaces or commas; questions by line breaks in the cell (or "|").
    status is draft (the default), published or archived; a published article needs a short
    answer in each of its languages.  An article whose code exists is updated, so a file made
    by `callcenter knowledge export` can be edited and imported again.
    """
    try:
        parsed = bulk.parse(file.read_bytes(), file.name)
    except Refusal as exc:
        raise click.ClickException(said(exc)) from None
    factory = container.session_factory
    with factory() as session:
        with click.progressbar(length=len(parsed.items), label="checking" if not apply_ else "importing",
                               file=sys.stderr) as bar:
            outcomes = bulk.apply(session, container.articles, cli_actor(), parsed, bar.update)
        failed = [o for o in outcomes if o.action == "error"]
        for o in outcomes:
            click.echo(f"{o.where}\t{o.code or '-'}\t{o.action}" + (f"\t{o.error}" if o.error else ""))
        counts = {a: sum(o.action == a for o in outcomes) for a in ("created", "updated", "unchanged", "error")}
        click.echo(", ".join(f"{n} {a}" for a, n in counts.items()))
        if failed or not apply_:
            session.rollback()
        else:
            session.commit()
    if failed:
        raise click.ClickException(f"{len(failed)} article(s) have errors: nothing was imported.")
    if not apply_:
        click.echo("checked: nothing was stored; add --apply to import")
        return
    click.echo("imported")


@knowledge.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default="-")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default=None,
              help="json or csv (default: by the file's name; json on standard output).")
@click.option("--status", "statuses", type=click.Choice([s.value for s in ArticleStatus]), multiple=True,
              help="Only articles of this status (repeat for several; default: all).")
@click.pass_obj
def export_articles(container: Container, file: Path, fmt: str | None, statuses: tuple[str, ...]) -> None:
    """Every article (and, in JSON, every category) to FILE, in the format `knowledge import` reads."""
    chosen = [ArticleStatus(s) for s in statuses] or list(ArticleStatus)
    with container.read_session_factory() as session:
        doc = bulk.dump(session, chosen)
    fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "json")
    text = bulk.to_csv(doc) if fmt == "csv" else bulk.to_json(doc)
    if str(file) == "-":
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(f"{len(doc['articles'])} articles written to {file}", err=True)


COMMANDS = (knowledge,)
