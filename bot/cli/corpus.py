"""The commands that change or list the corpus: `ingest`, `sources`, `remove`."""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from bot.cli.invocation import EXIT_FAILED, EXIT_OK, Invocation, ingest_progress, iso_day

if TYPE_CHECKING:
    pass


def ingest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", help="files, folders, http(s) URLs; default: the corpus folder")
    parser.add_argument("--published", type=iso_day, metavar="DATE",
                        help="publication date of every document named (overrides what they say)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def ingest(run: Invocation) -> int:
    """Files and folders as one ingest run (the corpus folder when nothing is named), then each URL
    fetched and ingested, all in one report. Files that are all live as they are (a re-run) are
    reported from the store without loading the embedder."""
    from bot import terminal
    from retrieval import IngestReport, build_catalog

    arguments: list[str] = run.args.paths
    urls = [argument for argument in arguments if argument.lower().startswith(("http://", "https://"))]
    paths = [Path(argument) for argument in arguments if argument not in urls]
    given = {"published": run.args.published} if run.args.published else None
    if not urls:
        unchanged = build_catalog(run.settings).unchanged(paths or [run.settings.corpus_dir], overrides=given)
        if unchanged is not None:
            run.show(unchanged, terminal.render_report)
            return EXIT_OK
    progress = ingest_progress(run.err, run.wants_json)
    report: IngestReport = run.service.ingest(paths, progress=progress, overrides=given) if paths or not urls else IngestReport()
    for url in urls:
        report.absorb(run.service.ingest_url(url, overrides=given))
    run.show(report, terminal.render_report)
    return EXIT_FAILED if report.errors and not (report.added or report.updated or report.unchanged) else EXIT_OK


def json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true")


def sources(run: Invocation) -> int:
    """Straight from the store: listing documents loads neither the embedder nor llama-index."""
    from bot import terminal
    from retrieval import build_catalog

    infos = build_catalog(run.settings).sources()
    if run.wants_json:
        run.print_json([info.to_json() for info in infos])
    else:
        terminal.render_sources(run.out, infos)
    return EXIT_OK


def remove_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id")
    parser.add_argument("--json", action="store_true")


def remove(run: Invocation) -> int:
    from bot.user_errors import EXIT_NOT_FOUND

    doc_id = run.args.doc_id
    removed = run.service.remove(doc_id)
    if run.wants_json:
        run.print_json({"doc_id": doc_id, "removed": removed})
    else:
        run.out.print(escape(f"removed {doc_id}" if removed else f"no document {doc_id!r}"))
    return EXIT_OK if removed else EXIT_NOT_FOUND
