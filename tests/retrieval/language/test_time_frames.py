"""The days a question's time words name, as of the day it is asked."""

import datetime as dt

import pytest

from retrieval.language.time_frames import TimeFrame, reported_since, time_frame

FRIDAY = dt.date(2023, 1, 6)
DAY = FRIDAY.toordinal()


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("Which former pope was laid to rest this week?", DAY - 6, DAY),
        ("What did the storm that pummelled Britain over the past week destroy?", DAY - 6, DAY),
        ("Who resigned yesterday?", DAY - 1, DAY),
        ("What did Biden say today?", DAY, DAY),
        ("What did Biden announce on Monday?", DAY - 4, DAY - 3),
        ("What happened on Friday?", DAY, DAY),
        ("Who won the vote last week?", DAY - 13, DAY - 6),
        ("What did the Fed decide this month?", DAY - 30, DAY),
    ],
)
def test_time_words_name_days_counted_back_from_the_asking_day(question: str, first: int, last: int) -> None:
    assert time_frame(question, FRIDAY) == TimeFrame(first, last)


@pytest.mark.parametrize(
    "question",
    ["Who denied the request?", "What is the latest on the strike?", "Which weekday is the market closed?",
     "How many weeks did the talks last?"],
)
def test_a_question_without_named_days_has_no_frame(question: str) -> None:
    assert time_frame(question, FRIDAY) is None


def test_an_age_is_the_distance_to_the_frame() -> None:
    frame = TimeFrame(DAY - 6, DAY)
    assert [frame.age(d) for d in (DAY - 10, DAY - 6, DAY - 2, DAY, DAY + 3)] == [4, 0, 0, 0, 3]


@pytest.mark.parametrize(
    ("question", "since"),
    [
        ("Who won the Grammy for album of the year in 2023?", dt.date(2023, 1, 1)),
        ("Who won the 2018 FIFA World Cup?", dt.date(2018, 1, 1)),
        ("Who won in 2023, for the first time since 2013?", dt.date(2013, 1, 1)),
        ("How much will the Pell Grant rise in the 2023 fiscal year?", None),
        ("Which group has announced plans to quit in 2023?", None),
        ("Who won the Grammy for album of the year?", None),
    ],
)
def test_a_question_about_a_year_is_reported_from_its_first_day(question: str, since: dt.date | None) -> None:
    assert reported_since(question) == since

