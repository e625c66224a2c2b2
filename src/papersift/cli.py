"""The ``papersift`` command: parses options, calls the engine, renders the result."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
import orjson

from papersift.cli_adapt import adapt
from papersift.cli_errors import handle_errors
from papersift.engine import Engine, SearchResult
from papersift.errors import InvalidInputError, PapersiftError
from papersift.filters import Filters
from papersift.links import find_links
from papersift.reports import SemanticStatus, WriteReport, format_duration
from papersift.search_request import SEARCH_SORTS, SearchRequest
from papersift.settings import Settings, load_settings
from papersift.store.transfer import DEFAULT_BATCH_SIZE, copy_store

MODES_HELP = (
    "keyword (or bm25), semantic (or dense), hybrid, dsi, hybrid-dsi, or auto: hybrid once "
    "semantic search is ready, keyword before. papersift stats lists the modes ready now."
)


@contextmanager
def _engine(ctx: click.Context) -> Iterator[Engine]:
    settings: Settings = ctx.obj["settings"]
    engine = Engine(settings)
    try:
        yield engine
    finally:
        engine.close()


def _progress() -> bool:
    return sys.stderr.isatty()


@click.group()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory (default: $PAPERSIFT_DATA_DIR or ~/.local/share/papersift).",
)
@click.version_option(package_name="papersift")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """papersift: ingest research papers, search them, follow them."""
    _show_own_log_lines()
    try:
        ctx.obj = {"settings": load_settings(data_dir=data_dir)}
    except PapersiftError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Abort on the first malformed record; write nothing.")
@click.option("--namespace", help="Id prefix for non-arXiv records (default: the folder name).")
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
@click.pass_context
@handle_errors
def ingest(
    ctx: click.Context, paths: tuple[Path, ...], strict: bool, namespace: str | None, no_index: bool
) -> None:
    """Read papers from files or folders (JSONL[.gz], Kaggle arXiv, OAI-PMH, Atom, .abs, BEIR)."""
    with _engine(ctx) as engine:
        report = engine.ingest(
            list(paths),
            strict=strict,
            namespace=namespace,
            update_index=not no_index,
            progress=_progress(),
        )
    _print_problems(report)
    click.echo(report.summary())


def _print_problems(report: WriteReport) -> None:
    for problem in report.problems:
        click.echo(f"skipped {problem}", err=True)
    if report.malformed > len(report.problems):
        click.echo(f"... and {report.malformed - len(report.problems):,} more", err=True)


@main.command()
@click.option("--set", "set_spec", help="OAI set, e.g. cs or physics:hep-th.")
@click.option("--from", "from_date", type=click.DateTime(["%Y-%m-%d"]), help="First datestamp.")
@click.option("--until", "until_date", type=click.DateTime(["%Y-%m-%d"]), help="Last datestamp.")
@click.option(
    "--format",
    "metadata_prefix",
    type=click.Choice(["arXiv", "arXivRaw"]),
    default="arXiv",
    show_default=True,
)
@click.option("--restart", is_flag=True, help="Ignore a checkpoint and start from the first page.")
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
@click.pass_context
@handle_errors
def harvest(
    ctx: click.Context,
    set_spec: str | None,
    from_date: Any,
    until_date: Any,
    metadata_prefix: str,
    restart: bool,
    no_index: bool,
) -> None:
    """Harvest arXiv metadata over OAI-PMH; an interrupted harvest resumes where it stopped."""
    with _engine(ctx) as engine:
        report = engine.harvest(
            set_spec=set_spec,
            from_date=from_date.date() if from_date else None,
            until_date=until_date.date() if until_date else None,
            metadata_prefix=metadata_prefix,
            restart=restart,
            update_index=not no_index,
            progress=_progress(),
        )
    _print_problems(report)
    click.echo(report.summary())


@main.command()
@click.option("--rebuild", is_flag=True, help="Rebuild from scratch instead of catching up.")
@click.option("--no-semantic", is_flag=True, help="Only the keyword index; no embeddings.")
@click.pass_context
@handle_errors
def index(ctx: click.Context, rebuild: bool, no_semantic: bool) -> None:
    """Bring the search indexes up to date with the store (embedding new papers)."""
    with _engine(ctx) as engine:
        report = engine.index(rebuild=rebuild, semantic=not no_semantic, progress=_progress())
        click.echo(report.summary())
        if not no_semantic and not engine.semantic_enabled:
            click.echo("semantic search is off: pip install 'papersift[semantic]'", err=True)


@main.command()
@click.option("--watch", is_flag=True, help="Keep embedding new papers as they arrive.")
@click.option(
    "--poll",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="With --watch: seconds between looks for new papers.",
)
@click.pass_context
@handle_errors
def embed(ctx: click.Context, watch: bool, poll: float) -> None:
    """Embed new papers for semantic search, newest first, publishing as it goes.

    One embedding run at a time per deployment; papersift serve runs `embed --watch` in the
    background unless PAPERSIFT_EMBED_IN_BACKGROUND is false.
    """
    from papersift.store.locks import LockBusy

    with _engine(ctx) as engine:
        if not engine.semantic_enabled:
            raise click.ClickException(
                "semantic search is off: pip install 'papersift[semantic]' and leave "
                "PAPERSIFT_EMBEDDER_BACKEND at auto (or name a backend)"
            )
        engine.embedding_listeners.append(_ProgressLine(engine))
        try:
            if watch:
                engine.embed_in_background(threading.Event(), poll_seconds=poll)
            else:
                click.echo(engine.index_vectors(progress=_progress()).summary())
        except LockBusy:
            click.echo("another papersift process is embedding for this deployment", err=True)
            sys.exit(EXIT_TEMPORARY)
        except KeyboardInterrupt:
            click.echo("embedding stopped; what was published stays searchable", err=True)


def _show_own_log_lines() -> None:
    """papersift's own log lines (e.g. "exporting the embedding model once") on stderr; other
    libraries' warnings are for a debugging session, not for users."""
    import logging
    import warnings

    own = logging.getLogger("papersift")
    if any(getattr(handler, "papersift_cli", False) for handler in own.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("papersift: %(message)s"))
    handler.papersift_cli = True  # type: ignore[attr-defined]
    own.addHandler(handler)
    own.setLevel(logging.INFO)
    own.propagate = False
    logging.getLogger().setLevel(logging.ERROR)
    warnings.simplefilter("ignore")


