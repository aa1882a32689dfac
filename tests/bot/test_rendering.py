"""Rendering of text a user typed (document ids, file names) inside the bot's own messages."""

import re

from hypothesis import given, settings, strategies as st

from bot.rendering import inline

TYPED = st.lists(
    st.one_of(st.sampled_from(["`", "```", "||", "**", "_", "~~", "@everyone", "@here", "<@&123456789012345678>", "<@!123456789012345678>",
                               "\n", "> ", "[x](https://evil.example)", "\\"]), st.characters()),
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
