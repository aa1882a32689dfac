"""Rendering of text a user typed (document ids, file names) inside the bot's own messages."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rendering import inline

TYPED = st.lists(
    st.one_of(
        st.sampled_from(["`", "```", "||", "**", "_", "~~", "@everyone", "@here", "<@&123456789012345678>",
                         "<@!123456789012345678>", "\n", "> ", "[x](https://evil.example)", "\\"]),
        st.characters(),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(typed=TYPED)
def test_inline_text_cannot_format_the_rest_of_a_message(typed: str):
    shown = inline(typed)
    assert "\n" not in shown and len(shown) <= 2 * 100 + 2
    if shown.startswith("`") and shown.endswith("`") and shown.count("`") == 2:
        return  # a code span shows its content literally
    assert not re.search(r"(?<!\\)`", shown), "an unescaped backtick could open a code block"
    assert not re.search(r"(?<!\\)\|(?<!\\\|)\|", shown.replace("\\|", "")), "an unescaped spoiler marker"
    assert "@everyone" not in shown and "@here" not in shown and not re.search(r"<@[&!]?\d", shown)


def test_a_backtick_inside_a_link_is_escaped_too():
    assert inline("[x](https://evil.example)`[x](https://evil.example)").count("\\`") == 1


def test_a_spoiler_inside_what_looks_like_a_link_is_escaped():
    assert inline("`[||[x](https://evil.example)") == "\\`\\[\\|\\|\\[x\\]\\(https://evil.example\\)"


def test_plain_names_are_shown_in_a_code_span():
    assert inline("harbour.txt") == "`harbour.txt`"
    assert inline("a  b\nc") == "`a b c`"


# Citations, sources and passages ----------------------------------------------------------------

from bot.autocomplete import choice_name, document_choices  # noqa: E402
from bot.rendering import (  # noqa: E402
    CHOICE_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    answer_messages,
    passage_excerpt,
    passage_messages,
    sources_page,
)
from bot.wording import plural, short_title  # noqa: E402
from retrieval.models.answers import Citation, CitedAnswer, Draft  # noqa: E402
from retrieval.models.article import ArticleMeta  # noqa: E402
from retrieval.models.records import SourceInfo  # noqa: E402

LONG_TITLE = "The harbour master of Valdora resigns after the storm that damaged the northern pier and the ferry"
HARBOUR = ArticleMeta("harbour", LONG_TITLE, "2024-02-03T09:00:00", url="https://news.example/harbour")


def cited(citations: list[Citation]) -> CitedAnswer:
    draft = Draft("An answer [1] [2] [3].", citations, abstained=False, backend="extractive")
    return CitedAnswer(question="q", draft=draft, passages=[], timings_ms={"total": 12.0})


def test_counts_take_the_singular_for_one():
    assert plural(1, "chunk") == "1 chunk"
    assert plural(0, "chunk") == "0 chunks"
    assert plural(1200, "document") == "1,200 documents"


def test_a_document_is_named_once_with_a_short_linked_title_and_its_date_only_when_known():
    citations = [
        Citation(1, HARBOUR, "The harbour master resigned.", 0, 28, "shared"),
        Citation(2, ArticleMeta("ferry", "Ferry [update]"), "The ferry resumed.", 0, 18, "shared"),
        Citation(3, HARBOUR, "The pier was damaged.", 30, 51, "shared"),
    ]
    fields = answer_messages(cited(citations))[0][0].fields
    assert [f.name for f in fields] == ["[1]", "[2]", "[3] · same article as [1]"]
    header, quote = fields[0].value.split("\n")
    assert header == f"[{short_title(LONG_TITLE)}](https://news.example/harbour) · 2024-02-03"
    assert len(short_title(LONG_TITLE)) <= 60 and short_title(LONG_TITLE).endswith("…")
    assert quote == "“The harbour master resigned.”"
    assert fields[1].value == "Ferry \\[update\\]\n“The ferry resumed.”"
    assert fields[2].value == "“The pier was damaged.”"
    shown = " ".join(f.name + f.value for f in fields)
    assert "undated" not in shown and shown.count("Valdora") == 1


def test_a_quote_longer_than_a_field_is_trimmed_to_it_and_marked():
    """An LLM's claim may cite two adjacent sentences, up to twice MAX_SENTENCE_CHARS."""
    long_quote = " ".join(["The beam of the Valdora lighthouse rotated steadily through the night."] * 17)
    citation = Citation(1, ArticleMeta("lighthouse", "Lighthouse report"), long_quote, 0, len(long_quote), "shared")
    [field] = answer_messages(cited([citation]))[0][0].fields
    assert len(long_quote) > FIELD_VALUE_LIMIT >= len(field.value)
    assert field.value.endswith("…”") or field.value.endswith("…")
    assert field.value.split("\n")[-1].lstrip("“").rstrip("…”") in long_quote