class _ProgressLine:
    """Prints how far semantic search is, each time new vectors become searchable."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shown = -1

    def __call__(self) -> None:
        status = self.engine.semantic_status()
        if status.covered != self.shown:
            self.shown = status.covered
            click.echo(f"papersift: {status.sentence()}", err=True)


@main.group()
def dsi() -> None:
    """Differentiable Search Index: generative retrieval (search --mode dsi).

    Needs the dsi extra: pip install 'papersift[dsi]'.
    """


@dsi.command(name="train")
@click.option("--epochs", type=click.IntRange(1, 10_000), help="Default: PAPERSIFT_DSI_EPOCHS.")
@click.option("--max-docs", type=click.IntRange(1), help="Train on the newest N papers only.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every choice.")
@click.option("--restart", is_flag=True, help="Start over instead of resuming.")
@click.pass_context
@handle_errors
def dsi_train(
    ctx: click.Context, epochs: int | None, max_docs: int | None, seed: int, restart: bool
) -> None:
    """Train the DSI model over the embedded papers (resumes an interrupted run)."""
    with _engine(ctx) as engine:
        report = engine.train_dsi(
            epochs=epochs, max_docs=max_docs, seed=seed, restart=restart, progress=_progress()
        )
        click.echo(report.summary())


def _request(
    category: tuple[str, ...],
    since: Any,
    until: Any,
    author: str | None,
    has_code: bool,
    *,
    query: str = "",
    mode: str = "auto",
    sort: str = "relevance",
) -> SearchRequest:
    """The search the options describe, checked like the website's (a bad option is a usage
    error)."""
    try:
        return SearchRequest.checked(
            query,
            mode=mode,
            category=category,
            since=since.date() if since else None,
            until=until.date() if until else None,
            author=author,
            has_code=has_code,
            sort=sort,
        )
    except InvalidInputError as exc:
        raise click.UsageError(str(exc)) from None


HAS_CODE_HELP = "Only papers that link to a code repository (GitHub, GitLab, Bitbucket)."


@main.command()
@click.argument("query", required=False)
@click.option("-k", "--k", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--category", multiple=True, help="Only these categories (repeatable).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Listed on or after this date.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Listed on or before this date.")
@click.option("--author", help="Only papers by an author whose name contains these words.")
@click.option("--has-code", is_flag=True, help=HAS_CODE_HELP)
@click.option("--mode", default="auto", show_default=True, help=MODES_HELP)
@click.option(
    "--sort",
    type=click.Choice(SEARCH_SORTS),
    default="relevance",
    show_default=True,
    help="Order of the results: by date (newest first) or upvotes, the 200 most relevant.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_context
@handle_errors
def search(
    ctx: click.Context,
    query: str | None,
    k: int,
    category: tuple[str, ...],
    since: Any,
    until: Any,
    author: str | None,
    has_code: bool,
    mode: str,
    sort: str,
    as_json: bool,
) -> None:
    """Search the papers. Without QUERY, opens an interactive prompt."""
    filters = _request(category, since, until, author, has_code, mode=mode, sort=sort).filters
    with _engine(ctx) as engine:
        engine.embedder_spec()  # a setting that contradicts the vector index is an error here
        stale = engine.pending_index_updates()
        if stale:
            click.echo("note: the index is behind the store; run `papersift index`", err=True)
        choice = engine.choose_mode(mode)
        if choice.notice:
            click.echo(f"note: {choice.notice}", err=True)
        if query is not None:
            found = engine.search(query, k=k, filters=filters, mode=choice.mode, sort=sort)
            _note_unstored_id(engine, query)
            _print_results(found, as_json)
            return
        _interactive(engine, k, filters, choice.mode, sort)


def _interactive(
    engine: Engine, k: int, filters: Filters, mode: str, sort: str = "relevance"
) -> None:
    click.echo(f"{engine.paper_count():,} papers. Type a query; an empty line quits.")
    while True:
        try:
            query = click.prompt("search", default="", show_default=False)
        except (click.Abort, EOFError):
            return
        if not query.strip():
            return
        found = engine.search(query, k=k, filters=filters, mode=mode, sort=sort)
        _note_unstored_id(engine, query)
        _print_results(found, as_json=False)


def _note_unstored_id(engine: Engine, query: str) -> None:
    notice = engine.unstored_id_notice(query)
    if notice:
        click.echo(f"note: {notice}", err=True)


def _print_results(results: list[SearchResult], as_json: bool) -> None:
    if as_json:
        for rank, result in enumerate(results, 1):
            record = {"rank": rank, "score": round(result.score, 4), **result.paper.to_dict()}
            click.echo(orjson.dumps(record).decode())
        return
    if not results:
        click.echo("no papers match")
        return
    for rank, result in enumerate(results, 1):
        click.echo(_format_result(rank, result))


def _format_result(rank: int, result: SearchResult) -> str:
    paper = result.paper
    authors = ", ".join(paper.authors[:3]) + (" et al." if len(paper.authors) > 3 else "")
    when = paper.display_date.isoformat() if paper.display_date else "----------"
    categories = " ".join(paper.categories[:3])
    title = " ".join(paper.title.split())
    return (
        f"{rank:>3}. {paper.id:<18} {result.score:7.2f}  {when}  {categories}\n"
        f"     {click.style(title, bold=True)}\n"
        f"     {authors}"
    )


@main.command()
@click.argument("paper_ids", nargs=-1, required=True)
@click.option("-k", "--k", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--recent", is_flag=True, help="Sort the similar papers newest first.")
@click.option("--category", multiple=True, help="Only these categories (repeatable).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Listed on or after this date.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Listed on or before this date.")
@click.option("--has-code", is_flag=True, help=HAS_CODE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_context
@handle_errors
def similar(
    ctx: click.Context,
    paper_ids: tuple[str, ...],
    k: int,
    recent: bool,
    category: tuple[str, ...],
    since: Any,
    until: Any,
    has_code: bool,
    as_json: bool,
) -> None:
    """Papers similar to PAPER_ID (several ids: more like these)."""
    filters = _request(category, since, until, None, has_code).filters
    with _engine(ctx) as engine:
        engine.embedder_spec()  # a setting that contradicts the vector index is an error here
        results = engine.similar(
            list(paper_ids), k=k, filters=filters, sort="recent" if recent else "relevance"
        )
    _print_results(results, as_json)


@main.command()
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def show(ctx: click.Context, paper_id: str, as_json: bool) -> None:
    """Print one paper."""
    with _engine(ctx) as engine:
        paper = engine.paper(paper_id)
    links = find_links(paper.abstract, paper.comments)
    if as_json:
        data = {**paper.to_dict(), "links": [{"url": x.url, "kind": x.kind} for x in links]}
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(click.style(" ".join(paper.title.split()), bold=True))
    click.echo(", ".join(paper.authors))
    when = paper.display_date or "no date"
    click.echo(f"{paper.id} v{paper.version}  {' '.join(paper.categories)}  {when}")
    for link in links:
        click.echo(f"{link.kind + ':':9}{link.url}")
    click.echo()
    click.echo(paper.abstract)


def _semantic_lines(status: SemanticStatus) -> list[str]:
    if not status.enabled or status.problem:
        return [f"semantic:       {status.sentence()}"]
    lines = [
        f"embedder:       {status.embedder}",
        f"embedded:       {status.covered:,} of {status.papers:,} papers "
        f"({100 * status.coverage:.1f}%)",
    ]
    if status.running:
        rate = f"{status.rate:.1f} papers/s" if status.rate else "starting"
        eta = format_duration(status.eta_seconds) if status.eta_seconds is not None else "unknown"
        lines.append(f"embedding:      running, {rate}, about {eta} to go")
    elif not status.complete:
        lines.append("embedding:      not running (papersift serve or papersift embed does it)")
    return lines


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@handle_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts of what is stored and indexed."""
    with _engine(ctx) as engine:
        keyword_papers, problem = engine.keyword_index_state()
        diverged = engine.index_diverged()
        semantic = engine.semantic_status()
        if as_json:
            record = {
                "data_directory": str(engine.settings.data_dir),
                "papers": engine.paper_count(),
                "keyword_index": {"papers": keyword_papers, "problem": problem},
                "index_behind": engine.pending_index_updates(),
                "index_diverged": diverged,
                "semantic": semantic.to_dict(),
                "modes": engine.modes,
                "default_mode": engine.default_mode,
            }
            click.echo(orjson.dumps(record, option=orjson.OPT_INDENT_2).decode())
            return
        click.echo(f"data directory: {engine.settings.data_dir}")
        click.echo(f"papers:         {engine.paper_count():,}")
        keyword = problem or f"{keyword_papers:,} papers"
        click.echo(f"keyword index:  {keyword}")
        click.echo(f"index behind:   {engine.pending_index_updates():,} revisions")
        if diverged:
            click.echo(
                "index history:  the store went back in time (a restore, or writes lost at a "
                "crash): papersift index rebuilds the indexes to match it"
            )
        for line in _semantic_lines(semantic):
            click.echo(line)
        click.echo(f"search modes:   {', '.join(engine.modes)} (default {engine.default_mode})")
        trained = engine.dsi_trained_papers()
        if trained is not None:
            click.echo(
                f"DSI model:      {trained:,} papers; papers stored since it was trained are "
                "found by DSI only after papersift dsi train"
            )


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@handle_errors
def backup(ctx: click.Context, path: Path) -> None:
    """Write a consistent snapshot of the store to PATH (a new file), safe while serving.

    Holds papers, accounts, votes, collections, saved searches, embeddings and the digest log;
    the search indexes are rebuilt from it by `papersift restore`. SQLite stores only: for
    PostgreSQL, use pg_dump.
    """
    with _engine(ctx) as engine:
        size = engine.backup(path)
    click.echo(f"backed up the store to {path} ({size / 1e6:,.1f} MB)")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the store without asking.")
