"""Sentence spans with character offsets, the unit every quote is made of.

Sentences never cross a line break (headlines and subheadings have no final period, and must not
swallow the paragraph below them); within a paragraph, NLTK's trained English Punkt model (shipped in
llama-index's bundled NLTK data) finds the boundaries, so abbreviations like "U.S." don't split;
titles of news it lacks are added ("Gov."; `NEWS_TITLES`), and a number's label is mended ("No. 1").

Punkt leaves two kinds of pieces that read badly as quotes, and both are repaired here: a piece that
starts with the punctuation of the sentence before it (". . . He said", ":Kevin McCarthy ...") starts
at its first word instead, and a piece that starts with a lowercase word ("he asks." after
`possible?”`, "is causing 13%" after "BQ.1.1.") is the rest of the sentence before it and joins it.

A sentence is at most `MAX_SENTENCE_CHARS` long: a longer one is cut into pieces at spaces
(`bounded`), so that a text without sentence punctuation cannot make one quote of a whole file.
"""

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nltk


def _nltk_data() -> Path:
    """Found without importing llama-index (commands that load no model import none of it)."""
    spec = find_spec("llama_index.core")
    if spec is None or spec.origin is None:
        raise ImportError("llama-index-core is not installed")
    return Path(spec.origin).parent / "_static" / "nltk_cache"


NLTK_DATA = _nltk_data()
"""NLTK's data as llama-index bundles it (Punkt's tables, the stopword lists): no download."""


# Punctuation and space a quote must not start with (what Punkt leaves of the sentence before).
_LEADING = re.compile(r"^[\s.,;:…]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SentenceSpan:
    start: int
    end: int


NEWS_TITLES = frozenset({"gov", "govs", "rev", "sgt", "capt", "cmdr", "cpl", "pvt", "supt", "atty"})
"""Titles before a name that Punkt's English model does not know as abbreviations ("Sen.", "Rep.",
"Gen." and "Lt." it knows): "Florida Gov. Ron DeSantis signed it" was cut after "Gov.", and the
quote of its second half began "Ron DeSantis signed it". news-dev's articles write "Gov. X" 381 times."""
_NUMBERED = re.compile(r"\b(?:No|Nos|Art|Fig|Vol)\.$")
"""A number's label ("Italy's No. 1 fugitive", "Art. 5"), which Punkt ends a sentence at. Not an
abbreviation for Punkt, which would then keep "The U.S. said no. Mr. Price spoke" together; a
piece starting with a digit after one is joined to it instead (281 such numbers in news-dev)."""
_CLOCK = re.compile(r"\b[ap]\.m\.$")
_TIME_ZONE = re.compile(r"(?:[ECMP][SD]?T|AK[SD]?T|HS?T|GMT|UTC|BST|CES?T|AE[SD]T)\b")
"""A time of day's zone after "a.m." or "p.m.": Punkt ends a sentence there and starts the next at
the zone ("8:30 p.m." | "ET on Tuesday, according to FAA advisories."), so a quote began "ET on
Tuesday"; news-dev writes "p.m. ET" and the like about 90 times."""


MAX_SENTENCE_CHARS = 600
"""The longest span a quote is made of. A text without sentence punctuation was one 284,063-character
"sentence", quoted whole as an answer (issue 33). Of news-dev's 65,669 sentences 3 are longer (lists
of Oscar winners and of test sites, a prayer; 11 are longer than 500, 84 than 400), of the shipped
corpus's 50 none (the longest is 376)."""


@lru_cache(maxsize=1)
def _punkt() -> "nltk.tokenize.PunktTokenizer":
    """Imported when first needed: `import nltk` imports SciPy and scikit-learn on the way (0.6 s of
    a cold `citebot ask`), and a question reads its sentences' spans from the store instead
    (`SentenceVectorTable.sentence_spans`)."""
    import nltk
    from nltk.tokenize import PunktTokenizer

    if str(NLTK_DATA) not in nltk.data.path:
        nltk.data.path.append(str(NLTK_DATA))

    tokenizer = PunktTokenizer("english")
    # Punkt's private parameters are the only way NLTK offers to extend its abbreviation list.
    tokenizer._params.abbrev_types.update(NEWS_TITLES)
    return tokenizer


def sentence_spans(text: str) -> list[SentenceSpan]:
    """Spans of `text` holding one sentence each, stripped of surrounding whitespace."""
    tokenizer = _punkt()
    spans: list[SentenceSpan] = []
    for line in re.finditer(r"[^\n]+", text):
        on_this_line = 0
        for start, end in tokenizer.span_tokenize(line.group()):
            piece = line.group()[start:end]
            lead = len(piece) - len(_LEADING.sub("", piece, count=1))
            stripped = piece[lead:].rstrip()
            if not any(ch.isalnum() for ch in stripped):
                continue
            offset = line.start() + start + lead
            if on_this_line and (
                _continues(stripped) or _numbered(stripped, text, spans[-1]) or _zoned(stripped, text, spans[-1])
            ):
                spans[-1] = SentenceSpan(spans[-1].start, offset + len(stripped))
                continue
            spans.append(SentenceSpan(offset, offset + len(stripped)))
            on_this_line += 1
    return [piece for span in spans for piece in bounded(text, span.start, span.end)]


def bounded(text: str, start: int, end: int, limit: int = MAX_SENTENCE_CHARS) -> list[SentenceSpan]:
    """The stripped span `text[start:end]` whole when at most `limit` characters long, else cut at
    spaces into the fewest pieces that fit, as even as the words allow (a 620-character list reads as
    two halves, not as 600 characters and a fragment); a run of `limit` characters without a space is
    cut where it reaches the limit. Each piece is a stripped span of `text` holding a word character,
    so a quote made of one stays verbatim. Also applied to the spans an ingest stored before the
    limit existed (`SentenceRanker.spans`)."""
    pieces: list[SentenceSpan] = []
    while end - start > limit:
        even = start + math.ceil((end - start) / math.ceil((end - start) / limit))
        spaces = [m.start() for m in _SPACE.finditer(text, start + 1, start + limit + 1)]
        before = [s for s in spaces if s <= even]
        cut = before[-1] if before else spaces[0] if spaces else start + limit
        pieces.append(SentenceSpan(start, cut))
        gap = _SPACE.match(text, cut)
        start = gap.end() if gap else cut
    pieces.append(SentenceSpan(start, end))
    return [p for p in pieces if any(ch.isalnum() for ch in text[p.start : p.end])]


def _continues(piece: str) -> bool:
    """A piece starting with a lowercase word belongs to the sentence before it; a brand written
    lowercase-then-capital ("iPhone", "eBay") starts a sentence of its own."""
    return piece[0].islower() and not (len(piece) > 1 and piece[1].isupper())


def _zoned(piece: str, text: str, previous: SentenceSpan) -> bool:
    """A piece starting with a time zone after one ending with "a.m." or "p.m." continues it."""
    return bool(_TIME_ZONE.match(piece)) and bool(_CLOCK.search(text[previous.start : previous.end]))


def _numbered(piece: str, text: str, previous: SentenceSpan) -> bool:
    """A piece starting with a digit after one ending with a number's label ("No.") continues it."""
    return piece[0].isdigit() and bool(_NUMBERED.search(text[previous.start : previous.end]))
