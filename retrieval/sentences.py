"""Sentence spans with character offsets, the unit every quote is made of.

Sentences never cross a line break (headlines and subheadings have no final period, and must not
swallow the paragraph below them); within a paragraph, NLTK's trained English Punkt model (shipped in
llama-index's bundled NLTK data) finds the boundaries, so abbreviations like "U.S." don't split.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import llama_index.core
import nltk

_NLTK_DATA = Path(llama_index.core.__file__).parent / "_static" / "nltk_cache"


@dataclass(frozen=True)
class SentenceSpan:
    start: int
    end: int


@lru_cache(maxsize=1)
def _punkt() -> "nltk.tokenize.PunktTokenizer":
    if str(_NLTK_DATA) not in nltk.data.path:
        nltk.data.path.append(str(_NLTK_DATA))
    from nltk.tokenize import PunktTokenizer

    return PunktTokenizer("english")


def sentence_spans(text: str) -> list[SentenceSpan]:
    """Spans of `text` holding one sentence each, stripped of surrounding whitespace."""
    tokenizer = _punkt()
    spans: list[SentenceSpan] = []
    for line in re.finditer(r"[^\n]+", text):
        for start, end in tokenizer.span_tokenize(line.group()):
            piece = line.group()[start:end]
            stripped = piece.strip()
            if not any(ch.isalnum() for ch in stripped):
                continue
            offset = line.start() + start + (len(piece) - len(piece.lstrip()))
            spans.append(SentenceSpan(offset, offset + len(stripped)))
    return spans
