"""Digest stories: does the digest put articles about one story together, and only those?

    .venv/bin/python -m bench.story_grouping [--work-dir DIR]

Articles: `../shared/news-dev` (764 articles of January 2023; `bench/news_dev.py`), ingested by
citebot into DIR/citebot (shared with `bench.news_retrieval`; opened as is when it holds articles).
Each article's vector is the digest's own (`DigestWriter.article(...).centroid`: the unit mean of
the stored vectors of its quotable sentences) and windows are grouped by the digest's own
`group_by_story` (average linkage, `STORY_SIMILARITY`).

Pairs are labelled automatically from titles. The labels are approximate: they are a proxy for
"same story", not a judgement of it.
- **same story**: both titles hold one capitalised word of 4+ letters (a name, roughly; common
  headline words such as "Things" or "Update" excepted) that at most six news-dev titles hold, and
  the two articles were published at most two days apart. Misses follow-ups whose titles share no
  rare name; can pair two stories about one person.
- **different stories**: the titles share no capitalised word and no word at all beyond a few
  function words ("the", "of", "CNN", ...). Some such pairs are still one story told in other words.
- every other pair (and any undated article) is left out.
The tuning half is the pairs of two articles published up to 2023-01-13 (the first two weeks, on
which `STORY_SIMILARITY` was chosen), the held-out half the pairs of two articles published after
it; pairs across the two are counted only in "all".

Reported:
- per half and threshold: **recall** (share of same-story pairs whose cosine is at or above it) and
  **false-merge rate** (share of different-story pairs at or above it);
- per week (its Friday the 6th, 13th, 20th, 27th), a digest's window: the articles new in that
  week's last two days (`is_new`), and in the whole week (its seven days to the Friday), grouped at
  each threshold: stories, the largest one, the share of the window's labelled same-story pairs put
  in one story and of its different-story pairs merged, and the titles of each story of two or more.
news-dev is not a feed: most of its articles are older background (back to 2012) and only 39 are
dated after 2023-01-13, so the held-out half has few pairs and a window few articles (3 to 17 in
two days); a day of feeds holds more. `STORY_SIMILARITY` was first read off every pair of news-dev
(those of the held-out half included), so that half is not unseen either.
Results: bench/results/story_grouping.json, docs/quality.md ("Digest: stories").
"""

import argparse
import collections
import datetime as dt
import itertools
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import news_dev

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "story_grouping.json"
THRESHOLDS = (0.55, 0.60, 0.65, 0.70, 0.75)
TUNING_END = dt.date(2023, 1, 13)
WEEKS = (dt.date(2023, 1, 6), dt.date(2023, 1, 13), dt.date(2023, 1, 20), dt.date(2023, 1, 27))
WINDOW_DAYS = (2, 7)
RARE_TITLES = 6
SAME_STORY_DAYS = 2
_NOT_NAMES = {
    "The", "A", "An", "In", "On", "Of", "And", "For", "To", "With", "After", "As", "At", "By", "From", "Is", "Are",
    "Was", "New", "Here", "What", "Who", "How", "Why", "Fact", "Check", "CNN", "USA", "Today", "Things", "Know",
    "Week", "Updates", "Update", "News", "Live", "Says", "Said", "Dec", "Jan", "Nov",
}
_FUNCTION_WORDS = {"the", "a", "of", "in", "to", "and", "for", "on", "|", "cnn", "...", "-", "is", "with", "at", "as",
                   "after", "by", "from", "fact", "check:"}


@dataclass(frozen=True)
class Dated:
    """An article of news-dev with its digest vector."""

    key: str
    title: str
    day: dt.date | None
    centroid: np.ndarray


def names(title: str) -> set[str]:
    """Capitalised words of four letters or more: names, roughly."""
    return {w.strip("'’s:,.") for w in re.findall(r"\b[A-Z][a-z]{3,}\w*", title)} - _NOT_NAMES


class Labeller:
    """The title rule of the module docstring; names counted over every news-dev title."""

    def __init__(self, titles: list[str]) -> None:
        self._titles = collections.Counter(n for t in titles for n in names(t))

    def label(self, a: Dated, b: Dated) -> str | None:
        """"same", "different" or None (no label)."""
        if a.day is None or b.day is None:
            return None
        shared = names(a.title) & names(b.title)
        if any(self._titles[n] <= RARE_TITLES for n in shared) and abs((a.day - b.day).days) <= SAME_STORY_DAYS:
            return "same"
        words_a, words_b = set(a.title.lower().split()), set(b.title.lower().split())
        if not shared and not (words_a & words_b) - _FUNCTION_WORDS:
            return "different"
        return None


def half_of(a: Dated, b: Dated) -> str | None:
    assert a.day is not None and b.day is not None
    tuning = (a.day <= TUNING_END, b.day <= TUNING_END)
    return "tuning" if all(tuning) else "held_out" if not any(tuning) else None


