"""The news-dev development benchmark (`../shared/news-dev`, beside the checkout; never copied here).

764 real news articles of January 2023 and 120 multiple-choice questions from RealTime QA; the gold
answer string occurs in the corpus for 95 of them, and only those are scored (its README). An
answer is correct when the gold string is in the answer or its quotes and no other choice is.
"""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NEWS_DEV = REPO.parent / "shared" / "news-dev"


@dataclass(frozen=True)
class NewsQuestion:
    id: str
    question: str
    answer: str
    choices: list[str]

    @property
    def asked_on(self) -> dt.date:
        """The day of the question's week (its id starts with it: `20230106_0`): "this week" is that week."""
        day = self.id.split("_")[0]
        return dt.date(int(day[:4]), int(day[4:6]), int(day[6:8]))


def available() -> bool:
    return (NEWS_DEV / "questions.jsonl").is_file() and (NEWS_DEV / "corpus").is_dir()


def corpus_dir() -> Path:
    return NEWS_DEV / "corpus"


def questions(scorable_only: bool = True) -> list[NewsQuestion]:
    """The questions, by default only those whose gold answer string occurs in the corpus."""
    rows = [json.loads(line) for line in (NEWS_DEV / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [NewsQuestion(str(r["id"]), r["question"], r["answer"], list(r["choices"])) for r in rows]
    if not scorable_only:
        return items
    corpus = " ".join(p.read_text(encoding="utf-8").lower() for p in sorted(corpus_dir().glob("*.md")))
    return [item for item in items if item.answer.lower() in corpus]


def answer_is_correct(item: NewsQuestion, text: str) -> bool:
    """The gold string in `text` (the answer and its quotes), and no other choice."""
    lowered = text.lower()
    others = [c for c in item.choices if c.lower() != item.answer.lower()]
    return item.answer.lower() in lowered and not any(c.lower() in lowered for c in others)


def gold_rank(item: NewsQuestion, passages: list[str]) -> int | None:
    """1-based rank of the first passage containing the gold string (recall@k, MRR)."""
    return next((rank for rank, text in enumerate(passages, start=1) if item.answer.lower() in text.lower()), None)
