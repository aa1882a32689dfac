"""How much news-dev answer accuracy a sentence-quoting answerer can reach at all.

    .venv/bin/python -m bench.news_ceiling

news-dev scores an answer right when its text and quotes hold the gold string and no other choice
(`bench/news_dev.py`), and citebot asks each question as of its week's date, so articles published
after that day are not searched (`bench/news_retrieval.py`). A question is **reachable** when an
article published on or before its day, and at most `WINDOW_DAYS` before it, has a sentence that
holds the gold string, holds no other choice, and shares at least `MIN_SHARED` of the question's
terms (the project's own analyser: stemmed, stopwords out), so an answer quoting only that sentence
would be scored right and is about the question, not a chance occurrence ("eggs" in a list of food
allergens). Sentences are cut by the project's own splitter.

The count is an upper bound for an answerer that quotes the corpus, and a loose one: a sentence that
shares two terms may still be off the subject (both are listed, so a reader can judge), and it says
nothing of whether search can find it. `--window` and `--min-shared` loosen or tighten it.

Results: bench/results/news_ceiling.json, docs/quality.md ("What an answer can reach").
"""

import argparse
import datetime as dt
import json
from pathlib import Path

import frontmatter

from bench import news_dev
from bench.news_retrieval import TUNING_WEEKS
from retrieval.language.vocabulary import analyse
from retrieval.text.dates import publication_day
from retrieval.text.sentences import sentence_spans

WINDOW_DAYS = 30
MIN_SHARED = 2
RESULTS = news_dev.REPO / "bench" / "results" / "news_ceiling.json"


def articles() -> list[tuple[str, int | None, str]]:
    """(file stem, publication day, text) of every news-dev article."""
    found = []
    for path in sorted(news_dev.corpus_dir().glob("*.md")):
        post = frontmatter.load(path)
        found.append((path.stem, publication_day(str(post.get("published", ""))), post.content))
    return found


def best_sentence(
    item: news_dev.NewsQuestion, corpus: list[tuple[str, int | None, str]], window: int, min_shared: int
) -> dict | None:
    """The sentence that best makes `item` reachable (most shared terms, then newest), or None."""
    gold = item.answer.lower()
    others = [c.lower() for c in item.choices if c.lower() != gold]
    terms = set(analyse(item.question))
    asked = item.asked_on.toordinal()
    best: dict | None = None
    for stem, day, text in corpus:
        if day is None or not 0 <= asked - day <= window or gold not in text.lower():
            continue
        for span in sentence_spans(text):
            sentence = text[span.start : span.end]
            lowered = sentence.lower()
            if gold not in lowered or any(other in lowered for other in others):
                continue
            shared = len(terms & set(analyse(sentence)))
            age = asked - day
            if shared >= min_shared and (best is None or (shared, -age) > (best["shared_terms"], -best["age_days"])):
                best = {"article": stem, "age_days": age, "shared_terms": shared, "sentence": sentence}
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--window", type=int, default=WINDOW_DAYS, help="days before the question an article may be")
    parser.add_argument("--min-shared", type=int, default=MIN_SHARED, help="question terms the sentence must share")
    args = parser.parse_args()
    if not news_dev.available():
        raise SystemExit(f"news-dev not found at {news_dev.NEWS_DEV}")
    corpus = articles()
    items = news_dev.questions()
    reachable = {item.id: best_sentence(item, corpus, args.window, args.min_shared) for item in items}
    halves = {
        "tuning": [i.id for i in items if i.id.split("_")[0] in TUNING_WEEKS],
        "held_out": [i.id for i in items if i.id.split("_")[0] not in TUNING_WEEKS],
        "all": [i.id for i in items],
    }
    summary = {
        name: {"questions": len(ids), "reachable": sum(reachable[i] is not None for i in ids),
               "ceiling": round(sum(reachable[i] is not None for i in ids) / len(ids), 3)}
        for name, ids in halves.items()
    }
    RESULTS.write_text(json.dumps({
        "run": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "window_days": args.window, "min_shared_terms": args.min_shared, "summary": summary,
        "questions": {item.id: {"question": item.question, "gold": item.answer, "best": reachable[item.id]}
                      for item in items},
    }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, row in summary.items():
        print(f"{name:9s} {row['reachable']:3d} of {row['questions']:3d} reachable: ceiling {row['ceiling']:.3f}")
    print(f"written to {Path(RESULTS).relative_to(news_dev.REPO)}")


if __name__ == "__main__":
    main()
