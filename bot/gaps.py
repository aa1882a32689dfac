"""Coverage gaps: the questions the articles did not answer (abstained, or answered and voted 👎),
grouped by what they asked about, so an admin knows what to add. Shared by `/gaps` and `citebot gaps`.

A question's subjects are what the subject gate found no article mentions, when it found any (the
corpus lacks exactly that), else what the question names or, naming nothing, its words
(`retrieval.asked_about`, where the rules of English live)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage import GapQuestion
from retrieval import asked_about


@dataclass(frozen=True)
class Gap:
    """One thing people asked about that the articles do not cover: its questions (newest first,
    each once) and how many abstained or got a 👎."""

    subject: str
    questions: tuple[str, ...]
    abstained: int
    downvoted: int

    @property
    def count(self) -> int:
        """How many times it was asked (a question asked twice counts twice)."""
        return self.abstained + self.downvoted

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "count": self.count, "abstained": self.abstained,
                "downvoted": self.downvoted, "questions": list(self.questions)}


def subjects_of(question: GapQuestion) -> tuple[str, ...]:
    return question.unmentioned or asked_about(question.question)


def coverage_gaps(questions: Sequence[GapQuestion]) -> list[Gap]:
    """`questions` grouped by subject (case aside; a question naming two is under both), the most
    asked first, then the most recently asked."""
    grouped: dict[str, list[GapQuestion]] = {}
    names: dict[str, str] = {}
    for question in sorted(questions, key=lambda q: -q.created_at):
        for subject in subjects_of(question):
            key = subject.casefold()
            names.setdefault(key, subject)
            grouped.setdefault(key, []).append(question)
    gaps = [
        Gap(names[key], tuple(dict.fromkeys(q.question for q in asked)),
            abstained=sum(q.abstained for q in asked), downvoted=sum(not q.abstained for q in asked))
        for key, asked in grouped.items()
    ]
    latest = {key: max(q.created_at for q in asked) for key, asked in grouped.items()}
    return sorted(gaps, key=lambda gap: (-gap.count, -latest[gap.subject.casefold()]))
