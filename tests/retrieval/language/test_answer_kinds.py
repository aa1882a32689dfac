"""Answer types: what a question's form asks for, and whether a sentence offers it, something the
question does not already say, near the question's own words."""

import pytest

from retrieval.language.answer_kinds import (
    CAUSE,
    DATE,
    DURATION,
    ENTITY,
    NAME,
    NUMBER,
    PLACE,
    TIME,
    TITLE,
    AnswerSentence,
    contradicts_the_asked_noun,
    counted_noun,
    counts,
    expected_answer,
    form_terms,
    left_behind,
    missing_answer,
    offers_answer,
    written_as_a_common_word,
)
from retrieval.language.vocabulary import analyse, stem_words


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
        ("On what date are the induction ceremonies held this year?", DATE),
        ("Where will the ceremonies take place?", PLACE),
        ("Which country's prime minister resigned?", PLACE),
        ("In which European country is Andrew Tate held?", PLACE),
        ("Which US state does McCarthy represent?", PLACE),
        ("What was the state of the economy?", None),
        ("Which part of the state is seeing the heaviest rain?", PLACE),
        ("In which journal was the study published?", ENTITY),
        ("Which company announced layoffs?", ENTITY),
        ("What did Peskov say?", None),
        ("What did Peskov answer when asked about the request?", None),
        ("and who denied it?", NAME),
        ("Written by whom?", NAME),
        ("Is the pier open?", None),
        ("Why did Southwest cancel so many flights?", CAUSE),
        ("What caused the flooding in California?", CAUSE),
        ("What did Peskov say about why he left?", None),
        ("What is the name of Prince Harry's memoir?", ENTITY),
        ("What is the film that won Michelle Yeoh a Golden Globe called?", ENTITY),
        ("What's the title of the new list?", ENTITY),
        ("What did they name the dog?", None),
    ],
)
def test_the_question_form_names_the_kind_of_answer(question: str, kind) -> None:
    assert expected_answer(question) is kind


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("What type of weapons is Moscow said to want from Beijing?", {"type"}),
        ("What kinds of documents did the State Department send?", {"kind"}),
        ("How long did the talks go on?", {"long"}),
        ("How long will the sanctions last?", {"long", "last"}),
        ("How long did the talks in Rome take?", {"long", "take"}),
        ("On which day of the week did Sullivan speak on CNN?", {"day"}),
        ("How many weeks has the war lasted?", set()),
        ("Who denied the request?", set()),
        ("Which kind of weather event cut the power?", {"kind"}),
    ],
)
def test_words_that_only_ask_for_a_form_are_not_what_the_question_is_about(question: str, form: set[str]) -> None:
    assert form_terms(question) == set(stem_words(sorted(form)))


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("Benedict was the first pope to resign in how many centuries?", "century"),
        ("How many US states have restricted TikTok?", "states"),
        ("Around how many UK households are at risk of defaulting?", "households"),
        ("How many Oscar nominations did the film receive?", "nominations"),
        ("McCarthy was elected after how many rounds of voting?", "rounds"),
        ("How many did he score?", None),
        ("How long did the talks go on?", None),
    ],
)
def test_a_how_many_question_counts_the_last_word_before_its_verb(question: str, noun: str | None) -> None:
    assert counted_noun(question) == (stem_words([noun])[0] if noun else None)


@pytest.mark.parametrize(
    ("question", "text", "phrase", "contradicts"),
    [
        ("In which country were hundreds arrested?", "Police arrested hundreds in the Capitol.", "Capitol", True),
        ("Which country had a power outage?", "Thousands lost power in North Carolina.", "North Carolina", True),
        ("Which country had a power outage?", "Pakistan had a nationwide power outage.", "Pakistan", False),
        ("In-N-Out is expanding to which US state?", "It is expanding to Canada.", "Canada", True),
        ("In-N-Out is expanding to which state?", "It is expanding to Tennessee.", "Tennessee", False),
        ("Which Australian state was flooded?", "Floods hit Queensland on Monday.", "Queensland", False),
        ("How many weeks has the war lasted?", "The meeting lasted eight hours.", "eight hours", True),
        ("How many weeks has the war lasted?", "It had an hour and a half break.", "an hour and a half", True),
        ("How many weeks has the war lasted?", "The war is in its third week.", "third week", False),
        ("How many households are at risk?", "About 9 million mortgage holders are at risk.", "9 million", True),
        ("How many people were killed?", "Police said 40 were killed.", "40", False),
        ("How many people were killed?", "The blast killed 40 people.", "40", False),
        ("Which film got the most nominations?", "Michelle Yeoh was nominated.", "Michelle Yeoh", False),
        ("How old was Ardern when she was elected?", "Ardern was elected in 2017.", "2017", True),
        ("How old was Ardern when she was elected?", "Ardern was elected at 37.", "37", False),
        ("How many troops were sent?", "They sent 2000 troops.", "2000", False),
    ],
    ids=[
        "not-a-country", "a-state-for-a-country", "a-country", "not-a-us-state", "a-us-state", "another-countrys-state",
        "other-units", "other-units-with-an-article", "the-asked-unit", "other-things", "nothing-else-counted",
        "the-counted-thing", "no-checkable-noun", "a-year-for-an-age", "an-age", "a-count-like-a-year",
    ],
)
def test_a_phrase_plainly_not_of_the_asked_noun_contradicts_it(
    question: str, text: str, phrase: str, contradicts: bool
) -> None:
    start = text.index(phrase)
    assert contradicts_the_asked_noun(question, text, (start, start + len(phrase))) is contradicts


