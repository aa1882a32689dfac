"""SIGKILL trials, shared by `bench.crash_trials` (21 trials and more) and the crash tests
(tests/retrieval/ingest/test_crash_trials.py, tests/bot/test_storage_crash.py, a few each). Corpus
writes (`run_ingest_trials`): a real writer process (first ingest of 16 articles, an update run over an
indexed corpus in which articles changed, vanished, are new or unchanged, or removing 10 documents) is
SIGKILLed after a delay drawn over that kind of run's unkilled duration, then the index is reopened
(which recovers) and must be consistent (Chroma chunks, document records and BM25 agree, no journal
left, every document at its old or new version), and a re-run must reach the expected final state. The
bot's SQLite store (`run_store_trials`): a writer saving answers and votes through `BotStore` is
SIGKILLed right after a randomly drawn acknowledgement, and the database must pass
`PRAGMA integrity_check` and hold exactly the acknowledged writes (plus, at most, the one in flight).
The writer processes are `harness.crash_writers`."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHILD_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO)}

# Corpus writes ----------------------------------------------------------------------------------

ARTICLES = 16
CHANGED = range(0, 5)
UNCHANGED = range(5, 8)
VANISHED = range(8, 12)
NEW = range(16, 20)
REMOVED = [f"article-{i:02d}" for i in range(3, 13)]
KINDS = ("first-ingest", "update", "remove")

TOWNS = ["Arden", "Belmar", "Corvo", "Dunmore", "Elswick", "Farrow", "Glenby", "Halden", "Ivel", "Jarrow"]
TOPICS = ["the new bridge", "the water tariff", "the school merger", "the harbour dredging", "the bus lanes"]


def write_article(folder: Path, index: int, edition: int) -> None:
    """About four chunks of council news; the edition changes every paragraph, so the hash too."""
    rng = random.Random(index * 100 + edition)
    town, topic = TOWNS[index % len(TOWNS)], TOPICS[index % len(TOPICS)]
    paragraphs = []
    for p in range(8):
        paragraphs.append(" ".join(
            f"In edition {edition}, residents of {town} raised point {p * 6 + j} about {topic} at a meeting "
            f"that lasted {rng.randint(1, 5)} hours, and {rng.randint(10, 90)} people signed the petition."
            for j in range(6)
        ))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"article-{index:02d}.md").write_text(
        f"---\ntitle: {town} decides on {topic} (edition {edition})\n---\n" + "\n\n".join(paragraphs) + "\n",
        encoding="utf-8",
    )


def write_corpus(folder: Path, edition: int) -> None:
    """Edition 1: articles 0–15. Edition 2: 0–4 changed, 5–7 unchanged, 8–11 gone, 12–15 kept, 16–19 new."""
    if folder.exists():
        shutil.rmtree(folder)
    if edition == 1:
        for i in range(ARTICLES):
            write_article(folder, i, 1)
        return
    for i in CHANGED:
        write_article(folder, i, 2)
    for i in [*UNCHANGED, *range(12, ARTICLES)]:
        write_article(folder, i, 1)
    for i in NEW:
        write_article(folder, i, 2)


def corpus_hashes(folder: Path) -> dict[str, str]:
    """doc_id -> content hash of every article in the folder, as ingest computes it."""
    from retrieval.ingest.readers import ArticleReader

    reader = ArticleReader(10**7)
    return {doc.doc_id: doc.content_hash for doc in (reader.read_path(p) for p in sorted(folder.glob("*.md")))}


def open_service(data_dir: Path, corpus: Path, embed_model):
    from retrieval.composition import build_service
    from retrieval.index.store import CorpusStore
    from retrieval.settings import RetrievalSettings

    settings = RetrievalSettings(_env_file=None, data_dir=data_dir, corpus_dir=corpus)  # type: ignore[call-arg]
    return build_service(settings, store=CorpusStore.embedded(data_dir), embed_model=embed_model)


def release_chroma() -> None:
    """Forget this process's cached Chroma clients, so the next open reads what is on disk."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def journal_entries(data_dir: Path) -> int:
    """Document records a killed writer left with a pending or stale version, before recovery."""
    from retrieval.index.store import CorpusStore

    store = CorpusStore.embedded(data_dir)
    found = store.records.journaled()
    release_chroma()
    return len(found)


