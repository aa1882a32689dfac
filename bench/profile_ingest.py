"""Where a first ingest spends its time: pyinstrument over citebot ingesting synthetic articles.

    .venv/bin/python -m bench.profile_ingest [--articles N] [--out NAME]

Writes the profile as text to bench/results/profile-ingest[-NAME].txt and prints the top of it.
"""

import argparse
import tempfile
from pathlib import Path

from pyinstrument import Profiler

from bench.ingest import write_synthetic_corpus
from retrieval.composition import build_embed_model, build_service
from retrieval.index.store import CorpusStore
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    embed_model.get_text_embedding_batch(["warm up the model"])
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = write_synthetic_corpus(tmp / "corpus", args.articles)
        settings = RetrievalSettings(_env_file=None, data_dir=tmp / "data", corpus_dir=corpus)
        service = build_service(settings, store=CorpusStore.embedded(settings.data_dir), embed_model=embed_model)
        profiler = Profiler(interval=0.005)
        with profiler:
            report = service.ingest()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    name = f"profile-ingest{'-' + args.out if args.out else ''}.txt"
    out = REPO / "bench" / "results" / name
    out.write_text(f"{report.chunks} chunks of {args.articles} articles\n{text}")
    print("\n".join(text.splitlines()[:60]))


if __name__ == "__main__":
    main()