def pair_figures(articles: list[Dated], labeller: Labeller) -> dict[str, Any]:
    """Recall and false-merge rate per half and threshold, over every labelled pair."""
    matrix = np.stack([a.centroid for a in articles])
    cosines = matrix @ matrix.T
    scores: dict[str, dict[str, list[float]]] = {h: {"same": [], "different": []} for h in ("tuning", "held_out", "all")}
    for i, j in itertools.combinations(range(len(articles)), 2):
        label = labeller.label(articles[i], articles[j])
        if label is None:
            continue
        scores["all"][label].append(float(cosines[i, j]))
        half = half_of(articles[i], articles[j])
        if half:
            scores[half][label].append(float(cosines[i, j]))
    figures: dict[str, Any] = {}
    for half, by_label in scores.items():
        same, different = np.array(by_label["same"]), np.array(by_label["different"])
        figures[half] = {
            "same_pairs": len(same), "different_pairs": len(different),
            "thresholds": {
                f"{t:.2f}": {"recall": round(float((same >= t).mean()), 3),
                             "false_merge_rate": round(float((different >= t).mean()), 5),
                             "false_merges": int((different >= t).sum())}
                for t in THRESHOLDS
            },
        }
    return figures


def window_figures(articles: list[Dated], labeller: Labeller, threshold: float) -> dict[str, Any]:
    """The window's articles grouped by `group_by_story` at `threshold`, against the labelled pairs."""
    from retrieval.answer.stories import group_by_story

    groups = group_by_story([a.centroid for a in articles], threshold)
    story = {i: n for n, group in enumerate(groups) for i in group}
    counts = {"same": [0, 0], "different": [0, 0]}
    for i, j in itertools.combinations(range(len(articles)), 2):
        label = labeller.label(articles[i], articles[j])
        if label is not None:
            counts[label][0] += story[i] == story[j]
            counts[label][1] += 1
    return {
        "articles": len(articles), "stories": len(groups), "largest": max((len(g) for g in groups), default=0),
        "same_pairs": counts["same"][1], "same_together": counts["same"][0],
        "different_pairs": counts["different"][1], "different_merged": counts["different"][0],
        "multi_article_stories": [[articles[i].title for i in g] for g in groups if len(g) > 1],
    }


def news_dev_articles(service: Any, embed_model: Any) -> tuple[list[Dated], list[Any]]:
    """Every news-dev article with a quotable sentence, its day and the digest's vector for it."""
    from retrieval.answer.digest import DigestWriter
    from retrieval.answer.ranking import SentenceRanker
    from retrieval.text.dates import publication_day

    writer = DigestWriter(SentenceRanker(embed_model, service.store.sentences), sentences=1, max_stories=1)
    records = service.store.documents(with_text=True)
    articles: list[Dated] = []
    kept = []
    for record in records:
        article = writer.article(record)
        if article is None:
            continue
        day = publication_day(record.published)
        articles.append(Dated(record.key, record.title, dt.date.fromordinal(day) if day else None, article.centroid))
        kept.append(record)
    return articles, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, help="where the news-dev index is kept between runs (DIR/citebot)")
    args = parser.parse_args()
    if not news_dev.available():
        raise SystemExit(f"news-dev not found at {news_dev.NEWS_DEV}")
    from retrieval.answer.digest import is_new
    from retrieval.answer.stories import STORY_SIMILARITY
    from retrieval.composition import build_embed_model, build_service
    from retrieval.index.store import CorpusStore
    from retrieval.settings import RetrievalSettings

    embed_model = build_embed_model(RetrievalSettings(_env_file=None))
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        settings = RetrievalSettings(_env_file=None, data_dir=work / "citebot", corpus_dir=news_dev.corpus_dir())
        service = build_service(settings, store=CorpusStore.connect(settings), embed_model=embed_model)
        service.ensure_corpus()
        articles, records = news_dev_articles(service, embed_model)
    labeller = Labeller([a.title for a in articles])
    results: dict[str, Any] = {
        "articles": len(articles), "undated": sum(a.day is None for a in articles),
        "held_out_articles": sum(a.day is not None and a.day > TUNING_END for a in articles),
        "shipped_threshold": STORY_SIMILARITY, "tuning_end": TUNING_END.isoformat(),
        "pairs": pair_figures(articles, labeller), "windows": {},
    }
    print(f"{len(articles)} articles ({results['undated']} undated, {results['held_out_articles']} after {TUNING_END})")
    for half, figures in results["pairs"].items():
        print(f"{half}: {figures['same_pairs']} same-story pairs, {figures['different_pairs']} different-story pairs")
        for t, row in figures["thresholds"].items():
            print(f"  {t}  recall {row['recall']:.3f}  false-merge {row['false_merge_rate']:.5f} ({row['false_merges']})")
    for days, friday in itertools.product(WINDOW_DAYS, WEEKS):
        since = dt.datetime.combine(friday - dt.timedelta(days=days - 1), dt.time(), dt.UTC)
        until = dt.datetime.combine(friday, dt.time.max, dt.UTC)
        window = [a for a, r in zip(articles, records, strict=True) if is_new(r, since, until)]
        by_threshold = {f"{t:.2f}": window_figures(window, labeller, t) for t in sorted({*THRESHOLDS, STORY_SIMILARITY})}
        results["windows"][f"{since.date()}..{friday}"] = by_threshold
        row = by_threshold[f"{STORY_SIMILARITY:.2f}"]
        print(f"{since.date()}..{friday}: {row['articles']} articles -> {row['stories']} stories, largest {row['largest']}, "
              f"same together {row['same_together']}/{row['same_pairs']}, "
              f"different merged {row['different_merged']}/{row['different_pairs']}")
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
