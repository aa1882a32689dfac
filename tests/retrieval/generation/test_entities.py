"""The names and numbers a claim must find in the span it quotes."""

from retrieval.extractive import without_markers
from retrieval.generation.entities import names_and_numbers, span_mentions

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
