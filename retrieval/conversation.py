"""What a follow-up asks: the query that is retrieved and answered for one turn of a conversation."""

from collections.abc import Sequence

from retrieval.extractive import spoken_form
from retrieval.generation.answerer import LLMAnswerer
from retrieval.generation.backends import LLMError
from retrieval.models import FollowUp

Turn = tuple[str, str]
"""One earlier (question, answer) exchange of a conversation."""


def joined_question(question: str, history: Sequence[Turn]) -> str:
    """A follow-up with the previous question before it: what is searched without an LLM rewrite."""
    return f"{history[-1][0]} {question}"


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
    what is answered; otherwise the follow-up's own words are."""
    if not history:
        return None
    own = question if query == joined_question(question, history) else query
    return FollowUp(own, tuple(spoken_form(answer) for _, answer in history))