DOOMSDAY = "The time on the Doomsday Clock moved forward from 100 seconds to midnight to 90 seconds to midnight."


@pytest.mark.parametrize(
    ("question", "text", "phrase", "left"),
    [
        ("How many seconds to midnight is the clock set at?", DOOMSDAY, "100 seconds", True),
        ("How many seconds to midnight is the clock set at?", DOOMSDAY, "90 seconds", False),
        ("From how many seconds to midnight did the clock move?", DOOMSDAY, "100 seconds", False),
        ("How much is the jackpot?", "The jackpot rose from an estimated $940 million to $1.35 billion.", "$940 million",
         True),
        ("How many deaths were reported?", "Officials said the number of deaths increased from 31 to 34.", "31", True),
        ("How long was he archbishop?", "He was archbishop of Munich from 1977 to 1982.", "1977", False),
        ("How large were the doses?", "The doses, which ranged from 500 to 2,000 micrograms, were lethal.", "500", False),
        ("Where did the cable go?", "The cable was sent from Washington to governments in Europe.", "Washington", False),
    ],
    ids=["the-value-left", "the-value-reached", "asked-what-it-was", "an-amount", "a-count", "a-range-of-years",
         "a-range-of-amounts", "not-a-number"],
)
def test_the_number_a_change_started_from_is_left_behind(question: str, text: str, phrase: str, left: bool) -> None:
    start = text.index(phrase)
    assert left_behind(question, text, (start, start + len(phrase))) is left


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ('The Oscars really love "Everything Everywhere All at Once."', ['"Everything Everywhere All at Once."']),
        ("Oscar nominations full list: 'Everything Everywhere,' 'Banshees'", ["'Everything Everywhere,'", "'Banshees'"]),
        ("Drake played “Marvin's Room” and “One Dance”.", ["“Marvin's Room”", "“One Dance”"]),
        ("The pope is “lucid and vigilant”, the Vatican said.", []),
        ('"We will not allow that to go ahead," Sullivan said.', []),
        ("Harry's brother's wife is 'difficult', he wrote.", []),
    ],
    ids=["double-quotes", "single-quotes", "curly-quotes", "a-quoted-remark", "a-quoted-sentence", "apostrophes"],
)
def test_a_title_is_a_quoted_run_of_capitalised_words(text: str, titles: list[str]) -> None:
    assert [m.group() for m in TITLE.finditer(text)] == titles


@pytest.mark.parametrize(
    ("phrase", "common"),
    [("According", True), ("Researchers", True), ("Amazon", False), ("US", False), ("New York", False)],
)
def test_a_capitalised_word_the_articles_also_write_in_lower_case_is_a_common_word(phrase: str, common: bool) -> None:
    articles = [
        "According to the first information published in US media, Amazon will cut jobs in New York.",
        "The researchers said the core had stopped turning, according to the study; it worries us.",
    ]
    assert written_as_a_common_word(phrase, articles) is common


def test_a_number_of_the_counted_thing_is_told_apart_from_other_numbers() -> None:
    centuries = counted_noun("… the first pope to resign in how many centuries?")
    assert centuries is not None
    assert counts("He was the first pope to do so in six centuries.", centuries)
    assert counts("The first in 6 centuries.", centuries)
    assert not counts("Benedict, whose death at 95 was announced Saturday, resigned in 2013.", centuries)
    assert counts("The film received 11 Oscar nominations.", stem_words(["nominations"])[0])


def _offers(sentence: str, question: str) -> bool:
    kind = expected_answer(question)
    assert kind is not None
    return offers_answer(sentence, set(analyse(question)), kind)


