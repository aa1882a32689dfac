"""SIGKILL trials: corpus writes (first ingest, update, removal) and the bot's SQLite store.

    .venv/bin/python -m bench.crash_trials [--ingest-trials 21] [--sqlite-trials 100] [--seed 6]

Corpus: each trial runs a real writer process (`AnswerService`, embedded Chroma) and SIGKILLs it after
a delay drawn uniformly over that kind of run's duration (timed unkilled, in the checking process). The kinds
rotate: the first ingest of 16 articles; an update run over an indexed corpus in which 5 articles
changed, 4 vanished, 4 are new and 3 are unchanged; removing 10 documents one by one. After each kill
the index is reopened (which recovers) and checked: Chroma chunks, document records and BM25 agree, no
duplicate or orphan chunks, no pending/stale journal left, every document at its old or its new
version. Then the run is repeated and must reach the expected final state exactly.

SQLite: a process saves answers and records (and changes) votes through `BotStore`, printing one line
per acknowledged write, and is SIGKILLed right after a randomly drawn acknowledgement. The database must open, pass
`PRAGMA integrity_check`, and hold exactly the acknowledged writes (plus, at most, the one in flight).

The trials are in harness/crash_trials.py (their writer processes in harness/crash_writers.py);
`tests/retrieval/ingest/test_crash_trials.py` and `tests/bot/test_storage_crash.py` run a few of them.
Results: bench/results/crash_trials.json.
"""

import argparse
import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from harness.crash_trials import KILL_WINDOW, KINDS, SQLITE_OPS, run_ingest_trials, run_store_trials

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "crash_trials.json"


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from retrieval.composition import build_embed_model
    from retrieval.settings import RetrievalSettings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest-trials", type=int, default=21)
    parser.add_argument("--sqlite-trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    console = Console()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stores = run_store_trials(root, args.sqlite_trials, args.seed)
        embed_model = build_embed_model(RetrievalSettings(_env_file=None))
        ingests, durations = run_ingest_trials(
            root, embed_model, args.ingest_trials, args.seed,
            log=lambda t: console.print(f"trial {t.trial:2d} {t.kind:12s} kill at {t.delay_s:6.2f} s: "
                                        f"{'ok' if t.ok else t.error}"),
        )
    table = Table(title="SIGKILL trials")
    for column in ("writer", "trials", "killed mid-run", "journal to recover", "consistent + re-run ok", "failed"):
        table.add_column(column, justify="right" if column != "writer" else "left")
    for kind in KINDS:
        rows = [t for t in ingests if t.kind == kind]
        table.add_row(kind, str(len(rows)), str(sum(t.killed for t in rows)),
                      str(sum(t.journal_entries > 0 for t in rows)), str(sum(t.ok for t in rows)),
                      str(sum(not t.ok for t in rows)))
    table.add_row("sqlite store", str(len(stores)), str(sum(t.killed for t in stores)), "-",
                  str(sum(t.ok for t in stores)), str(sum(not t.ok for t in stores)))
    console.print(table)
    result = {
        "seed": args.seed,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "ingest": {
            "trials": len(ingests),
            "killed_mid_run": sum(t.killed for t in ingests),
            "ok": sum(t.ok for t in ingests),
            "failed": sum(not t.ok for t in ingests),
            "unkilled_run_s": {kind: round(d, 2) for kind, d in durations.items()},
            "outcomes": [asdict(t) for t in ingests],
        },
        "sqlite": {
            "trials": len(stores),
            "operations_per_run": SQLITE_OPS,
            "kill_after_ack_below": KILL_WINDOW,
            "killed_mid_run": sum(t.killed for t in stores),
            "in_flight_write_committed": sum(t.in_flight_committed for t in stores),
            "ok": sum(t.ok for t in stores),
            "failed": sum(not t.ok for t in stores),
            "outcomes": [asdict(t) for t in stores],
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
