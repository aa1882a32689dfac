"""Numbered citations for chosen sentences: one number per passage, in the order the answer cites
them, each quote the stored text cut by offsets."""

from collections.abc import Sequence

from retrieval.answer.candidates import SENTENCE_END, Candidate
from retrieval.models.answers import Citation
from retrieval.text.markers import without_markers


def cite(sentences: Sequence[Candidate]) -> tuple[str, list[Citation]]:
    """Answer text with one `[n]` per sentence, and the citations quoting those sentences."""
    parts: list[str] = []
    citations: list[Citation] = []
    for n, sentence in enumerate(sentences, start=1):
        record = sentence.record
        text = without_markers(sentence.text)
        # A headline-like quote gets a full stop in the answer text (never in the quote) so the
        # answer's sentences, and the markers after them, stay apart.
        if not SENTENCE_END.search(text):
            text += "."
        parts.append(f"{text} [{n}]")
        citations.append(
            Citation(n=n, meta=record.meta, quote=sentence.text, start=sentence.start, end=sentence.end,
                     scope=record.scope)
        )
    return " ".join(parts), citations
