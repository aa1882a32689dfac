"""The numbered citation markers of an answer's text ("… denied it [1][2]."): the one format the
extractive answerer writes, the LLM is asked to write, the citation check reads and conversations
strip to read an earlier answer as prose."""

import re

# A citation marker as answers write them: `[1]`, `[2, 3]`. A document's own (or planted) markers are
# taken out of the answer text, so every marker a reader sees names one of the answer's citations.
MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


def without_markers(text: str) -> str:
    """`text` on one line with its `[n]` markers removed, and no space left before punctuation."""
    text = " ".join(MARKER.sub(" ", text).split())
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    # "… on Monday 14 March, [1]." leaves a comma before the full stop.
    return re.sub(r"[,;:]+([.!?])", r"\1", text)


def spoken_form(text: str) -> str:
    """`text` as it reads in an answer, lower-cased: how a sentence already given is recognised."""
    return without_markers(text).lower()
