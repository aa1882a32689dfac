"""Place names a sentence gives without a preposition: countries and US states, by their usual names."""

import re

from retrieval.language.places import KNOWN_PLACE, place_names


def test_countries_and_states_are_named_as_news_writes_them() -> None:
    names = place_names()
    assert {"Germany", "Pakistan", "Bolivia", "Taiwan", "California", "New York", "South Sudan"} <= names
    assert not any("," in name or "(" in name for name in names)


def test_the_longest_name_is_matched_whole() -> None:
    assert re.search(KNOWN_PLACE, "Troops from South Sudan crossed")[0] == "South Sudan"
    assert re.search(KNOWN_PLACE, "the Germanys of this world") is None
