"""What a follow-up asks: the query that is retrieved and answered for one turn of a conversation."""

import re
from collections.abc import Sequence

from retrieval.answer_types import NAME, form_terms
from retrieval.bm25 import analyse, stopword_set
from retrieval.extractive import MARKER, spoken_form
from retrieval.generation.answerer import LLMAnswerer
from retrieval.generation.backends import LLMError
from retrieval.models import FollowUp
from retrieval.questions import refers_back
from retrieval.subjects import named_subjects

Turn = tuple[str, str]
"""One earlier (question, answer) exchange of a conversation."""


_JOINED_TURNS = 3
"""At most this many earlier questions are joined to a follow-up: a conversation's older turns are
usually about something else."""
_PERSONAL = re.compile(r"\b(?:he|him|she)\b", re.IGNORECASE)


def changes_subject(question: str, history: Sequence[Turn]) -> bool:
    """Whether `question` starts a new subject rather than following up: it does not refer back
    (`refers_back`) and what it names, the conversation has not mentioned. In a terminal session or
    a Discord thread, "What caused the flooding in California?" after "Why was the Bills-Bengals
    game cancelled?" was searched with the earlier question joined and answered about the game.
    "What did China say?" after "What did Russia ask China for?" still follows up."""
    subjects = named_subjects(question)
    if not history or not subjects or refers_back(question):
        return False
    said = "\n".join(f"{earlier}\n{answer}" for earlier, answer in history).lower()
    return not any(subject.mentioned_in(said) for subject in subjects)


def joined_question(question: str, history: Sequence[Turn]) -> str:
    """A follow-up with the earlier questions it depends on before it: what is searched without an
    LLM rewrite. That is the previous question, and the one before it for as long as each joined
    question refers back and names nothing of its own: in "When was the meeting in Rome?", "How
    long did it last?", "Who attended it?", the third is about the meeting only the first names.
    Joining further back than that dilutes the search: "since when has it maintained the clock?"
    after "how close to midnight is it now?" lost its passage when a third question came along."""
    asked = [question]
    for earlier, _ in reversed(history[-_JOINED_TURNS:]):
        asked.insert(0, earlier)
        if not refers_back(earlier) or set(analyse(earlier)) - form_terms(earlier):
            break
    return " ".join(asked)


async def standalone_query(question: str, history: Sequence[Turn], llm: LLMAnswerer | None) -> str:
    """The question itself when it starts a conversation. For a follow-up, the LLM's standalone
    rewrite ("what did he say?" → "what did Dmitry Peskov say?"); without an LLM, or when its
    rewrite is unusable (`LLMAnswerer.rewrite_follow_up` says when), the follow-up joined to the
    previous question, so that what it refers to is searched for too."""
    if not history:
        return question
    joined = joined_question(question, history)
    if llm is None:
        return joined
    try:
        return await llm.rewrite_follow_up(history, question)
    except LLMError:
        return joined


def follow_up_of(question: str, history: Sequence[Turn], query: str) -> FollowUp | None:
    """How the answer to `question` must differ from a first question's: None when it starts the
    conversation. With a standalone rewrite (`query` is not the joined question) the rewrite is
    what is answered; otherwise the follow-up's own words are, with the name of the person its "he"
    or "she" stands for (`person_referred_to`)."""
    if not history:
        return None
    own = query
    if query == joined_question(question, history):
        person = person_referred_to(question, history)
        own = f"{question} {person}" if person else question
    return FollowUp(own, tuple(spoken_form(answer) for _, answer in history))


def person_referred_to(question: str, history: Sequence[Turn]) -> str | None:
    """Who "he", "him" or "she" in a follow-up naming nobody is: the last person the
    latest question naming one names, or else the first person its answer's first sentence names
    ("Who is the Kremlin spokesman?" answered "From Moscow, the Kremlin spokesman, Dmitry Peskov,
    had denied …", then "what did he deny?"). A follow-up's own words rank its answer, and "where
    did he say this?" alone was answered with any sentence saying something somewhere."""
    if not _PERSONAL.search(question) or _names(question):
        return None
    for earlier, answer in reversed(history[-_JOINED_TURNS:]):
        if asked := _names(earlier):
            return asked[-1]
        if answered := _names(MARKER.split(answer, maxsplit=1)[0]):
            return answered[0]
    return None


def _names(text: str) -> list[str]:
    """Runs of two or more capitalised words, without a capitalised stopword opening them ("From
    Moscow" is no name, "Dmitry Peskov" is)."""
    found = []
    for match in NAME.finditer(text):
        words = match.group().split()
        while words and words[0].lower() in stopword_set():
            words.pop(0)
        if len(words) >= 2:
            found.append(" ".join(words))
    return found