def assert_consistent(service) -> dict[str, str]:
    """Chroma chunks, document records and BM25 agree, with no journal left; returns doc_id -> live hash."""
    store = service.store
    all_records = store.records.collection.get(include=["metadatas"])["metadatas"]
    assert not [m for m in all_records if m["pending_hash"] or m["stale_hash"]], "journal left after recovery"
    assert all(m["content_hash"] for m in all_records), "a record without a live version"
    records = {r.doc_id: r for r in store.documents()}
    chunks = store.chunks.collection.get(include=["metadatas"])
    assert len(chunks["ids"]) == len(set(chunks["ids"])), "duplicate chunk ids"
    per_doc: Counter[str] = Counter()
    for metadata in chunks["metadatas"]:
        record = records.get(metadata["article_id"])
        assert record is not None, f"orphan chunk of {metadata['article_id']}"
        assert metadata["content_hash"] == record.content_hash, f"chunk of a dead version of {record.doc_id}"
        per_doc[record.doc_id] += 1
    for doc_id, record in records.items():
        assert per_doc[doc_id] == record.chunks > 0, f"{doc_id}: {per_doc[doc_id]} chunks, record says {record.chunks}"
    bm25_ids = sorted(c.chunk_id for c in service.snapshots.latest.bm25.chunks)
    assert bm25_ids == sorted(chunks["ids"]), "BM25 disagrees with Chroma"
    assert service.snapshots.latest.live == store.live_hashes(), "the reader snapshot disagrees with the records"
    return {doc_id: r.content_hash for doc_id, r in records.items()}


@dataclass
class IngestTrial:
    trial: int
    kind: str
    delay_s: float
    killed: bool = False  # False when the writer finished before the kill landed
    progress_lines: int = 0
    journal_entries: int = 0
    documents_after_kill: int = 0
    at_new_version_after_kill: int = 0
    ok: bool = False
    error: str = ""


