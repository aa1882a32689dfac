"""Answer types: what a question's form asks for, and whether a sentence offers it, something the
question does not already say, near the question's own words."""

import pytest

from retrieval.answer_types import DURATION, ENTITY, NAME, NUMBER, PLACE, TIME, expected_answer, offers_answer
from retrieval.bm25 import analyse


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How long did the talks between Sullivan and Yang go on?", DURATION),
        ("How many weeks has the war lasted?", DURATION),
        ("Who denied the request?", NAME),
        ("How many ballots named Rolen?", NUMBER),
        ("How old was Ardern when she was elected?", NUMBER),
        ("When do the cookies reach stores?", TIME),
        ("On which day of the week did Sullivan speak on CNN?", TIME),
        ("Where will the ceremonies take place?", PLACE),
        ("Which country's prime minister resigned?", PLACE),
        ("In which journal was the study published?", ENTITY),
        ("Which company announced layoffs?", ENTITY),
        ("What did Peskov say?", None),
        ("What did Peskov answer when asked about the request?", None),
        ("and who denied it?", NAME),
        ("Written by whom?", NAME),
        ("Is the pier open?", None),
    ],
)
def test_the_question_form_names_the_kind_of_answer(question: str, kind) -> None:
    assert expected_answer(question) is kind


def _offers(sentence: str, question: str) -> bool:
    kind = expected_answer(question)
    assert kind is not None
    return offers_answer(sentence, set(analyse(question)), kind)


def test_a_duration_near_the_question_words_is_an_answer() -> None:
    question = "How long did the meeting in Rome last?"
    assert _offers("The meeting in the Italian capital lasted more than eight hours.", question)
    assert not _offers("Sullivan raised the issue in his meeting in Rome with Yang Jiechi.", question)


def test_a_phrase_the_question_already_says_answers_nothing() -> None:
    question = "Which state does Kevin McCarthy represent?"
    assert not _offers("Republicans balked at Kevin McCarthy as speaker of the state house.", question)
    assert _offers("Kevin McCarthy represents a district in California, his home state.", question)


def test_a_name_far_from_the_question_words_belongs_to_someone_else() -> None:
    question = "Who denied the request?"
    assert _offers("From Moscow, the Kremlin spokesman, Dmitry Peskov, had denied it.", question)
    far = "Dmitry Peskov spoke at length about the weather, the markets, the sanctions and the long winter, and then denied it."
    assert not _offers(far, question)


def test_dates_in_their_usual_forms_answer_when() -> None:
    question = "When does the new cookie arrive in stores?"
    assert _offers("The cookies begin arriving in stores starting Jan. 30.", question)
    assert _offers("The cookie arrives in stores on 30 January.", question)
    assert not _offers("The cookie arrives in stores soon, the brand said.", question)
