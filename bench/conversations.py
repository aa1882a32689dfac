"""Follow-ups: does each turn of a conversation answer its own question?

    .venv/bin/python -m bench.conversations [--data-dir DIR] [--work-dir DIR] [--gguf FILE]

Conversations of two to four turns: over the shipped corpus, `dev` (`bench/data/conversations.jsonl`,
what follow-up ranking was tuned on) and `held-out` (`bench/data/conversations_holdout.jsonl`,
written before that tuning and only read to check it); over `../shared/news-dev` when it is there,
`news` (`bench/data/conversations_news.jsonl`, written after the tuning, never tuned on; n08-n13
change the subject at their second turn, n14-n17 only name something else: "and Google?"; its
index is DIR/citebot of `--work-dir`, shared with `bench.news_retrieval`), and `pronouns`
(`bench/data/conversations_pronouns.jsonl`, news-dev too: a "he", "she" or "they" standing for whom
the previous answer named, written before the rule that resolves them was changed). Each is asked through
the service with the conversation so far (as the CLI's chat and a Discord thread do), on the
extractive backend (or, with `--gguf`, the in-process llama.cpp one). A turn is right when
its answer or its quotes hold one of the turn's answer strings (case, quotes and spacing folded);
"first" asks the same of the answer's first sentence and the quote it cites, the one a reader takes
for the answer. A turn re-quotes when one of its quotes was already in an earlier answer of the
conversation. Follow-ups (every turn after the first) are what this measures; the first turns are
ordinary questions.
Results: bench/results/conversations.json (conversations_llm.json with `--gguf`), docs/quality.md
("Follow-ups").
"""

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from bench import news_dev

REPO = Path(__file__).resolve().parent.parent
SETS = {
    "dev": REPO / "bench" / "data" / "conversations.jsonl",
    "held-out": REPO / "bench" / "data" / "conversations_holdout.jsonl",
    "news": REPO / "bench" / "data" / "conversations_news.jsonl",
    "pronouns": REPO / "bench" / "data" / "conversations_pronouns.jsonl",
}
SET_CORPUS = {"dev": "shipped", "held-out": "shipped", "news": "news-dev", "pronouns": "news-dev"}
RESULTS = REPO / "bench" / "results" / "conversations.json"


def converse(service: Any, turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ask the turns in order, each with the conversation before it, and score each answer."""
    from retrieval.evaluation import normalise
    from retrieval.text.markers import MARKER, spoken_form

    history: list[tuple[str, str]] = []
    rows = []
    for number, turn in enumerate(turns):
        answer = service.ask(turn["question"], history=history)
        wanted = [normalise(a) for a in turn["answers"]]
        quotes = [c.quote for c in answer.citations]
        text = "" if answer.abstained else normalise(" ".join([answer.answer, *quotes]))
        first = "" if answer.abstained else normalise(" ".join([MARKER.split(answer.answer, maxsplit=1)[0], *quotes[:1]]))
        rows.append({
            "turn": number + 1,
            "question": turn["question"],
            "right": any(w in text for w in wanted),
            "first": any(w in first for w in wanted),
            "requoted": sum(any(spoken_form(c.quote) in spoken_form(a) for _, a in history) for c in answer.citations),
            "abstained": answer.abstained,
            "backend": answer.backend,
            "answer": answer.answer,
        })
        history.append((turn["question"], answer.answer))
    return rows


def _share(rows: list[dict[str, Any]], key: str) -> float:
    return round(sum(bool(r[key]) for r in rows) / len(rows), 3) if rows else 0.0


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    opening = [c["turns"][0] for c in results]
    follow_ups = [row for c in results for row in c["turns"][1:]]
    return {
        "conversations": len(results),
        "follow_ups": len(follow_ups),
        "follow_up_right": _share(follow_ups, "right"),
        "follow_up_first_sentence_right": _share(follow_ups, "first"),
        "follow_up_abstained": _share(follow_ups, "abstained"),
        "follow_up_requoting": _share(follow_ups, "requoted"),
        "opening_right": _share(opening, "right"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="an index of the shipped corpus to reuse")
    parser.add_argument("--work-dir", type=Path, help="where the news-dev index is kept (DIR/citebot, as news_retrieval)")
    parser.add_argument("--gguf", type=Path, help="answer with this GGUF in process (LLM_BACKEND=llamacpp)")
    args = parser.parse_args()
    from retrieval.composition import build_service
    from retrieval.settings import RetrievalSettings

    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        llm = {"llm_backend": "llamacpp", "llm_gguf_path": args.gguf} if args.gguf else {"llm_backend": "extractive"}
        corpora = {"shipped": (args.data_dir or Path(tmp) / "shipped", REPO / "corpus")}
        if news_dev.available():
            corpora["news-dev"] = ((args.work_dir or Path(tmp)) / "citebot", news_dev.corpus_dir())
        for corpus, (data_dir, corpus_dir) in corpora.items():
            service = build_service(RetrievalSettings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **llm))
            service.ensure_corpus()
            for name, path in SETS.items():
                if SET_CORPUS[name] != corpus:
                    continue
                lines = path.read_text(encoding="utf-8").splitlines()
                conversations = [json.loads(line) for line in lines if line.strip()]
                results = [{"id": c["id"], "turns": converse(service, c["turns"])} for c in conversations]
                report[name] = {"summary": summarise(results), "conversations": results}
    for name, part in report.items():
        for conversation in part["conversations"]:
            for row in conversation["turns"]:
                mark = "ok" if row["right"] else "--"
                print(f"{conversation['id']} {row['turn']} {mark} first={int(row['first'])} requoted={row['requoted']}"
                      f"  {row['question'][:50]:50} {row['answer'][:90]!r}")
        print(name, json.dumps(part["summary"]))
    results = RESULTS.with_name("conversations_llm.json") if args.gguf else RESULTS
    results.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