class IngestTrials:
    """A workspace with the two corpus editions and an indexed edition 1 to copy for each trial."""

    def __init__(self, root: Path, embed_model) -> None:
        self.root = root
        self.embed_model = embed_model
        # One folder, rewritten to the edition a run needs: ingest removes the documents whose file
        # vanished from the folder they were ingested from.
        self.corpus = root / "corpus"
        self.hashes = {}
        for edition in (2, 1):
            write_corpus(self.corpus, edition)
            self.hashes[edition] = corpus_hashes(self.corpus)
        self.indexed1 = root / "indexed-edition-1"
        self.durations = self._calibrate()

    def _calibrate(self) -> dict[str, float]:
        """Seconds each kind of run takes unkilled, timed in this process (the writers' model load
        and index open come before their `ready`, so they are not part of it)."""
        durations = {}
        service = open_service(self.indexed1, self.corpus, self.embed_model)
        started = time.perf_counter()
        service.ingest()
        durations["first-ingest"] = time.perf_counter() - started
        assert assert_consistent(service) == self.hashes[1]
        del service
        release_chroma()
        for kind in ("update", "remove"):
            scratch = self.root / "calibration"
            shutil.copytree(self.indexed1, scratch)
            write_corpus(self.corpus, self.edition(kind))
            service = open_service(scratch, self.corpus, self.embed_model)
            started = time.perf_counter()
            if kind == "update":
                service.ingest()
            else:
                for doc_id in REMOVED:
                    service.remove(doc_id)
            durations[kind] = time.perf_counter() - started
            assert assert_consistent(service) == self.expected(kind)[1]
            del service
            release_chroma()
            shutil.rmtree(scratch)
        return durations

    def _start(self, kind: str, data_dir: Path) -> tuple[subprocess.Popen, list[str]]:
        """The writer for `kind` on `data_dir`; returns once it printed `ready` (model loaded, index open)."""
        write_corpus(self.corpus, self.edition(kind))
        extra = REMOVED if kind == "remove" else []
        shutil.rmtree(data_dir, ignore_errors=True)
        if kind != "first-ingest":
            shutil.copytree(self.indexed1, data_dir)
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.crash_writers", "corpus", kind, str(data_dir), str(self.corpus), *extra],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=CHILD_ENV,
        )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.strip())
            if line.strip() == "ready":
                return process, lines
        process.wait()
        raise RuntimeError(f"the {kind} writer exited before it was ready")

    @staticmethod
    def edition(kind: str) -> int:
        """The corpus edition in the folder during a run of this kind."""
        return 2 if kind == "update" else 1

    def expected(self, kind: str) -> tuple[dict[str, str], dict[str, str]]:
        """doc_id -> hash before and after a complete run of this kind."""
        if kind == "first-ingest":
            return {}, self.hashes[1]
        if kind == "update":
            return self.hashes[1], self.hashes[2]
        return self.hashes[1], {d: h for d, h in self.hashes[1].items() if d not in REMOVED}

    def run(self, trial: int, kind: str, delay: float) -> IngestTrial:
        outcome = IngestTrial(trial, kind, round(delay, 3))
        data_dir = self.root / f"trial-{trial:02d}"
        try:
            process, lines = self._start(kind, data_dir)
            time.sleep(delay)
            outcome.killed = process.poll() is None
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
            assert process.stdout is not None
            lines += process.stdout.read().splitlines()
            outcome.killed = outcome.killed and "finished" not in lines
            outcome.progress_lines = sum(line.startswith(("progress", "removed")) for line in lines)
            release_chroma()
            outcome.journal_entries = journal_entries(data_dir)
            self._check(kind, data_dir, outcome)
            outcome.ok = True
        except Exception as exc:  # a failed check is an outcome to report, not the end of the run
            outcome.error = f"{type(exc).__name__}: {exc}"
        finally:
            release_chroma()
            shutil.rmtree(data_dir, ignore_errors=True)
        return outcome

    def _check(self, kind: str, data_dir: Path, outcome: IngestTrial) -> None:
        before, after = self.expected(kind)
        service = open_service(data_dir, self.corpus, self.embed_model)
        live = assert_consistent(service)
        outcome.documents_after_kill = len(live)
        for doc_id, content_hash in live.items():
            assert content_hash in (before.get(doc_id), after.get(doc_id)), f"{doc_id} at neither version"
        outcome.at_new_version_after_kill = sum(
            live.get(d) == h and before.get(d) != h for d, h in after.items()
        ) + sum(d not in live for d in before if d not in after)
        if kind == "remove":
            for doc_id in REMOVED:
                service.remove(doc_id)
        else:
            report = service.ingest()
            assert not report.errors, report.errors
        assert assert_consistent(service) == after, "the re-run did not reach the expected state"
        if after:
            assert service.ask("How long did the meeting in Arden last?").citations


def run_ingest_trials(root: Path, embed_model, count: int, seed: int,
                      log: Callable[[IngestTrial], None] = lambda t: None) -> tuple[list[IngestTrial], dict[str, float]]:
    trials = IngestTrials(root, embed_model)
    rng = random.Random(seed)
    outcomes = []
    for trial in range(count):
        kind = KINDS[trial % len(KINDS)]
        outcomes.append(trials.run(trial, kind, rng.uniform(0.0, trials.durations[kind])))
        log(outcomes[-1])
    return outcomes, trials.durations


# The bot's SQLite store -------------------------------------------------------------------------

SQLITE_OPS = 30_000
KILL_WINDOW = 5_000
"""Kills land after a random one of the first 5,000 acknowledged writes."""


