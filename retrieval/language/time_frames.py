"""The days a question's time words name, read against the day it is asked.

A news question says when as a person does, relative to the day of asking: "the storm that
pummelled Britain this week", "who resigned yesterday?", "what did Biden announce on Monday?". A
live bot's "this week" is the week of the message, and an evaluation's the week of its question,
never the week of the newest article in a corpus that holds years of them. `time_frame` turns
those words into the span of days they name; the recency prior (retrieval/search/recency.py)
counts an article's age from that span, so every article inside it is as fresh as the asking day.

Words that name no span ("recent", "latest") are left to the prior itself, which already prefers
the newest articles; a named earlier year is `retrieval.text.dates.asks_about_the_past`.
"""

import datetime as dt
import re
from dataclasses import dataclass

from retrieval.text.dates import named_years

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_THIS_WEEK = re.compile(r"\b(?:this|the past|the last) week\b|\bthis weekend\b", re.I)
_LAST_WEEK = re.compile(r"\blast week(?:end)?\b", re.I)
_YESTERDAY = re.compile(r"\byesterday\b|\blast night\b", re.I)
_TODAY = re.compile(r"\btoday\b|\btonight\b|\bthis (?:morning|afternoon|evening)\b", re.I)
_THIS_MONTH = re.compile(r"\b(?:this|the past|the last) month\b", re.I)
_WEEKDAY = re.compile(r"\b(?:on|last|this|since)\s+(" + "|".join(_WEEKDAYS) + r")\b", re.I)

_REPORTING_DELAY = 1
"""Days after an event that its reports still count as of its day: what happened on Monday is
mostly published on Monday and Tuesday, and "yesterday's" storm in this morning's paper."""


@dataclass(frozen=True)
class TimeFrame:
    """Days (proleptic ordinals, inclusive) a question is about."""

    first_day: int
    last_day: int

    def age(self, day: int) -> int:
        """Days between `day` and this frame: 0 inside it."""
        if day < self.first_day:
            return self.first_day - day
        return max(day - self.last_day, 0)


def time_frame(question: str, asked_on: dt.date) -> TimeFrame | None:
    """The days `question`'s time words name, as of `asked_on`; None when it names none."""
    asked = asked_on.toordinal()
    if _TODAY.search(question):
        return TimeFrame(asked, asked)
    if _YESTERDAY.search(question):
        return TimeFrame(asked - 1, min(asked - 1 + _REPORTING_DELAY, asked))
    weekday = _WEEKDAY.search(question)
    if weekday:
        back = (asked_on.weekday() - _WEEKDAYS.index(weekday[1].lower())) % 7
        day = asked - back
        return TimeFrame(day, min(day + _REPORTING_DELAY, asked))
    if _THIS_WEEK.search(question):
        return TimeFrame(asked - 6, asked)
    if _LAST_WEEK.search(question):
        return TimeFrame(asked - 13, asked - 7 + _REPORTING_DELAY)
    if _THIS_MONTH.search(question):
        return TimeFrame(asked - 30, asked)
    return None


_AHEAD = re.compile(
    r"\b(?:will|shall|going to|plans?|planned|planning|set to|expected|expects?|upcoming|next|scheduled"
    r"|forecasts?|predict(?:s|ed)?)\b",
    re.I,
)


def reported_since(question: str) -> dt.date | None:
    """The first day an article can report what `question` asks about, or None for no such bound.

    "Who won the Grammy for album of the year in 2023?" asks about something of 2023, which no
    article published before 2023 can tell (the one of 2022 names 2022's winner). The earliest year
    the question names bounds it: every year it names is that year or later ("the first time since
    2013 … in 2023" gives 2013). A question looking ahead ("will be raised by how much in the 2023
    fiscal year?", "plans to quit in 2023") is about what was said before, and has no bound; "would"
    is not looking ahead, it is reported speech ("… said the repairs would take")."""
    years = named_years(question)
    if not years or _AHEAD.search(question):
        return None
    return dt.date(min(years), 1, 1)

