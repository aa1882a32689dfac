"""Follow-ups: search uses the conversation to find what a follow-up refers to, but each answer is
ranked for its own question and does not quote again what the conversation already said."""

from retrieval.conversation import follow_up_of
from retrieval.extractive import spoken_form
from retrieval.models import CitedAnswer, FollowUp
from retrieval.service import AnswerService


def _converse(service: AnswerService, questions: list[str]) -> list[CitedAnswer]:
    history: list[tuple[str, str]] = []
    answers = []
    for question in questions:
        answer = service.ask(question, history=history)
        answers.append(answer)
        history.append((question, answer.answer))
    return answers


def _requoted(answers: list[CitedAnswer]) -> list[str]:
    """Quotes of each answer that an earlier answer of the conversation already gave."""
    return [
        citation.quote
        for turn, answer in enumerate(answers)
        for citation in answer.citations
        if any(spoken_form(citation.quote) in spoken_form(earlier.answer) for earlier in answers[:turn])
    ]


def test_each_turn_of_a_three_turn_conversation_answers_its_own_question(shared_service: AnswerService):
    asked, warned, denied = _converse(
        shared_service, ["What did Russia ask China for?", "and what did the US warn?", "who denied it?"]
    )
    assert "military support" in asked.answer
    assert "consequences" in warned.answer and "military support" not in warned.answer
    assert "Liu Pengyu" in denied.answer
    assert _requoted([asked, warned, denied]) == []


def test_a_follow_up_naming_nobody_still_finds_its_referent(shared_service: AnswerService):
    meeting, attended = _converse(shared_service, ["How long did the meeting in Rome last?", "who attended it?"])
    assert "eight hours" in meeting.answer
    assert "Jake Sullivan" in attended.answer and "Yang Jiechi" in attended.answer


def test_the_only_answer_is_quoted_again_rather_than_abstaining(shared_service: AnswerService):
    first, again = _converse(
        shared_service, ["How long did the meeting in Rome last?", "How long did the meeting in Rome last?"]
    )
    assert not again.abstained and "eight hours" in again.answer
    assert "eight hours" in first.answer


def test_the_follow_up_is_ranked_for_its_own_words_or_its_standalone_rewrite():
    history = [("Who denied the request?", "Peskov denied it [1].")]
    joined = "Who denied the request? and what did he say?"
    assert follow_up_of("and what did he say?", [], "and what did he say?") is None
    assert follow_up_of("and what did he say?", history, joined) == FollowUp("and what did he say?", ("peskov denied it.",))
    rewrite = "What did Dmitry Peskov say?"
    assert follow_up_of("and what did he say?", history, rewrite) == FollowUp(rewrite, ("peskov denied it.",))
