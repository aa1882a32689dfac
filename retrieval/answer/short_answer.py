"""The short answer an answer opens with: the name, place, number or date the question asks for,
cut from the first cited sentence that offers one.

A reader asking "Who beat Littler to become world champion?" wants "Luke Humphries" before the
sentences that support it. The phrase is found by the same rule that ranks sentences
(`language.answer_kinds.answer_span`: a phrase of the asked kind, not already in the question,
near the question's words, trimmed to what answers on its own), in the quotes of whichever backend's answer is
shown, and it is cut from the stored text by offsets like every quote: a model never types it.
"""

from collections.abc import Sequence

from retrieval.language.answer_kinds import answer_span, answer_spans, fits_the_asked_noun, refused_as_short_answer
from retrieval.models.answers import Citation, ShortAnswer


def short_answer(question: str, citations: Sequence[Citation], documents: Sequence[str] = ()) -> ShortAnswer | None:
    """The phrase of the kind `question` asks for in the quotes of `citations` (in answer order),
    or None when the question's form asks for no such phrase (what did he say?) or no quote offers
    it. The first phrase of the very thing the question's noun names (`fits_the_asked_noun`: a
    country for "which country …?", a number of what "how many …?" counts) wins wherever it
    stands, else the first quote's phrase nearest the question's words: "German Chancellor Olaf
    Scholz … following months of diplomatic pressure from Kyiv" offers "Kyiv" first, and the third
    quote's "Germany" answers "which country …?". A phrase `answer_kinds.refused_as_short_answer`
    refuses is never the short answer, as for the LLM reader's words: a bold "Capitol" for "in which
    country …?" misleads more than the quotes alone, and so does "According" (written in lower case
    in `documents`, the retrieved articles' texts) for "which newspaper …?"."""
    offered = [(citation, span) for citation in citations for span in answer_spans(question, citation.quote)]
    fitting = [(c, span) for c, span in offered if fits_the_asked_noun(question, c.quote, span)]
    chosen = fitting[0] if fitting else offered[0] if offered else None
    if chosen is None:
        return None
    citation, (start, end) = chosen
    if refused_as_short_answer(question, citation.quote, (start, end), documents):
        return None
    return ShortAnswer(citation.quote[start:end], citation.n, citation.start + start, citation.start + end)


def answer_words(question: str, citation: Citation) -> str | None:
    """The phrase of the kind `question` asks for that `citation`'s quote offers, or None."""
    span = answer_span(question, citation.quote)
    return citation.quote[span[0] : span[1]] if span is not None else None
