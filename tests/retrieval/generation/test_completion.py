"""An LLM answer completed with the answers the extractive one quotes and it left out."""

from retrieval.generation.completion import completed
from retrieval.models.answers import Citation, Draft
from retrieval.models.article import ArticleMeta

LIU = ("Through a statement quoted by CNN, the spokesman for the Chinese embassy in Washington, Liu Pengyu, "
       "has denied said request.")
PESKOV = "The Kremlin spokesman, Dmitry Peskov, had denied that Moscow asked Beijing for military help."
QUESTION = "Who denied the request?"


def cite(n: int, quote: str, start: int) -> Citation:
    return Citation(n=n, meta=ArticleMeta("us-warns", "US warns allies"), quote=quote, start=start, end=start + len(quote))


EXTRACTIVE = Draft(f"{LIU} [1] {PESKOV} [2]", [cite(1, LIU, 100), cite(2, PESKOV, 900)], False, "extractive")


def test_an_answer_naming_one_of_two_is_completed_with_the_other_quoted_and_cited() -> None:
    written = Draft("China's embassy spokesman Liu Pengyu denied the request [1].", [cite(1, LIU, 100)], False, "llamacpp")
    result = completed(QUESTION, written, EXTRACTIVE)
    assert result.text == f"{written.text} {PESKOV} [2]"
    assert [(c.n, c.quote, c.start) for c in result.citations] == [(1, LIU, 100), (2, PESKOV, 900)]
    assert result.backend == "llamacpp"


def test_an_answer_that_names_each_one_is_left_as_it_is() -> None:
    written = Draft("Liu Pengyu denied it [1]. Peskov also denied it [2].", [cite(1, LIU, 100), cite(2, PESKOV, 900)],
                    False, "llamacpp")
    assert completed(QUESTION, written, EXTRACTIVE) is written


def test_a_question_asking_for_no_phrase_is_not_completed() -> None:
    written = Draft("Liu Pengyu denied the request [1].", [cite(1, LIU, 100)], False, "llamacpp")
    assert completed("What did the spokesmen say about the request?", written, EXTRACTIVE) is written
