from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.text.sentences import MAX_SENTENCE_CHARS, bounded, sentence_spans


def _sentences(text: str) -> list[str]:
    """The text of each span `sentence_spans` finds in `text`."""
    return [text[s.start : s.end] for s in sentence_spans(text)]


def test_spans_are_verbatim_and_do_not_cross_lines():
    text = "Headline without a period\nThe U.S. said no. Mr. Price spoke on Monday.\n\n  Indented line here.  "
    spans = sentence_spans(text)
    pieces = [text[s.start : s.end] for s in spans]
    assert pieces == [
        "Headline without a period",
        "The U.S. said no.",
        "Mr. Price spoke on Monday.",
        "Indented line here.",
    ]


def test_spans_start_at_a_word_not_at_leftover_punctuation():
    text = "He blocked a shot. . . . He (Tobin) speaks Spanish.\n:Kevin McCarthy was once rejected.\n, and then more."
    assert _sentences(text) == [
        "He blocked a shot.",
        "He (Tobin) speaks Spanish.",
        "Kevin McCarthy was once rejected.",
        "and then more.",
    ]


def test_a_lowercase_piece_joins_the_sentence_it_continues():
    text = "“How was this possible?” he asks. BQ.1.1. is causing 13% of new infections. iPhone sales rose."
    assert _sentences(text) == [
        "“How was this possible?” he asks.",
        "BQ.1.1. is causing 13% of new infections.",
        "iPhone sales rose.",
    ]


def test_titles_and_numbered_labels_of_news_do_not_end_a_sentence():
    text = (
        "Florida Gov. Ron DeSantis signed it. Italy's No. 1 fugitive was arrested. Art. 5 applies. "
        "The U.S. said no. Mr. Price spoke. They said no. 5 people left. He ranked No. 3. No. It was not."
    )
    assert _sentences(text) == [
        "Florida Gov. Ron DeSantis signed it.",
        "Italy's No. 1 fugitive was arrested.",
        "Art. 5 applies.",
        "The U.S. said no.",
        "Mr. Price spoke.",
        "They said no.",
        "5 people left.",
        "He ranked No. 3.",
        "No.",
        "It was not.",
    ]


def test_a_time_zone_after_a_clock_time_does_not_start_a_sentence():
    text = (
        "The system failed at 8:30 p.m. ET on Tuesday, according to FAA advisories. It starts at 10 a.m. CT "
        "and ends at 2 p.m. EST. The game ended at 9 p.m. The fans left. Kickoff is 8 p.m. PT. Fans wait."
    )
    assert _sentences(text) == [
        "The system failed at 8:30 p.m. ET on Tuesday, according to FAA advisories.",
        "It starts at 10 a.m. CT and ends at 2 p.m. EST.",
        "The game ended at 9 p.m.",
        "The fans left.",
        "Kickoff is 8 p.m. PT.",
        "Fans wait.",
    ]


def test_punctuation_only_lines_are_not_sentences():
    assert [s for s in sentence_spans("...\n—\nReal words.") if s.start == 0] == []


# A sentence is at most MAX_SENTENCE_CHARS long (issue 33: a text without sentence punctuation was
# one 284,063-character quote).


def test_a_text_without_sentence_punctuation_is_cut_into_pieces_at_spaces():
    words = [f"word{i}" for i in range(2_000)]
    text = "  " + " ".join(words) + "\nA sentence of its own."
    pieces = _sentences(text)
    assert pieces[-1] == "A sentence of its own."
    assert " ".join(pieces[:-1]).split() == words, "every word, in order, each whole in one piece"
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert len(pieces[:-1]) == -(-len(" ".join(words)) // MAX_SENTENCE_CHARS), "the fewest pieces that fit"


def test_a_sentence_just_over_the_limit_is_cut_in_two_halves_not_a_fragment():
    listing = "Winners include " + ", ".join(f"Nominee Number {i}" for i in range(34)) + "."
    assert MAX_SENTENCE_CHARS < len(listing) < 2 * MAX_SENTENCE_CHARS
    first, second = _sentences(listing)
    assert listing == f"{first} {second}"
    assert abs(len(first) - len(second)) < 40


def test_a_run_without_spaces_is_cut_at_the_limit():
    text = "x" * 25 + " tail"
    assert [text[s.start : s.end] for s in bounded(text, 0, len(text), limit=10)] == ["x" * 10, "x" * 10, "xxxxx tail"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(st.sampled_from(list("ab .,\t\u00a0")), min_size=1, max_size=120), limit=st.integers(1, 30))
def test_pieces_of_any_span_fit_the_limit_and_keep_every_word_character(text: str, limit: int):
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    pieces = bounded(text, start, end, limit)
    previous_end = start
    for piece in pieces:
        assert previous_end <= piece.start < piece.end <= end
        assert piece.end - piece.start <= limit
        assert text[piece.start : piece.end] == text[piece.start : piece.end].strip()
        previous_end = piece.end
    covered = {i for piece in pieces for i in range(piece.start, piece.end)}
    assert all(i in covered for i in range(start, end) if text[i].isalnum())


# Property: spans of any text are ordered, disjoint, stripped, on one line and hold a word character.

PROSE = st.lists(
    st.one_of(
        st.sampled_from(list("abc XYZ.!?…;:\"'()[]\n\t\r-—’”\u200b\u00a0\u2028") + ["U.S.", "Mr.", " [9] ", "e.g."]),
        st.characters(),
    ),
    max_size=200,
).map("".join)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=PROSE)
def test_spans_of_any_text_are_ordered_stripped_single_line_and_in_range(text: str):
    previous_end = 0
    for span in sentence_spans(text):
        assert previous_end <= span.start < span.end <= len(text)
        piece = text[span.start : span.end]
        assert piece == piece.strip() and "\n" not in piece
        assert any(ch.isalnum() for ch in piece)
        assert piece[0] not in ".,;:…", "a quote starts at a word, not at leftover punctuation"
        previous_end = span.end