@click.pass_context
@handle_errors
def restore(ctx: click.Context, path: Path, yes: bool) -> None:
    """Replace the store with the backup at PATH, then rebuild the indexes from it.

    Everything stored since the backup is replaced by the backup's contents. Embeddings held in
    the backup are reused, so nothing is embedded again that the backup had.
    """
    if not yes:
        click.confirm(
            f"Replace this deployment's papers, accounts and collections with {path}?",
            abort=True,
        )
    with _engine(ctx) as engine:
        report = engine.restore(path, progress=_progress())
    click.echo(f"restored the store from {path}")
    click.echo(report.summary())


@main.command(name="migrate-store")
@click.option(
    "--from",
    "source",
    metavar="URL",
    help="The store to copy (default: this deployment's: $PAPERSIFT_DATABASE_URL or the data dir).",
)
@click.option(
    "--to", "target", metavar="URL", required=True, help="An empty database, or a copy to resume."
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rows per transaction.",
)
@click.pass_context
@handle_errors
def migrate_store(ctx: click.Context, source: str | None, target: str, batch_size: int) -> None:
    """Copy a whole store into another database (e.g. SQLite to PostgreSQL) and verify it.

    Stop every papersift process using the source first. An interrupted copy continues where it
    stopped when run again; a target holding another deployment is refused.
    """
    source = source or ctx.obj["settings"].store_url
    report = copy_store(source, target, batch_size=batch_size, progress=_progress())
    for line in report.lines():
        click.echo(line)
    click.echo(report.summary())


