"""Follow-ups: search uses the conversation to find what a follow-up refers to, but each answer is
ranked for its own question and does not quote again what the conversation already said."""

from retrieval.conversation import follow_up_of
from retrieval.language.follow_ups import (
    ConversationTurn,
    changes_subject,
    joined_question,
    person_referred_to,
    spelled_out,
    turn_of,
)
from retrieval.models.answers import CitedAnswer, FollowUp
from retrieval.service import AnswerService
from retrieval.text.markers import spoken_form


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


def test_a_chain_of_follow_ups_keeps_the_referent_named_two_turns_back(shared_service: AnswerService):
    when, how_long, attended = _converse(
        shared_service, ["When was the meeting in Rome?", "How long did it last?", "Who attended it?"]
    )
    assert "this Monday in Rome" in when.answer
    assert "eight hours" in how_long.answer
    assert not attended.abstained
    assert "Jake Sullivan" in attended.answer and "Yang Jiechi" in attended.answer


def test_a_vague_follow_up_is_answered_about_the_conversation(shared_service: AnswerService):
    """"where did he say this?" shares few words with any sentence; ranked for its own words alone it
    quoted "We have seen China basically give its tacit assent to what Moscow is doing ..."."""
    _, relationship, where = _converse(
        shared_service,
        ["What did Ned Price say about China?", "what kind of relationship does China have with Russia, according to him?",
         "where did he say this?"],
    )
    assert "special" in relationship.answer
    assert "Price" in where.answer and "tacit assent" not in where.answer


def test_earlier_questions_are_joined_back_past_those_naming_nothing():
    history = [
        ("What did Russia ask China for?", "…"),
        ("When was the meeting in Rome?", "…"),
        ("How long did it last?", "…"),
    ]
    assert joined_question("Who attended it?", history) == (
        "When was the meeting in Rome? How long did it last? Who attended it?"
    )
    assert joined_question("and what did the US warn?", history[:1]) == (
        "What did Russia ask China for? and what did the US warn?"
    )
    naming_something = [("Who sets the Doomsday Clock?", "…"), ("how close to midnight is it now?", "…")]
    assert joined_question("since when has it maintained the clock?", naming_something) == (
        "how close to midnight is it now? since when has it maintained the clock?"
    ), "a follow-up naming something of its own is where the search stops"
    naming_nothing = [("How long did it last?", "…")] * 5
    assert joined_question("who?", naming_nothing).count("How long did it last?") == 3


def test_the_only_answer_is_quoted_again_rather_than_abstaining(shared_service: AnswerService):
    first, again = _converse(
        shared_service, ["How long did the meeting in Rome last?", "How long did the meeting in Rome last?"]
    )
    assert not again.abstained and "eight hours" in again.answer
    assert "eight hours" in first.answer


def test_the_follow_up_is_ranked_for_its_own_words_or_its_standalone_rewrite():
    history = [("Who denied the request?", "Peskov denied it [1].")]
    joined = "Who denied the request? and what did he say?"
    assert follow_up_of(turn_of("and what did he say?", []), "and what did he say?") is None
    turn = turn_of("and what did he say?", history)
    assert follow_up_of(turn, joined) == FollowUp("and what did he say?", ("peskov denied it.",))
    rewrite = "What did Dmitry Peskov say?"
    assert follow_up_of(turn, rewrite) == FollowUp(rewrite, ("peskov denied it.",))


def test_he_or_she_is_the_person_the_latest_question_or_its_answer_names():
    asked_by_name = [("What did Ned Price say about China?", "This was indicated by Ned Price [1].")]
    assert person_referred_to("where did he say this?", asked_by_name) == "Ned Price"
    answered = [("Who is the Kremlin spokesman?", "From Moscow, the Kremlin spokesman, Dmitry Peskov, had denied it. [1] "
                 "Liu Pengyu denied it too. [2]")]
    assert person_referred_to("what did he deny?", answered) == "Dmitry Peskov"
    assert person_referred_to("what did she deny?", [("Who is the spokesman?", "The Kremlin denied it [1].")]) is None
    assert person_referred_to("what did it deny?", answered) is None  # "it" is no person
    assert person_referred_to("did he meet Yang Jiechi?", answered) is None  # the follow-up names its own


def test_after_a_who_question_he_is_the_person_its_answer_gives_not_the_first_one_named():
    """The held-out trial's case: the answer opens with a sentence naming no one, and the person it
    gives as the denier is in its second sentence."""
    denial = [("Who denied the request?",
               "On Monday, Russia denied having requested financial or military aid. [1] Through a statement quoted by "
               "CNN, the spokesman for the Chinese embassy in Washington, Liu Pengyu, has denied said request. [2]")]
    assert person_referred_to("What did he say about Ukraine?", denial) == "Liu Pengyu"
    briefing = [("Who briefed the allies?", "Ned Price, the State Department spokesman, said the allies were briefed. [1]")]
    assert person_referred_to("what did he tell them?", briefing) == "Ned Price"


def test_the_follow_up_ranks_with_the_person_it_refers_to():
    history = [("Who denied the request?", "Dmitry Peskov denied it [1].")]
    joined = "Who denied the request? what did he say?"
    assert follow_up_of(turn_of("what did he say?", history), joined) == FollowUp(
        "what did he say? Dmitry Peskov", ("dmitry peskov denied it.",)
    )


