"""Years as news text names them."""

import pytest

from retrieval.text.dates import is_a_year, named_years


def test_the_years_a_text_names_in_order() -> None:
    assert named_years("the first time since 2013 … in 2023, not in 1600 or 2150") == [2013, 2023]


@pytest.mark.parametrize(
    ("text", "year"), [("2017", True), (" 1999 ", True), ("2017 season", False), ("1600", False), ("37", False)]
)
def test_a_year_and_nothing_else(text: str, year: bool) -> None:
    assert is_a_year(text) is year
