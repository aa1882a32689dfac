"""What a follow-up asks: the query that is retrieved and answered for one turn of a conversation."""

from collections.abc import Sequence

from retrieval.generation.answerer import LLMAnswerer
from retrieval.generation.errors import LLMError
from retrieval.language.follow_ups import ConversationTurn, Turn, joined_question, person_referred_to
from retrieval.models.answers import FollowUp
from retrieval.text.markers import spoken_form


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


def follow_up_of(turn: ConversationTurn, query: str) -> FollowUp | None:
    """How the answer to `turn` must differ from a first question's: None when nothing was said
    before it. With a standalone rewrite (`query` is not the joined question) the rewrite is what
    is answered; otherwise the turn's own question is, with the name of the person its "he" or
    "she" stands for (`person_referred_to`)."""
    if not turn.said:
        return None
    own = query
    if turn.follows and query == joined_question(turn.question, turn.follows):
        person = person_referred_to(turn.question, turn.follows)
        own = f"{turn.question} {person}" if person else turn.question
    return FollowUp(own, tuple(spoken_form(answer) for _, answer in turn.said))