@pytest.mark.parametrize(
    "title",
    ["China “has opened up the possibility of supplying arms to Russia”, according to the Financial Times",
     'Officials say "the pier will reopen in May once the repairs to the northern breakwater are done"',
     "Valdora (the harbour town on the northern coast of the island) reopens its pier after the storm"],
)
def test_a_cut_title_closes_the_quotes_and_brackets_it_cut_inside(title: str):
    shown = short_title(title)
    assert len(shown) <= 60 and "…" in shown
    assert shown.count("“") == shown.count("”") and shown.count("(") == shown.count(")")
    assert shown.count('"') % 2 == 0
    assert title.startswith(shown[: shown.index("…")]), "cut at a word boundary of the title"


def test_a_url_that_cannot_be_a_link_leaves_the_title_plain():
    for url in ("javascript:alert(1)", "https://x.example/a b", "https://x.example/" + "a" * 400):
        citation = Citation(1, ArticleMeta("d", "Title", url=url), "Quote here.", 0, 11, "shared")
        assert answer_messages(cited([citation]))[0][0].fields[0].value.startswith("Title\n")
    parens = Citation(1, ArticleMeta("d", "Title", url="https://x.example/a_(b)"), "Quote here.", 0, 11, "shared")
    assert "(https://x.example/a_%28b%29)" in answer_messages(cited([parens]))[0][0].fields[0].value


def test_sources_lines_use_plurals_and_known_dates():
    sources = [SourceInfo(ArticleMeta("one", "One chunk"), 1, "guild-1"),
               SourceInfo(ArticleMeta("two", "Two", "2024-01-02", url="https://x.example/two", author="G. Neri"), 2, "shared")]
    embed = sources_page(sources, 0, "guild-1")
    assert embed.description.split("\n") == [
        "**one** · One chunk · 1 chunk · *uploaded here*",
        "**two** · [Two](https://x.example/two) · 2024-01-02 · by G. Neri · 2 chunks",
    ]
    assert embed.footer.text == "page 1 of 1 · 2 documents"
    assert "undated" not in embed.description


@pytest.mark.parametrize(
    ("text", "shown", "dropped"),
    [
        (". He said the pier would reopen.", "…He said the pier would reopen.", 2),
        ("the pier would reopen on Monday, and", "…the pier would reopen on Monday, and…", 0),
        ("The pier reopened.", "The pier reopened.", 0),
    ],
)
def test_passages_start_at_a_word_and_mark_where_they_are_cut(text: str, shown: str, dropped: int):
    assert passage_excerpt(text) == (shown, dropped)


def test_passage_embeds_link_their_document_and_give_the_shown_offsets():
    passage = {"doc_id": "harbour", "title": "Harbour", "text": ": The pier reopened.", "score": 0.1, "start": 10,
               "end": 30, "url": "https://news.example/harbour", "published": "2024-02-03"}
    embed = passage_messages([passage])[0][0]
    assert embed.url == "https://news.example/harbour"
    assert embed.description == "…The pier reopened."
    assert embed.footer.text == "harbour · 2024-02-03 · characters 12–30"


def test_autocomplete_shortens_the_title_and_keeps_the_id_whole():
    doc_id = "a-very-long-document-id-that-someone-chose-for-the-harbour-report-of-2024-final"
    info = SourceInfo(ArticleMeta(doc_id, LONG_TITLE * 2), 3, "shared")
    name = choice_name(info)
    assert len(name) <= CHOICE_NAME_LIMIT and name.endswith(f"({doc_id})") and "…" in name
    assert [c.value for c in document_choices([info], "harbour")] == [doc_id]
    assert choice_name(SourceInfo(ArticleMeta("short", "Short title"), 1, "shared")) == "Short title (short)"
