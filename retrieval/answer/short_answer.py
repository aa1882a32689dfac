"""The short answer an answer opens with: the name, place, number or date the question asks for,
cut from the first cited sentence that offers one.

A reader asking "Who beat Littler to become world champion?" wants "Luke Humphries" before the
sentences that support it. The phrase is found by the same rule that ranks sentences
(`language.answer_kinds.answer_phrases`: a phrase of the asked kind, not already in the question,
near the question's words; `short_phrase` trims it), in the quotes of whichever backend's answer is
shown, and it is cut from the stored text by offsets like every quote: a model never types it.
"""

from collections.abc import Sequence

from retrieval.language.answer_kinds import answer_phrases, expected_answer, question_names, question_terms, short_phrase
from retrieval.models.answers import Citation, ShortAnswer


def short_answer(question: str, citations: Sequence[Citation]) -> ShortAnswer | None:
    """The phrase of the kind `question` asks for in the first of `citations` (in answer order)
    whose quote offers one, or None when the question's form asks for no such phrase (what did
    he say?) or no quote offers it."""
    kind = expected_answer(question)
    if kind is None:
        return None
    terms, names = question_terms(question), question_names(question)
    for citation in citations:
        for phrase in answer_phrases(citation.quote, terms, kind):
            span = short_phrase(citation.quote, phrase, kind, names)
            if span is not None:
                start, end = span
                return ShortAnswer(citation.quote[start:end], citation.n, citation.start + start, citation.start + end)
    return None