def store_operations(count: int) -> list[tuple[str, tuple]]:
    """A fixed mix of writes: answers in two guilds (some replying to earlier ones) and votes on them,
    including changed votes (an upsert of an existing row)."""
    rng = random.Random(count)
    operations: list[tuple[str, tuple]] = []
    answers: list[tuple[int, int]] = []
    for number in range(count):
        if not answers or number % 3 != 2:
            message_id, guild_id = 10_000 + number, 1 + number % 2
            parent = rng.choice(answers)[0] if answers and rng.random() < 0.3 else None
            operations.append(("save_answer", (
                message_id, guild_id, 100 + guild_id, parent, f"question {number}?", f"answer {number} [1]",
                {"passages": [{"text": "x" * rng.randint(0, 400)}], "backend": "extractive"},
            )))
            answers.append((message_id, guild_id))
        else:
            message_id, guild_id = rng.choice(answers)
            operations.append(("record_vote", (guild_id, message_id, rng.randint(1, 5), rng.choice((-1, 1)))))
    return operations


def store_state(operations: list[tuple[str, tuple]]) -> tuple[dict, dict]:
    """What the database must hold after exactly these operations (timestamps aside)."""
    answers: dict[int, tuple] = {}
    votes: dict[tuple[int, int], tuple] = {}
    for name, args in operations:
        if name == "save_answer":
            message_id, guild_id, channel_id, parent, question, answer, payload = args
            answers[message_id] = (guild_id, channel_id, parent, question, answer, json.dumps(payload))
        else:
            guild_id, message_id, user_id, vote = args
            stored = answers[message_id]
            votes[(message_id, user_id)] = (guild_id, vote, stored[3], stored[4])
    return answers, votes


def database_state(path: Path) -> tuple[dict, dict]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "integrity_check failed"
        answers = {row[0]: tuple(row[1:]) for row in db.execute(
            "SELECT message_id, guild_id, channel_id, parent_id, question, answer, payload FROM answers")}
        votes = {(row[0], row[1]): tuple(row[2:]) for row in db.execute(
            "SELECT message_id, user_id, guild_id, vote, question, answer FROM feedback")}
        return answers, votes
    finally:
        db.close()


@dataclass
class StoreTrial:
    trial: int
    kill_after_ack: int
    killed: bool = False
    acknowledged: int = 0
    in_flight_committed: bool = False
    ok: bool = False
    error: str = ""


def run_store_trial(root: Path, trial: int, kill_after: int, operations: list[tuple[str, tuple]],
                    rng: random.Random) -> StoreTrial:
    """Kill the writer right after (plus up to 5 ms) it acknowledged write number `kill_after`.

    The writer cannot run far ahead: once the parent stops reading, the pipe (64 KiB) fills after
    about 12,000 more acknowledgements and the writer blocks, so with `SQLITE_OPS` operations every
    kill lands before the writer is done.
    """
    outcome = StoreTrial(trial, kill_after)
    path = root / f"store-{trial:03d}" / "bot.sqlite"
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.crash_writers", "store", str(REPO / "bot" / "storage.py"), str(path),
             str(len(operations))],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=CHILD_ENV,
        )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.strip())
            if line.strip() == str(kill_after):
                break
        time.sleep(rng.uniform(0.0, 0.005))
        outcome.killed = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        lines += process.stdout.read().split()
        outcome.killed = outcome.killed and "finished" not in lines
        acknowledged = [int(line) for line in lines if line.isdigit()]
        outcome.acknowledged = len(acknowledged)
        assert acknowledged == list(range(len(acknowledged))), "acknowledgements out of order"
        # The bot opens it the way it always does (WAL recovery happens here), then it is checked.
        from bot.storage import BotStore

        BotStore(path).close()
        found = database_state(path)
        done = len(acknowledged)
        if found == store_state(operations[:done]):
            outcome.in_flight_committed = False
        elif done < len(operations) and found == store_state(operations[: done + 1]):
            outcome.in_flight_committed = True
        else:
            raise AssertionError(f"the database does not hold exactly the {done} acknowledged writes")
        outcome.ok = True
    except Exception as exc:  # reported per trial
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    return outcome


def run_store_trials(root: Path, count: int, seed: int) -> list[StoreTrial]:
    operations = store_operations(SQLITE_OPS)
    rng = random.Random(seed)
    return [run_store_trial(root, trial, rng.randrange(KILL_WINDOW), operations, rng) for trial in range(count)]
