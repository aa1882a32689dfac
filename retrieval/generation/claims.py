"""An LLM's answer read as claims: its finished sentences, each with the passage numbers its markers
cite, so that the citation check judges one claim at a time and a stream shows each sentence only
once it is complete."""

import re
from dataclasses import dataclass

from retrieval.text.markers import MARKER, without_markers
from retrieval.text.sentences import sentence_spans

_LEADING_MARKERS = re.compile(r"^(\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")


_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Claim:
    """One sentence of an LLM answer, without its markers, and the source numbers it cites."""

    text: str
    markers: list[int]


def finished_sentences(answer: str) -> str:
    """The part of an answer still being written whose sentences are complete: all but its last
    sentence, which may still grow, with the markers that open the last one (`split_claims` gives
    them to the sentence before). "" while the first sentence is being written."""
    spans = sentence_spans(answer)
    if len(spans) < 2:
        return ""
    last = spans[-1].start
    leading = _LEADING_MARKERS.match(answer[last:])
    return answer[: last + leading.end()] if leading else answer[:last].rstrip()


def split_claims(answer: str) -> list[Claim]:
    """Sentences of an LLM answer with the markers they carry.

    Markers that open a sentence ("… request. [1] Russia …") belong to the sentence before, when
    that one has none of its own: models often put the citation after the full stop. Sentences
    without markers take those of the next marked sentence of their paragraph: small models cite
    once, at the end of a paragraph, for everything it says.
    """
    claims: list[Claim] = []
    for paragraph in _PARAGRAPH.split(answer):
        found: list[Claim] = []
        for span in sentence_spans(paragraph):
            piece = paragraph[span.start : span.end]
            leading = _LEADING_MARKERS.match(piece)
            if leading and found and not found[-1].markers:
                found[-1] = Claim(found[-1].text, _numbers(leading.group()))
                piece = piece[leading.end() :]
            text = without_markers(piece)
            if any(ch.isalnum() for ch in text):
                found.append(Claim(text, _numbers(piece)))
        inherited: list[int] = []
        for index in range(len(found) - 1, -1, -1):
            if found[index].markers:
                inherited = found[index].markers
            elif inherited:
                found[index] = Claim(found[index].text, inherited)
        claims.extend(found)
    return claims


def _numbers(text: str) -> list[int]:
    found: list[int] = []
    for group in MARKER.findall(text):
        for number in re.split(r"[,;]", group):
            if int(number) not in found:
                found.append(int(number))
    return found
