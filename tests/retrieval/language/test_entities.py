"""The names and numbers a claim must find in the span it quotes."""

import pytest

from retrieval.language.entities import names_and_numbers, reverses_relation, span_mentions
from retrieval.text.markers import without_markers

SOURCE = "The adviser Jake Sullivan met Yang Jiechi. Sullivan said on CNN that there will be consequences."


def test_a_full_name_the_source_writes_requires_only_the_surname():
    assert names_and_numbers("Jake Sullivan warned on CNN.", SOURCE) == {"sullivan", "cnn"}
    assert span_mentions("Sullivan said on CNN that there will be consequences.", {"sullivan", "cnn"})


def test_a_full_name_the_source_never_writes_requires_every_word():
    assert names_and_numbers("Joe Sullivan warned on CNN.", SOURCE) == {"joe", "sullivan", "cnn"}


def test_numbers_and_number_words_are_required():
    assert names_and_numbers("The talks lasted eight hours on 14 March.", SOURCE) >= {"8", "14", "march"}


def test_a_comma_left_before_the_full_stop_by_a_marker_goes():
    assert without_markers("The Financial Times published it on Monday 14 March, [1].") == (
        "The Financial Times published it on Monday 14 March."
    )


REQUEST = ("According to the first information about it published this weekend in US media, Russia would have "
           "asked China for military support, economic assistance, even drones to continue the invasion of Ukraine.")
HAMLIN = "Damar Hamlin, who plays for the Buffalo Bills, collapsed on the field on Monday."
MEETING = ("The US national security adviser, Jake Sullivan, and the director of the Office of the Chinese Foreign "
           "Affairs Commission, Yang Jiechi, met this Monday in Rome.")


@pytest.mark.parametrize(
    ("claim", "span", "reversed_"),
    [
        # Written by Qwen 1.5B on the seed set, with every word in the span (docs/citations.md).
        ("China would have asked Russia for military support, economic assistance, even drones.", REQUEST, True),
        ("The Buffalo Bills play for Damar Hamlin.", HAMLIN, True),
        ("Russia reportedly asked China for military support and even drones.", REQUEST, False),
        ("Damar Hamlin plays for the Buffalo Bills.", HAMLIN, False),
        ("China was asked by Russia for military support.", REQUEST, False),
        ("Yang Jiechi and Jake Sullivan met in Rome on Monday.", MEETING, False),
        ("Russia invaded Ukraine.", REQUEST, False),
    ],
    ids=["asked-swapped", "plays-for-swapped", "asked", "plays-for", "passive", "a-list-in-either-order", "one-side"],
)
def test_a_claim_that_swaps_who_did_what_to_whom_is_reversed(claim: str, span: str, reversed_: bool):
    assert reverses_relation(claim, span, names_and_numbers(claim, span)) is reversed_