@main.command(name="eval")
@click.argument("collection", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mode", default="bm25", show_default=True, help=MODES_HELP)
@click.option("--split", default="test", show_default=True, help="Query split: test or train.")
@click.option("--embedder", help="Embedding backend for dense/hybrid (onnx-int8, torch, static).")
@click.option("--no-cache", is_flag=True, help="Use a temporary store instead of the eval cache.")
@click.option(
    "--store",
    "store_url",
    help="Database URL of an empty store for the collection, e.g. postgresql://... to measure "
    "the PostgreSQL backend (default: a SQLite file in the eval cache).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--adapt",
    is_flag=True,
    help="Dense/hybrid: first adapt the encoder to the collection's corpus (never its queries); "
    "see papersift adapt.",
)
@click.option(
    "--adapt-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="With --adapt: the training time budget.",
)
@click.pass_context
@handle_errors
def evaluate(
    ctx: click.Context,
    collection: Path,
    mode: str,
    split: str,
    embedder: str | None,
    no_cache: bool,
    store_url: str | None,
    as_json: bool,
    adapt: bool,
    adapt_minutes: float,
) -> None:
    """Measure retrieval quality on a BEIR-layout collection (corpus, queries, qrels)."""
    from papersift.evaluation import evaluate_collection

    settings = _with_embedder(ctx.obj["settings"], embedder)
    result = evaluate_collection(
        collection,
        mode=mode,
        split=split,
        settings=settings,
        cache=not no_cache,
        store_url=store_url,
        progress=_progress(),
        adapt_minutes=adapt_minutes if adapt else None,
    )
    if as_json:
        click.echo(orjson.dumps(result.to_dict()).decode())
    else:
        click.echo(result.table())


def _with_embedder(settings: Settings, embedder: str | None) -> Settings:
    if embedder is None:
        return settings
    return load_settings(**{**settings.model_dump(), "embedder_backend": embedder})


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; they share the store, sessions and indexes.",
)
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the website and the JSON API (docs at /api/docs).

    Unless PAPERSIFT_EMBED_IN_BACKGROUND is false, new papers are embedded in the background
    meanwhile (`papersift embed --watch`, at a lower CPU priority), so semantic search grows
    while the site serves.
    """
    import os

    import uvicorn

    settings: Settings = ctx.obj["settings"]
    _check_port_free(host, port)
    with _engine(ctx) as engine:  # open and migrate the store, check the settings, first
        semantic = engine.semantic_status()
        if semantic.problem:
            raise click.ClickException(semantic.problem)
        papers = engine.paper_count()
    os.environ["PAPERSIFT_DATA_DIR"] = str(settings.data_dir)  # worker processes read settings
    worker = _start_embedding_worker(settings, semantic)
    click.echo(f"papersift is serving {papers:,} papers at http://{host}:{port}", err=True)
    if worker is not None and not semantic.complete:
        click.echo(
            f"papersift: keyword search works now; semantic search covers {semantic.covered:,} "
            f"of {papers:,} papers and grows in the background, newest papers first (progress "
            f"and time left are printed here and shown at http://{host}:{port}/status)",
            err=True,
        )
    else:
        click.echo(f"papersift: {semantic.sentence()}", err=True)
    click.echo(f"papersift: from another terminal: {_command_name()} search 'your words'", err=True)
    try:
        uvicorn.run(
            "papersift.web.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            # Limits on request heads and slow clients (431, 414, 408): papersift.web.server.
            http="papersift.web.server:BoundedHttpToolsProtocol",
            access_log=False,
            log_level="warning",
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)


def _check_port_free(host: str, port: int) -> None:
    """Fail before anything claims to serve when the address is taken."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}. Is another server "
                f"running there? Choose another port with --port (make demo PORT=8001)."
            ) from None


