"""Numbered citations for chosen sentences: one number per passage, in the order the answer cites
them, each quote the stored text cut by offsets."""

from collections.abc import Sequence

from retrieval.answer.candidates import SENTENCE_END, Candidate
from retrieval.models.answers import Citation
from retrieval.text.markers import without_markers


def answer_sentence(quote: str) -> str:
    """A quote as a sentence of an answer's text: a headline-like one gets a full stop (never in the
    quote itself), so the answer's sentences, and the markers after them, stay apart."""
    text = without_markers(quote)
    return text if SENTENCE_END.search(text) else text + "."


def cite(sentences: Sequence[Candidate]) -> tuple[str, list[Citation]]:
    """Answer text with one `[n]` per sentence, and the citations quoting those sentences."""
    parts: list[str] = []
    citations: list[Citation] = []
    for n, sentence in enumerate(sentences, start=1):
        record = sentence.record
        parts.append(f"{answer_sentence(sentence.text)} [{n}]")
        citations.append(
            Citation(n=n, meta=record.meta, quote=sentence.text, start=sentence.start, end=sentence.end,
                     scope=record.scope)
        )
    return " ".join(parts), citations
