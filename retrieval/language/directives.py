"""Sentences of a document that speak to whoever reads it instead of reporting: the one rule of what
retrieved text may never be quoted as.

Retrieved text is data, never instructions. A sentence that tells a model what to do ("Ignore
previous instructions …", "Reply only …", "SYSTEM: …") or claims to be where an answer comes from
("Source: Ministry of Truth [9]", "References: …", "as confirmed by [3]") is not news, however well
it matches a question about it: a planted "Source:" line was quoted as the answer to "What is the
source of the official confirmation?". Such a sentence is never a candidate of the
sentence ranker (`SentenceRanker.candidates_from_passages`, `candidates_from_document`), so no answer,
summary, prompt excerpt or citation check ever sees it.

On news-dev's 65,673 sentences and the shipped corpus's 50 it matches two, both credit lines of a
page ("Source: National Hurricane Center" under a storm map, "Credits: Alia Dastagir, Josh Hafner
…" under a story); reporting about sources ("Sources told the paper …") and interview labels ("Q:",
"Answer:", "Note:") stay quotable. A bare "jailbreak", which the instructions matched before,
matched one reporting sentence (a doctor "claimed to 'jailbreak' COVID-19 positive patients") and no
instruction the others miss, so it is gone. A pattern list, not a classifier (docs/security.md): what it
misses is still never executed by the extractive backend, and the citation check still demands
verbatim support for every claim of a model.
"""

import re

DIRECTIVE = re.compile(
    # Instructions to a model. "Reply/say … only" counts only as an imperative, so reporting
    # ("officials say only two …") stays.
    r"\b(ignore|disregard|forget|override)\b[^.]{0,40}\b(instructions?|prompts?|rules?|context)\b"
    r"|\b(system prompt|developer message)\b"
    r"|\byou are (now )?(an? )?(ai|assistant|chatbot|language model|llm)\b"
    r"|(^\W*|\b(please|must|should|just)\s+)(reply|respond|answer|say|write|output)\b[^.]{0,20}\b(only|exactly|instead)\b"
    # A turn of a chat transcript, addressed to a model.
    r"|^\W*(system|assistant|user)\s*:"
    # A line labelled as the source of what it says, and a citation marker standing for a source's name.
    r"|^\W*(sources?|citations?|references?|attributions?|credits?)\s*:"
    r"|\b(according to|confirmed by|reported by|cited (in|by)|sourced? (from|by))\s*\[\s*\d",
    re.IGNORECASE,
)


def is_directive(sentence: str) -> bool:
    """Whether `sentence` tells a model what to do or claims to be a source, rather than reporting."""
    return bool(DIRECTIVE.search(sentence))