def test_a_duration_near_the_question_words_is_an_answer() -> None:
    question = "How long did the meeting in Rome last?"
    assert _offers("The meeting in the Italian capital lasted more than eight hours.", question)
    assert not _offers("Sullivan raised the issue in his meeting in Rome with Yang Jiechi.", question)


def test_a_duration_anywhere_in_a_sentence_sharing_the_question_words_is_an_answer() -> None:
    question = "How long was Sullivan's meeting with Yang Jiechi?"
    assert _offers("The meeting took place in an armored hotel in the Italian capital, lasted more than eight hours.",
                   question)
    assert not _offers("The meeting took place in an armored hotel in the Italian capital.", question)


def test_a_cause_anywhere_in_a_sentence_sharing_the_question_words_is_an_answer() -> None:
    question = "Why did Southwest cancel so many flights?"
    assert _offers("It has admitted it was having service problems caused by short staffing even before the "
                   "thousands of canceled flights stranded hundreds of thousands of passengers.", question)
    assert _offers("Southwest blamed the meltdown on bad weather.", question)
    assert not _offers("Southwest canceled more than 2,500 flights.", question), "a restatement says no why"
    assert not _offers("The airline cut prices because of demand.", "Why did the mayor resign?"), "no word of the question"


def test_a_cause_is_never_demanded_of_an_answer() -> None:
    answer = [AnswerSentence("Southwest canceled 2,500 flights.")]
    assert missing_answer("Why did Southwest cancel so many flights?", answer) is None


def test_a_sentence_continuing_the_one_naming_the_subject_may_answer_without_its_words() -> None:
    question = "How long did the talks between Sullivan and Yang Jiechi go on?"
    terms = set(analyse(question))
    sentence = "The meeting took place in an armored hotel, lasted more than eight hours."
    assert offers_answer(sentence, terms, DURATION, continues=True)
    assert not offers_answer(sentence, terms, DURATION)
    assert not offers_answer("The meeting took place in an armored hotel.", terms, DURATION, continues=True)


def test_a_phrase_the_question_already_says_answers_nothing() -> None:
    question = "Which state does Kevin McCarthy represent?"
    assert not _offers("Republicans balked at Kevin McCarthy as speaker of the state house.", question)
    assert _offers("Kevin McCarthy represents a district in California, his home state.", question)


def test_a_name_far_from_the_question_words_belongs_to_someone_else() -> None:
    question = "Who denied the request?"
    assert _offers("From Moscow, the Kremlin spokesman, Dmitry Peskov, had denied it.", question)
    far = "Dmitry Peskov spoke at length about the weather, the markets, the sanctions and the long winter, and then denied it."
    assert not _offers(far, question)


def test_a_country_or_state_answers_where_it_stands_in_the_sentence() -> None:
    terms = set(analyse("In addition to the US, which country said it will send tanks to Ukraine?"))
    assert offers_answer("Germany this week agreed to send 14 of its Leopard 2 tanks to Ukraine.", terms, PLACE)
    assert offers_answer("South Sudan agreed to send tanks.", terms, PLACE)
    assert not offers_answer("The chancellor agreed to send tanks to Ukraine.", terms, PLACE)


def test_a_place_may_be_part_of_a_named_one() -> None:
    terms = set(analyse("Which part of the state is seeing the storm's heaviest rain?"))
    assert offers_answer("The storm was expected to dump up to 6 inches of rain in parts of the San Francisco Bay Area.",
                         terms, PLACE)


def test_dates_in_their_usual_forms_answer_when() -> None:
    question = "When does the new cookie arrive in stores?"
    assert _offers("The cookies begin arriving in stores starting Jan. 30.", question)
    assert _offers("The cookie arrives in stores on 30 January.", question)
    assert not _offers("The cookie arrives in stores soon, the brand said.", question)


# An answer without the phrase its question asks for is an abstention, for the decisive kinds only.


