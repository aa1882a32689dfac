"""An LLM answer completed with the answers it left out.

When the sources give several answers (two denials, both sides), a small model often writes one:
"Who denied the request?" got Liu Pengyu's denial only, where the extractive answer quotes Liu
Pengyu's and Peskov's. A fluent answer that drops half of what the sources say is worse than the
quotes it replaced. So the checked LLM answer is compared with the extractive one: each extractive
sentence that offers an answer phrase of the asked kind (`answer.short_answer`'s rule) that the LLM
answer neither says nor cites is added after it, quoted as stored, with a citation of its own.
Nothing added is model text.
"""

import re
from dataclasses import replace

from retrieval.answer.citing import answer_sentence
from retrieval.answer.short_answer import answer_words
from retrieval.models.answers import Citation, Draft
from retrieval.text.markers import without_markers


def completed(question: str, written: Draft, extractive: Draft) -> Draft:
    """`written` (a checked LLM draft) with the sentences of `extractive` whose answer to `question`
    it lacks appended, numbered after its own citations; `written` itself when it lacks none."""
    said = without_markers(written.text).lower()
    cited = {(c.doc_id, c.start, c.end) for c in written.citations}
    added: list[Citation] = []
    for citation in extractive.citations:
        words = answer_words(question, citation)
        if words is None or _says(said, words) or (citation.doc_id, citation.start, citation.end) in cited:
            continue
        added.append(replace(citation, n=len(written.citations) + len(added) + 1))
        said += " " + citation.quote.lower()
    if not added:
        return written
    text = written.text + "".join(f" {answer_sentence(c.quote.strip())} [{c.n}]" for c in added)
    return replace(written, text=text, citations=[*written.citations, *added])


def _says(text: str, words: str) -> bool:
    """Whether `text` (lower-case) gives the answer `words`: as they are, or by their last word, as
    an answer names "Dmitry Peskov" once and "Peskov" after."""
    last = words.split()[-1].lower()
    return words.lower() in text or (len(last) > 2 and re.search(rf"\b{re.escape(last)}\b", text) is not None)