def test_a_question_naming_what_the_conversation_has_not_mentioned_changes_the_subject():
    history = [("Why was the Bills-Bengals game cancelled?", "The NFL's cancellation of the Bills-Bengals game is rare. [1]")]
    assert changes_subject("What caused the flooding in California?", history)
    assert not changes_subject("What did the NFL say?", history), "named before"
    assert not changes_subject("and what happened in California?", history), "an opening 'and' follows up"
    assert not changes_subject("why did it flood?", history), "names nothing"
    assert not changes_subject("What caused the flooding in California?", [])


def test_a_question_changing_the_subject_is_answered_as_if_asked_first(shared_service: AnswerService):
    """Joined to the previous question, a new subject's question was searched and answered partly
    about the old one (in a terminal session: the flooding in California answered about a football
    game). A follow-up naming what the conversation mentioned still joins it."""
    first = "What did Russia ask China for?"
    history = [(first, shared_service.ask(first).answer)]
    for question in ("What did Jake Sullivan say on CNN?", "Where did Sullivan meet Yang Jiechi?"):
        alone, after = shared_service.ask(question), shared_service.ask(question, history=history)
        assert [p.chunk_id for p in after.passages] == [p.chunk_id for p in alone.passages]
        assert [c.quote for c in after.citations] == [c.quote for c in alone.citations]
    assert not changes_subject("What did China say?", history)


def test_a_follow_up_naming_only_something_else_asks_the_previous_question_about_it():
    layoffs = [("How many employees is Microsoft laying off?", "Microsoft is laying off 10,000 employees. [1]")]
    assert spelled_out("and Google?", layoffs) == "How many employees is Google laying off?"
    assert spelled_out("and Amazon?", [("Google laid off how many people?", "12,000. [1]")]) == (
        "Amazon laid off how many people?"
    ), "a first word that is no stopword is a name"
    assert spelled_out("What about Amazon?", [*layoffs, ("and Google?", "…")]) == "How many employees is Amazon laying off?"
    tanks = [("How many tanks is Germany sending to Ukraine?", "14 Leopard tanks. [1]")]
    assert spelled_out("and the US?", tanks) == "How many tanks is the US sending to Ukraine?"
    assert spelled_out("and Germany?", [("How many tanks is the US sending?", "31. [1]")]) == (
        "How many tanks is Germany sending?"
    )
    awards = [("Who won best actor in a drama at the Golden Globes?", "Austin Butler. [1]")]
    assert spelled_out("and best actress?", awards) == "Who won best actress in a drama at the Golden Globes?"
    assert spelled_out("and the Oscars?", awards) == "Who won best actor in a drama at the Oscars?"
    assert spelled_out("and in 2021?", awards) == "Who won best actor in a drama at the Golden Globes? in 2021"
    russia = [("What did Russia ask China for?", "Military aid. [1]"), ("and what did China say?", "It denied it. [1]")]
    assert spelled_out("and Russia?", russia) == "what did Russia say?"


def test_a_follow_up_name_is_looked_for_as_a_whole_word():
    """"us" is in "russia": "and the US?" was taken for a name the question already had, and shown as
    "What did Russia ask China for? the US"."""
    assert spelled_out("and the US?", [("What did Russia ask China for?", "Military aid. [1]")]) == (
        "What did the US ask China for?"
    )
    assert spelled_out("and the Kremlin?", [("What did the Kremlin deny?", "It denied it. [1]")]) == (
        "What did the Kremlin deny? the Kremlin"
    ), "a name the question has is asked about again, as before"


def test_a_follow_up_with_words_of_its_own_is_not_spelled_out():
    awards = [("Who won best actor in a drama at the Golden Globes?", "Austin Butler. [1]")]
    for question in ("and what did he say?", "and did he win?", "and then?", "and he?", "what about it?", "and Google?"):
        assert spelled_out(question, awards if question != "and Google?" else []) == question
    assert spelled_out("and what about the tanks he sent to the front line last week?", awards).startswith("and what")


def test_a_spelled_out_follow_up_is_searched_without_the_question_it_repeats():
    """It holds that question whole: joined to it, "and Bessie Hendricks?" after "How old was Pope
    Benedict when he died?" was searched mostly for the pope."""
    first = ("How old was Pope Benedict when he died?", "He died at 95. [1]")
    assert turn_of("and Bessie Hendricks?", [first]) == ConversationTurn(
        "How old was Bessie Hendricks when he died?", (), (first,)
    )
    scores = ("How many points did Donovan Mitchell score?", "71 points. [1]")
    assists = ("how many assists did he have?", "11 assists. [1]")
    assert turn_of("and rebounds?", [scores, assists]) == ConversationTurn(
        "how many assists did he have? rebounds", (scores,), (scores, assists)
    ), "one new word replaces nothing it can tell; the question it repeats still leans on the first"


def test_and_beijing_is_answered_as_the_same_question_about_beijing(shared_service: AnswerService):
    """A spelled-out follow-up over the shipped corpus: "and Beijing?" after a question about what
    Moscow denied is answered as the same question about Beijing."""
    first, second = _converse(shared_service, ["What did the Kremlin deny?", "and Beijing?"])
    alone = shared_service.ask("What did Beijing deny?")
    assert not second.abstained and ("China" in second.answer or "Beijing" in second.answer)
    assert [p.chunk_id for p in second.passages] == [p.chunk_id for p in alone.passages]
