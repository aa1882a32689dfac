"""The LLM as a reader: it answers in the fewest words copied from numbered candidate sentences,
and says which one it copied them from.

Ranking by shared words and meaning puts the sentence that restates a question above the one that
holds its answer ("Littler participated in two WDF events" over "Humphries beat Littler 7-4"); a
model reading the candidates tells them apart. Reading is cheaper than writing (a few words and a
number out) and needs no citation check: the answer is the corpus's own sentences, the one holding
the model's words first, and the short answer is those words cut from that stored sentence by
offsets. The model never types text a reader sees (docs/citations.md, "The reader").
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.generation.errors import LLMError

_NUMBER = re.compile(r"^\W*\[?(\d{1,2})\]?\W*$")
_QUOTES = "\"'“”‘’`*"
MAX_ANSWER_WORDS = 8
"""Longer "answer words" are a sentence copied whole: no short answer."""


@dataclass(frozen=True)
class ReaderChoice:
    """The candidate the model's answer comes from (0-based) and where its answer words stand in
    that sentence (None when it gave none short enough to be a short answer)."""

    index: int
    phrase: tuple[int, int] | None


def parse_choice(reply: str, sentences: Sequence[str]) -> ReaderChoice:
    """The model's reply ("Luke Humphries | 3"; the number first is read too) against the candidates
    it was shown: the one holding its words (the one it names, if that one does), else the one it
    names. Raises `LLMError` when the reply points at no candidate: then the ranking's order stands."""
    first_line = next((line for line in reply.strip().splitlines() if line.strip()), "")
    parts = [part.strip() for part in first_line.split("|")]
    numbers = [int(m[1]) for part in parts if (m := _NUMBER.match(part))]
    words = " ".join(part for part in parts if not _NUMBER.match(part)).strip().strip(_QUOTES).rstrip(".").strip(_QUOTES)
    named = numbers[0] - 1 if numbers and 1 <= numbers[0] <= len(sentences) else None
    order = ([named] if named is not None else []) + [i for i in range(len(sentences)) if i != named]
    if words:
        for index in order:
            start = sentences[index].lower().find(words.lower())
            if start >= 0:
                short = len(words.split()) <= MAX_ANSWER_WORDS and len(words) < len(sentences[index]) / 2
                return ReaderChoice(index, (start, start + len(words)) if short else None)
    if named is None:
        raise LLMError("the model's reply named no candidate sentence")
    return ReaderChoice(named, None)
