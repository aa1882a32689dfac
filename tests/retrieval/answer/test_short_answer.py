"""The short answer an answer opens with: the asked-for phrase, cut from a cited quote by offsets."""

import pytest

from retrieval.answer.short_answer import short_answer
from retrieval.models.answers import Citation
from retrieval.models.article import ArticleMeta

DENIAL = "On Monday, Russia denied having requested financial or military aid."
SPOKESMAN = (
    "In recent days, the spokesman for the Chinese Embassy in Washington, Liu Pengyu, had made it known "
    "that he had not heard anything about the request."
)
STATEMENT = (
    "Through a statement quoted by CNN, the spokesman for the Chinese embassy in Washington, Liu Pengyu, has denied "
    "said request saying that “he had never heard anything about it”."
)
MEETING = (
    "The meeting took place in an armored hotel in the Italian capital, lasted more than eight hours – "
    "with an hour and a half break for lunch – behind closed doors."
)


def _citations(*quotes: str) -> list[Citation]:
    """Citations quoting `quotes` from one document whose text is them in order."""
    citations, start = [], 100
    for n, quote in enumerate(quotes, start=1):
        document = ArticleMeta("doc", "Talks in Rome")
        citations.append(Citation(n=n, meta=document, quote=quote, start=start, end=start + len(quote)))
        start += len(quote) + 1
    return citations


@pytest.mark.parametrize(
    ("question", "quotes", "expected", "n"),
    [
        ("Who denied the request?", (DENIAL, STATEMENT), "Liu Pengyu", 2),
        ("Who is the spokesman of the Chinese embassy?", (SPOKESMAN,), "Liu Pengyu", 1),
        ("How long did the meeting in Rome last?", (MEETING,), "eight hours", 1),
        ("How long was the lunch break during the meeting?", (MEETING,), "an hour and a half", 1),
        ("How many hours did the meeting last?", (MEETING,), "eight hours", 1),
        ("By how much will the Pell grant rise?", ("The law increases the maximum Pell grant award by $500.",), "$500", 1),
        ("How much is the jackpot?", ("The jackpot grew to $1.35 billion after Tuesday's drawing.",), "$1.35 billion", 1),
        ("The Doomsday Clock moved to how many seconds to midnight?",
         ("The time on the Doomsday Clock moved forward from 100 seconds to midnight to 90 seconds to midnight.",),
         "90 seconds", 1),
        ("Where did the meeting take place?", ("The meeting took place in Rome on Monday.",), "Rome", 1),
        ("Who defeated Jair Bolsonaro in Brazil's presidential election?",
         ("October 30 - Luiz Inácio Lula da Silva is elected the next president of Brazil, defeating his rightwing "
          "rival, incumbent Jair Bolsonaro, by a razor-thin margin.",),
         "Luiz Inácio Lula da Silva", 1),
        ("How many people were killed in the blast?", ("Police said 40 were killed in the blast.",), "40", 1),
        ("Which Australian state was flooded?", ("Homes were flooded in Queensland on Monday.",), "Queensland", 1),
        ("What is the title of the Golden Globe-winning film directed by Steven Spielberg?",
         ('The Fabelmans took home the Drama category, Spielberg\'s "The Fabelmans" won best director.',),
         "The Fabelmans", 1),
        ("Which film has bagged the most nominations?",
         ("With Michelle Yeoh, 'Everything Everywhere All At Once' was nominated in 10 categories.",),
         "Everything Everywhere All At Once", 1),
    ],
)
def test_the_short_answer_is_the_asked_for_phrase_of_the_first_quote_offering_one(
    question: str, quotes: tuple[str, ...], expected: str, n: int
) -> None:
    citations = _citations(*quotes)
    short = short_answer(question, citations)
    assert short is not None and (short.text, short.n) == (expected, n)
    quoted = citations[n - 1]
    assert quoted.quote[short.start - quoted.start : short.end - quoted.start] == short.text, "cut by offsets"


@pytest.mark.parametrize(
    ("question", "quotes", "expected", "n"),
    [
        ("Which country said it will send tanks to Ukraine following weeks of diplomatic pressure?",
         ("Scholz said his country would provide 14 tanks, in a move that follows months of diplomatic pressure from Kyiv.",
          "Following months of hesitancy, Germany this week agreed to send 14 of its tanks to Ukraine."), "Germany", 2),
        ("Burger chain In-N-Out announced this week it was expanding to which state?",
         ("McDonald's unveils a new burger in Canada.",
          "The chain announced Tuesday that it is expanding to Tennessee."), "Tennessee", 2),
        ("Benedict was the first pope to resign from the role in how many centuries?",
         ("Benedict shocked the world by resigning in 2013.",
          "He resigned unexpectedly in 2013, the first pope to do so in six centuries."), "six", 2),
    ],
    ids=["country", "us-state", "counted-noun"],
)
def test_a_phrase_of_the_very_thing_the_question_names_wins_over_an_earlier_quotes(
    question: str, quotes: tuple[str, ...], expected: str, n: int
) -> None:
    short = short_answer(question, _citations(*quotes))
    assert short is not None and (short.text, short.n) == (expected, n)


@pytest.mark.parametrize(
    ("question", "quotes"),
    [
        ("What did Peskov say about the request?", (DENIAL,)),
        ("Why did Russia deny it?", (DENIAL,)),
        ("Who collected Peskov's words?", ("The words of Dmitri Peskov were collected on Monday.",)),
        ("When did the talks happen?", ("The talks happened this week, officials said.",)),
        ("Which film got the most nominations?", ("Its tally of nominations is the highest ever.",)),
        ("Hundreds of people were arrested in which country after government buildings were attacked?",
         ("Police arrested hundreds of rioters in the Capitol on Sunday.",)),
        ("Which country experienced a nationwide power outage this week?",
         ("Thousands lost power in North Carolina after the substations were shot at.",)),
        ("How many weeks has the war lasted so far?", ("The meeting in Rome lasted more than eight hours.",)),
        ("What is the name of Prince Harry's memoir?", ("His memoir was leaked early by a Spanish retailer.",)),
    ],
    ids=["no-short-form", "cause", "a-name-the-question-writes", "no-named-day", "sentence-opening-word",
         "not-a-country", "a-state-for-a-country", "not-what-is-counted", "no-quoted-title"],
)
def test_no_short_answer_where_the_question_or_the_quotes_give_none(question: str, quotes: tuple[str, ...]) -> None:
    assert short_answer(question, _citations(*quotes)) is None


def test_a_capitalised_word_the_articles_write_in_lower_case_is_no_short_answer() -> None:
    quote = "According to the first information published this weekend in US media, Russia asked China for help."
    question = "Which newspaper first reported that Russia asked China for help?"
    article = f"{quote} The report, according to officials, was accurate."
    short = short_answer(question, _citations(quote))
    assert short is not None and short.text == "According", "without the articles, the word passes as a name"
    assert short_answer(question, _citations(quote), [article]) is None