@pytest.mark.parametrize(
    ("question", "sentences", "missing"),
    [
        ("How many troops did China send?", ["Russia asked China for troops and drones."], "number"),
        ("How many troops did China send?", ["China sent 300 troops, the ministry said."], None),
        ("How long did the talks last?", ["The talks in Rome were tense."], "length of time"),
        ("How long did the talks last?", ["The talks lasted more than eight hours."], None),
        ("When did the harbour reopen?", ["The harbour reopened after repairs."], "date"),
        ("Who chairs the orchard cooperative?", ["The orchard cooperative elected a chair."], "name"),
        ("Who chairs the orchard cooperative?", ["The orchard cooperative elected Marta Quell as its chair."], None),
        # Looser than the ranking's patterns: a wrong "missing" would refuse a right answer.
        ("When does the harbour close?", ["The harbour of Valdora closes at noon."], None),
        ("When did the talks end?", ["The talks ended last week, officials said."], None),
        ("Who denied the request?", ["Peskov denied it on Monday."], None),
        ("How long has she led the party?", ["She has led it since 2014."], None),
        ("How long has she led the party?", ["She has led it for years."], None),
        # A time unit naming a point in time is no length of time.
        ("How long has Liu been the spokesman?", ["In recent days, the spokesman, Liu, said nothing."], "length of time"),
        ("How long has Liu been the spokesman?", ["This week the spokesman, Liu, said nothing."], "length of time"),
        ("How many people were arrested?", ["Dozens were arrested after the protest."], None),
        ("Who chairs the orchard cooperative?", ["The cooperative has a chair."], "name"),
        ("How long did Peskov speak?", ["Peskov was asked for military assistance."], "length of time"),
        ("How long did Peskov speak?", ["Peskov spoke for two hours."], None),
        ("How many ferries sank?", ["Officials said 5 ferries sank."], None),
        # An amount of money: a currency sign, a currency's name or a scale, not any number.
        ("What was Orvane's quarterly revenue?", ["Orvane's stock was up more than 2% on Friday."], "amount of money"),
        ("What was Orvane's quarterly revenue?", ["Orvane reported revenue of $76 billion."], None),
        ("What was Orvane's quarterly revenue?", ["Orvane's revenue grew a 5 percent."], "amount of money"),
        ("What was Orvane's quarterly revenue?", ["Orvane reported revenue of A$76 million."], None),
        ("How much does the ferry ticket cost?", ["A ticket costs 40 euros, the company said."], None),
        ("How much does the ferry ticket cost?", ["A ticket costs $5 on weekdays."], None),
        ("How much does the ferry ticket cost?", ["Tickets went on sale on Monday for 3 routes."], "amount of money"),
        ("What is the price of the ferry ticket?", ["The ferry is free for children."], None),
        ("How much did the memoir sell?", ["It sold 400,000 copies on its first day."], None),
    ],
)
def test_an_answer_lacking_the_asked_for_phrase_is_named(question: str, sentences: list[str], missing: str | None):
    assert missing_answer(question, [AnswerSentence(text) for text in sentences]) == missing


def test_a_length_of_time_answers_only_of_what_the_question_names() -> None:
    """"The meeting … lasted more than eight hours" says nothing of how long Peskov spoke, unless the
    sentence before it says the meeting was Peskov's."""
    question = "How long did Peskov's press conference last?"
    meeting = "The meeting lasted more than eight hours and there was no final press conference."
    assert missing_answer(question, [AnswerSentence(meeting, "Sullivan and Yang met in Rome.")]) == "length of time"
    assert missing_answer(question, [AnswerSentence(meeting, "Peskov met reporters in Moscow.")]) is None
    assert missing_answer("How long did the press conference last?", [AnswerSentence(meeting)]) is None


def test_a_number_answers_only_of_what_the_question_names() -> None:
    question = "How old was Pope Benedict when he died?"
    other = "Japan's Kane Tanaka, the world's oldest person, dies at 119."
    assert missing_answer(question, [AnswerSentence(other)]) == "number"
    assert missing_answer(question, [AnswerSentence("He died at 95.", "Pope Benedict XVI died on Saturday.")]) is None
    assert missing_answer(question, [AnswerSentence("Benedict died at the age of 95.")]) is None


@pytest.mark.parametrize(
    "question",
    [
        "Which country mourned the soccer great?",  # "the Brazilian soccer icon" answers it; no "in Brazil"
        "Where did the ferry sink?",
        "Which company bought the chain?",
        "What did the spokesman say?",
    ],
)
def test_places_named_things_and_open_questions_are_never_refused(question: str):
    assert missing_answer(question, [AnswerSentence("The mourners were mostly local people.")]) is None


def test_a_date_is_a_day_of_a_month_and_answers_from_anywhere_in_the_sentence() -> None:
    """"On what date …?" is not answered by a weekday, and a day of a month is rare enough in news to
    answer from anywhere in a sentence sharing the question's words (six words from "ceremonies")."""
    question = "On what date are the induction ceremonies held this year?"
    terms = set(analyse(question))
    assert not offers_answer("Rolen was named to the Hall of Fame on Tuesday night after the ceremonies vote.", terms, DATE)
    assert offers_answer(
        "McGriff will have company during annual induction ceremonies in Cooperstown, New York on July 23.", terms, DATE
    )
    assert [DATE.search(text) is not None for text in ("on 14 March", "Jan. 8", "on 3/14", "on Monday", "in July")] == [
        True, True, True, False, False,
    ]
