"""Chat and terminal markup is taken out of questions; the person's words stay."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.language.questions import refers_back, strip_chat_markup
from retrieval.service import QuestionError, clean_question

QUESTION = "Who denied the request?"


@pytest.mark.parametrize(
    "typed",
    [
        "@everyone @here <@123> Who denied the request?",
        "<@!123456789012345678> <@&42> <#99> Who denied the request?",
        "<:thinking:123456789012345678> <a:spin:42> Who denied the request?",
        "**Who** _denied_ ~~the~~ ||request||?",
        "`Who denied the request?`",
        "```\nWho denied the request?\n```",
        "> Who denied the request?",
        "\x1b[31mWho denied the request?\x1b[0m",
        "\x1b]0;terminal title\x07Who denied the request?",
        "[31mWho denied the request?[0m",
        "^[[1;32mWho denied the request?^[[0m",
        "\\e[0mWho denied the request?\\033[0m",
        "</ask:123> Who denied the [request](https://evil.example)?",
    ],
)
def test_markup_is_removed_and_the_words_kept(typed: str):
    assert clean_question(typed, 1000) == QUESTION


def test_words_that_look_like_markup_stay():
    assert clean_question("What did snake_case_name say at 5 pm on <t:1700000000:R>?", 1000) == (
        "What did snake_case_name say at 5 pm on <t:1700000000:R>?"
    )
    assert clean_question("Who won match [1] of the #2 seed?", 1000) == "Who won match [1] of the #2 seed?"
    assert clean_question("Is user@example.com from @everyoneelse?", 1000) == "Is user@example.com from @everyoneelse?"


@pytest.mark.parametrize("typed", ["@everyone", "<@123> <:ship:1>", "**``**", "\x1b[0m[0m"])
def test_markup_alone_is_an_empty_question(typed: str):
    with pytest.raises(QuestionError, match="empty"):
        clean_question(typed, 1000)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(words=st.lists(st.from_regex(r"[A-Za-z0-9?,.']{1,12}", fullmatch=True), min_size=1, max_size=12))
def test_plain_words_come_back_unchanged(words: list[str]):
    text = " ".join(words)
    assert strip_chat_markup(text) == text


MARKUP = st.lists(
    st.one_of(
        st.sampled_from(["<@1>", "<@!2>", "<@&3>", "<#4>", "<:e:5>", "@everyone", "@here", "**", "*", "_", "~~", "||",
                         "`", "```", "> ", "# ", "-# ", "[x](https://e.example)", "\x1b[31m", "[0m", "\n", "\x1f",
                         "<", "@", ">", "[", "]", "(", ")", "#", "Who", " denied ", "the", " request?"]),
        st.characters(),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(typed=MARKUP)
def test_cleaning_a_cleaned_question_changes_nothing(typed: str):
    try:
        cleaned = clean_question(typed, 1000)
    except QuestionError:
        return
    assert clean_question(cleaned, 1000) == cleaned
    assert not re.search(r"<@[!&]?\d+>|<#\d+>|(?<!\w)@(everyone|here)\b|\x1b", cleaned)


@pytest.mark.parametrize(
    "question",
    ["how long did it last?", "who revealed that?", "what else have they started doing?", "and Russia?",
     "what happened there?", "where did he say this?"],
)
def test_a_follow_up_refers_back(question: str):
    assert refers_back(question)


@pytest.mark.parametrize(
    "question",
    ["Which national holiday was celebrated this week?", "What will the US do to countries that help Russia?",
     "Is there a deal?", "Who is Ned Price?"],
)
def test_a_question_standing_alone_does_not(question: str):
    assert not refers_back(question)