def _start_embedding_worker(settings: Settings, semantic: SemanticStatus) -> Any:
    """`papersift embed --watch` as a child process at a lower CPU priority, or None when
    semantic search is off or the setting turns background embedding off."""
    import os

    from papersift.child_process import spawn_tied_to_parent

    if not settings.embed_in_background or not semantic.enabled:
        return None
    command = [sys.executable, "-m", "papersift", "--data-dir", str(settings.data_dir)]
    quiet = {"TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    return spawn_tied_to_parent(
        [*command, "embed", "--watch"],
        env={**os.environ, **quiet},
        niceness=10,  # the website's requests come first
    )


def _command_name() -> str:
    """How to run papersift from here: its name when it is on PATH, else its full path."""
    import shutil

    script = Path(sys.argv[0])
    if script.name == "papersift" and shutil.which("papersift") == str(script.resolve()):
        return "papersift"
    if script.name == "papersift":
        return str(script)  # as it was typed: .venv/bin/papersift from the project folder
    return f"{sys.executable} -m papersift"


EXIT_FAILED = 1
EXIT_TEMPORARY = 75  # EX_TEMPFAIL: try again later (lock held, mail server unavailable)


def _locked(settings: Settings) -> Any:
    from papersift.runlock import run_lock

    return run_lock(settings.data_dir / "daily.lock")


