"""Dates as articles and questions write them: a publication date read into a day number (the
recency prior and the BM25 index compare days), and the years a question names."""

import datetime as dt
import re
from functools import lru_cache

_ISO_DAY = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\b|T)")


_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")


@lru_cache(maxsize=65_536)
def publication_day(published: str) -> int | None:
    """The proleptic ordinal of a stored publication date ("2023/01/05", "2023-01-05T10:00:00",
    "5 January 2023", "Jan 5, 2023"), or None when it is empty or not a date.

    The common year-first forms are read directly; anything else goes to dateparser (imported only
    then: it costs a fifth of a second).
    """
    if not published.strip():
        return None
    match = _ISO_DAY.match(published)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3])).toordinal()
        except ValueError:
            return None
    import dateparser

    parsed = dateparser.parse(published, settings={"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year"]})
    return parsed.date().toordinal() if parsed is not None else None


def normalised_date(published: str) -> str:
    """A publication date given by hand ("5 Jan 2023", "2023/01/05") as an ISO day; raises
    ValueError when it is not a date."""
    day = publication_day(published)
    if day is None:
        raise ValueError(f"{published!r} is not a date (try 2023-01-05)")
    return dt.date.fromordinal(day).isoformat()


def named_years(text: str) -> list[int]:
    """The years `text` names ("in 2023", "the 2018 World Cup"), in order."""
    return [int(y) for y in _YEAR.findall(text)]


def is_a_year(text: str) -> bool:
    """Whether `text` is a year and nothing else ("2017", not "2017 season")."""
    return _YEAR.fullmatch(text.strip()) is not None


def asks_about_the_past(query: str, reference_day: int) -> bool:
    """Whether `query` names a year before the reference day's ("what happened in 2019?"): then
    it asks about that time, and newer articles are no better evidence."""
    years = named_years(query)
    return bool(years) and max(years) < dt.date.fromordinal(reference_day).year
