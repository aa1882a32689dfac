from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.text.cleaning import clean_article_text

ARTICLE = """Tuesday, March 3

Storm closes the harbour for a second day

Port officials said the harbour would stay shut until the wind drops.

Why lighthouses still matter in the age of GPS

Read more

Ferries were moved to the inner basin on Monday night.

Share this article
Subscribe to our newsletter
Follow us on Instagram

What happens next

The council meets on Thursday to discuss repairs.

12 Comments
Leave a Reply"""


def test_calls_to_action_and_date_stamps_are_removed():
    cleaned = clean_article_text(ARTICLE)
    for boilerplate in ("Tuesday, March 3", "Read more", "Share this article", "Subscribe", "Follow us",
                        "12 Comments", "Leave a Reply"):
        assert boilerplate not in cleaned


def test_teaser_headline_above_read_more_is_removed_but_headings_stay():
    cleaned = clean_article_text(ARTICLE)
    assert "Why lighthouses still matter" not in cleaned
    assert "Storm closes the harbour for a second day" in cleaned
    assert "What happens next" in cleaned


def test_kept_lines_are_unchanged_so_quotes_stay_verbatim():
    cleaned = clean_article_text(ARTICLE)
    for line in ("Port officials said the harbour would stay shut until the wind drops.",
                 "Ferries were moved to the inner basin on Monday night.",
                 "The council meets on Thursday to discuss repairs."):
        assert line in cleaned
    assert "\n\n\n" not in cleaned


def test_sentences_that_merely_mention_sharing_are_kept():
    text = "Investors share the concern that rates will rise.\n\nRead more about it in the report below."
    cleaned = clean_article_text(text)
    assert cleaned == text


def test_the_shipped_corpus_loses_its_web_boilerplate():
    from tests.support.services import CORPUS

    texts = {p.name: clean_article_text(p.read_text(encoding="utf-8")) for p in CORPUS.glob("*.md")}
    joined = "\n".join(texts.values())
    assert "Leave a Comment" not in joined
    assert "Know more" not in joined
    assert "Sunday, January 29" not in joined
    assert "I was a nuclear missile operator" not in joined
    assert "China and Russia deny it" in joined


# Property: cleaning only drops lines and blank runs; every kept line is an input line, unchanged
# (the first one may lose its indentation, as the whole text is stripped).

LINES = st.lists(
    st.one_of(
        st.sampled_from(["Read more", "Share this article", "12 Comments", "Tuesday, March 3", "", "  ",
                         "Teaser headline", "The council met on Thursday.", "Know more", "\t", "# Heading"]),
        st.text(max_size=80),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(lines=LINES, newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_cleaning_keeps_input_lines_verbatim_and_normalises_blank_runs(lines: list[str], newline: str):
    raw = newline.join(lines)
    cleaned = clean_article_text(raw)
    assert cleaned == cleaned.strip()
    assert "\r" not in cleaned and "\n\n\n" not in cleaned
    source_lines = [line.rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    first, *rest = cleaned.split("\n")
    assert not first or any(line.strip() == first for line in source_lines)
    assert all(line in source_lines for line in rest if line.strip())