@main.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Digest day (today).")
@click.option("--dry-run", is_flag=True, help="Compose and print; send and record nothing.")
@click.option("--user", "email", help="Only this subscriber (email address).")
@click.pass_context
@handle_errors
def digest(ctx: click.Context, day: Any, dry_run: bool, email: str | None) -> None:
    """Send each subscriber's digest of the day (once: re-runs skip what was sent)."""
    from papersift.runlock import LockHeld

    settings: Settings = ctx.obj["settings"]
    try:
        with _locked(settings), _engine(ctx) as engine:
            code = _send_digests(engine, day.date() if day else None, dry_run, email)
    except LockHeld:
        click.echo("another papersift daily or digest run is in progress", err=True)
        sys.exit(EXIT_TEMPORARY)
    sys.exit(code)


def _send_digests(engine: Engine, day: Any, dry_run: bool, email: str | None) -> int:
    from papersift.features.mailer import SMTPMailer

    target = day or engine.clock().date()
    if dry_run:
        report = engine.digests.run(target, None, only_email=email)
        _print_dry_run(engine, target, email)
    else:
        with SMTPMailer.from_settings(engine.settings).session() as session:
            report = engine.digests.run(target, session.send, only_email=email)
    click.echo(
        f"digest {target}: {report.sent} {'would be sent' if dry_run else 'sent'}, "
        f"{report.empty} with nothing new, {report.already_done} already done, "
        f"{report.not_due} not due, {report.failed} failed"
        + (
            f", {report.unverified} unverified (no digest until confirmed)"
            if report.unverified
            else ""
        )
    )
    for problem in report.problems[:20]:
        click.echo(f"  {problem}", err=True)
    return EXIT_TEMPORARY if report.failed else 0


def _print_dry_run(engine: Engine, day: Any, email: str | None) -> None:
    shared = engine.digests.prepare(day)
    for user, subscription in engine.digests.subscribers(email):
        if not engine.digests.due(subscription, day):
            continue
        composed = engine.digests.compose(user, subscription, shared)
        sizes = ", ".join(f"{s.key} {len(s.items)}" for s in composed.sections)
        click.echo(f"{user.email}: {'nothing new' if composed.is_empty else sizes}")


