"""The writer processes `harness.crash_trials` SIGKILLs, run as `python -m harness.crash_writers corpus
KIND DATA_DIR CORPUS [DOC_ID ...]` (a first ingest or an update run of CORPUS, or the removal of the
DOC_IDs, through `AnswerService` on an embedded Chroma in DATA_DIR) and `python -m harness.crash_writers
store STORAGE_PY DATABASE COUNT` (the first COUNT writes of `store_operations` through `BotStore`). Each
prints `ready` once it is set up (model loaded, index or database open), a line per acknowledged write
(`progress DONE TOTAL`, `removed DOC_ID`, or the write's number) and `finished`. Nothing heavy is imported
before a writer starts: the store writer loads bot/storage.py from its file, because importing the `bot`
package would load discord.py and torch (about 10 s), and the trials start a fresh writer for every kill."""

import importlib.util
import sys
from pathlib import Path


def corpus_writer(kind: str, data_dir: Path, corpus: Path, doc_ids: list[str]) -> None:
    """Ingests `corpus` into `data_dir` or, for kind `remove`, removes `doc_ids` one by one."""
    from retrieval.composition import build_service
    from retrieval.settings import RetrievalSettings

    service = build_service(RetrievalSettings(_env_file=None, data_dir=data_dir, corpus_dir=corpus))  # type: ignore[call-arg]
    print("ready", flush=True)
    if kind == "remove":
        for doc_id in doc_ids:
            service.remove(doc_id)
            print("removed", doc_id, flush=True)
    else:
        service.ingest(progress=lambda path, done, total: print("progress", done, total, flush=True))
    print("finished", flush=True)


def store_writer(storage_file: Path, database: Path, count: int) -> None:
    """Applies the first `count` writes of `store_operations` to a `BotStore` on `database`, printing
    each write's number once the store acknowledged it."""
    spec = importlib.util.spec_from_file_location("citebot_storage", storage_file)
    assert spec is not None and spec.loader is not None
    storage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(storage)
    from harness.crash_trials import store_operations

    store = storage.BotStore(database)
    print("ready", flush=True)
    for number, (name, args) in enumerate(store_operations(count)):
        assert getattr(store, name)(*args) is not False
        print(number, flush=True)
    print("finished", flush=True)


def main(argv: list[str]) -> None:
    role, *args = argv
    if role == "corpus":
        kind, data_dir, corpus, *doc_ids = args
        corpus_writer(kind, Path(data_dir), Path(corpus), doc_ids)
    elif role == "store":
        storage_file, database, count = args
        store_writer(Path(storage_file), Path(database), int(count))
    else:
        raise SystemExit(f"unknown writer {role!r}: corpus or store")


if __name__ == "__main__":
    main(sys.argv[1:])
