"""The LLM as a reader (retrieval/generation/reader.py): its reply read against the candidates it
was shown, and through the service the answer led by the sentence it chose, with the answer words
cut from that stored sentence. The model is a scripted OpenAI-compatible server that reads the
prompt it is sent; the real model's test is tests/retrieval/generation/test_local_llm.py."""

import re

import pytest

from retrieval.generation.errors import LLMError
from retrieval.generation.reader import ReaderChoice, parse_choice
from retrieval.language.places import COUNTRY
from retrieval.models.answers import CitedAnswer
from retrieval.service import AnswerService
from tests.support.loopback import LoopbackServer, Reply
from tests.support.scripted_llm import sse_chunk

SENTENCES = [
    "Through a statement quoted by CNN, the spokesman Liu Pengyu has denied said request.",
    "The meeting took place in an armored hotel and lasted more than eight hours.",
]


def at(index: int, words: str) -> ReaderChoice:
    """The choice of candidate `index` whose answer words are `words`."""
    start = SENTENCES[index].index(words)
    return ReaderChoice(index, (start, start + len(words)))


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Liu Pengyu | 1", at(0, "Liu Pengyu")),
        ("“more than eight hours”. | 2", at(1, "more than eight hours")),
        ("lasted more than eight hours | [2]\nBecause the source says so.", at(1, "lasted more than eight hours")),
        ("1 | the spokesman", at(0, "the spokesman")),
        ("eight hours | 1", at(1, "eight hours")),
        ("Liu Pengyu", at(0, "Liu Pengyu")),
        ("Dmitry Peskov | 1", ReaderChoice(0, None)),
        ("2", ReaderChoice(1, None)),
        (f"{SENTENCES[1]} | 2", ReaderChoice(1, None)),
    ],
    ids=["words-and-number", "quoted-words", "bracketed-number-and-reasons", "number-first", "words-of-another-one",
         "words-only", "words-in-none", "number-only", "a-whole-sentence"],
)
def test_a_reply_names_the_candidate_holding_its_answer_words(reply: str, expected: ReaderChoice) -> None:
    choice = parse_choice(reply, SENTENCES)
    assert choice == expected
    if choice.phrase is not None:
        start, end = choice.phrase
        assert SENTENCES[choice.index][start:end].lower() in reply.lower()


@pytest.mark.parametrize("reply", ["None of them answers.", "Rome | 3", "0 | nothing", ""])
def test_a_reply_that_points_at_no_shown_candidate_is_refused(reply: str) -> None:
    with pytest.raises(LLMError):
        parse_choice(reply, SENTENCES)


class ReadingModel:
    """A model behind an OpenAI-compatible stream that answers `words` from the numbered source
    holding `target` in the prompt it is sent (or replies `reply` as it is)."""

    def __init__(self, target: str = "", words: str = "", reply: str = "") -> None:
        self.prompts: list[str] = []
        self._target, self._words, self._reply = target, words, reply
        self._server = LoopbackServer(self._respond)
        self.url = f"{self._server.url}/v1"

    def close(self) -> None:
        self._server.close()

    def _respond(self, method: str, path: str, body: object) -> Reply:
        assert isinstance(body, dict)
        prompt = body["messages"][-1]["content"]
        self.prompts.append(prompt)
        reply = self._reply
        if not reply:
            sources = re.findall(r'^\[(\d+)\] [^\n]*\n"""\n(.*?)\n"""', prompt, re.M | re.S)
            number = next(n for n, text in sources if self._target in text)
            reply = f"{self._words} | {number}"
        return 200, {"Content-Type": "text/event-stream"}, [sse_chunk(reply), b"data: [DONE]\n\n"]


def ask_reading(model: ReadingModel, llm_service_factory, question: str) -> tuple[AnswerService, CitedAnswer]:
    """`question` asked of a fresh service whose LLM is `model`, as reader; the model is closed after."""
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=model.url, llm_role="reader")
        return service, service.ask(question)
    finally:
        model.close()


@pytest.mark.slow
def test_the_answer_opens_with_the_sentence_the_reader_chose_and_its_words(llm_service_factory) -> None:
    model = ReadingModel(target="Peskov", words="Dmitry Peskov")
    service, answer = ask_reading(model, llm_service_factory, "Who denied the request?")
    assert (answer.backend, answer.fallback_reason) == ("openai-reader", "")
    assert len(model.prompts) == 1 and "Question: Who denied the request?" in model.prompts[0]
    lead = answer.citations[0]
    assert "Peskov" in lead.quote and answer.answer.startswith(lead.quote.rstrip(".")[:40])
    assert answer.short_answer is not None and answer.short_answer.text == "Dmitry Peskov"
    assert service.document_text(lead.doc_id)[answer.short_answer.start : answer.short_answer.end] == "Dmitry Peskov"
    for citation in answer.citations:
        assert service.document_text(citation.doc_id)[citation.start : citation.end] == citation.quote


@pytest.mark.slow
def test_the_readers_words_are_no_short_answer_when_they_are_not_what_the_question_names(llm_service_factory) -> None:
    model = ReadingModel(target="embassy in Washington", words="Washington")
    _, answer = ask_reading(model, llm_service_factory, "Which country denied having requested military aid?")
    assert answer.backend == "openai-reader" and "Washington" in answer.citations[0].quote
    assert answer.short_answer is None or COUNTRY.fullmatch(answer.short_answer.text)


@pytest.mark.slow
def test_the_readers_word_opening_a_sentence_is_no_short_answer(llm_service_factory) -> None:
    model = ReadingModel(target="According to the first information", words="According")
    _, answer = ask_reading(model, llm_service_factory, "Which newspaper first reported that Russia asked China for help?")
    assert answer.backend == "openai-reader" and answer.citations[0].quote.startswith("According")
    assert answer.short_answer is None or answer.short_answer.text != "According"


@pytest.mark.slow
def test_the_readers_number_a_change_started_from_is_no_short_answer(llm_service_factory, tmp_path) -> None:
    article = tmp_path / "doomsday-clock.md"
    article.write_text(
        "---\ntitle: Doomsday Clock moves closer to midnight\npublished: 2023-01-24\n---\n\n"
        "The time on the Doomsday Clock moved forward from 100 seconds to midnight to 90 seconds to midnight.\n",
        encoding="utf-8",
    )
    model = ReadingModel(target="Doomsday Clock moved forward", words="100 seconds")
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=model.url, llm_role="reader")
        service.ingest([article])
        answer = service.ask("The Doomsday Clock moved to how many seconds to midnight?")
    finally:
        model.close()
    assert answer.backend == "openai-reader" and "from 100 seconds" in answer.citations[0].quote
    assert answer.short_answer is not None and answer.short_answer.text == "90 seconds"


@pytest.mark.slow
def test_a_reader_that_chooses_nothing_leaves_the_extractive_answer_and_says_why(llm_service_factory) -> None:
    model = ReadingModel(reply="I think none of these sources answers the question.")
    _, answer = ask_reading(model, llm_service_factory, "Who denied the request?")
    extractive = llm_service_factory(llm_backend="extractive").ask("Who denied the request?")
    assert answer.backend == "extractive" and answer.fallback_reason == "the model's reply named no candidate sentence"
    assert answer.answer == extractive.answer
    assert "I think" not in answer.answer


@pytest.mark.slow
def test_an_abstention_is_not_put_to_the_reader(llm_service_factory) -> None:
    model = ReadingModel(reply="Paris | 1")
    _, answer = ask_reading(model, llm_service_factory, "What did the French president say about the Eiffel Tower repairs?")
    assert answer.abstained and model.prompts == []