@main.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Day to run for (today).")
@click.option("--no-harvest", is_flag=True, help="Skip harvesting (use what is in the store).")
@click.option("--dry-run", is_flag=True, help="Compose the digests without sending them.")
@click.pass_context
@handle_errors
def daily(ctx: click.Context, day: Any, no_harvest: bool, dry_run: bool) -> None:
    """The morning job: harvest, index, alerts, digest. Safe for cron: one run at a time.

    Exit codes: 0 done; 1 a step failed (later steps skipped); 75 try again later (another run
    holds the lock, or the mail server refused some digests for now).
    """
    from datetime import timedelta

    from papersift.runlock import LockHeld

    settings: Settings = ctx.obj["settings"]
    try:
        with _locked(settings), _engine(ctx) as engine:
            target = day.date() if day else engine.clock().date()
            sets = [s.strip() for s in settings.daily_sets.split(",") if s.strip()]
            for set_spec in [] if no_harvest else sets:
                click.echo(f"harvesting {set_spec} ...", err=True)
                harvested = engine.harvest(
                    set_spec=set_spec,
                    from_date=target - timedelta(days=3),
                    until_date=target,
                    update_index=False,
                    progress=_progress(),
                )
                _print_problems(harvested)
                click.echo(harvested.summary(), err=True)
            report = engine.index(progress=_progress())
            click.echo(f"indexed {report.written} papers", err=True)
            alerts = engine.alerts.run()
            click.echo(
                f"alerts: {alerts.searches} saved searches, {alerts.new_matches} new matches",
                err=True,
            )
            code = _send_digests(engine, target, dry_run, None)
    except LockHeld:
        click.echo("another papersift daily or digest run is in progress", err=True)
        sys.exit(EXIT_TEMPORARY)
    sys.exit(code)


@main.group()
def admin() -> None:
    """Moderators: accounts with the admin role can hide comments and submissions."""


@admin.command("grant")
@click.argument("email")
@click.pass_context
@handle_errors
def admin_grant(ctx: click.Context, email: str) -> None:
    """Make the account with EMAIL a moderator (logged in the moderation log)."""
    with _engine(ctx) as engine:
        engine.discussion.set_admin(email, True)
    click.echo(f"{email.strip()} is now a moderator")


@admin.command("revoke")
@click.argument("email")
@click.pass_context
@handle_errors
def admin_revoke(ctx: click.Context, email: str) -> None:
    """Take the moderator role from the account with EMAIL."""
    with _engine(ctx) as engine:
        engine.discussion.set_admin(email, False)
    click.echo(f"{email.strip()} is no longer a moderator")


@main.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--collection",
    "collection_name",
    required=True,
    help="The collection to import into (made when the account has none of that name).",
)
@click.option("--email", required=True, help="The address of the account the collection is of.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["bibtex", "ris", "csl-json"]),
    help="Default: from the file's name, else its content.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.pass_context
@handle_errors
def import_library(
    ctx: click.Context,
    path: Path,
    collection_name: str,
    email: str,
    file_format: str | None,
    as_json: bool,
) -> None:
    """Import a BibTeX, RIS or CSL-JSON file (a Zotero, Mendeley or JabRef export) into a
    collection: entries are matched by arXiv id, then DOI, then title; arXiv papers not in the
    store are fetched from the arXiv API. Importing the same file again adds nothing more."""
    with _engine(ctx) as engine:
        user = engine.user_by_email(email)
        if user is None:
            raise click.ClickException(f"no account with the address {email.strip()}")
        target = engine.library_import.collection_named(user, collection_name)
        report = engine.library_import.run(
            user, target.id, path.read_bytes(), filename=path.name, format=file_format
        )
    if as_json:
        body = {
            "collection": {"id": target.id, "name": target.name},
            "format": report.format,
            "entries": report.entries,
            "added": report.added,
            "already": report.already,
            **{
                part: [asdict(entry) for entry in getattr(report, part)]
                for part in ("matched", "fetched", "unmatched", "malformed")
            },
        }
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(
        f"{report.entries} entries ({report.format}) into {target.name!r}: "
        f"{len(report.matched)} matched, {len(report.fetched)} fetched from arXiv, "
        f"{len(report.unmatched)} unmatched, {len(report.malformed)} malformed; "
        f"{report.added} papers added, {report.already} already there"
    )
    for label, skipped in (("malformed", report.malformed), ("unmatched", report.unmatched)):
        for entry in skipped:
            click.echo(f"  {label} {entry.key}: {entry.reason}")


main.add_command(adapt)
