"""Taking chat and terminal markup out of a question before it is answered.

A question pasted from Discord or a terminal carries text that is not part of what the person asks:
mentions (`<@123>`, `@everyone`), custom emoji (`<:ship:123>`), Markdown markers (`**`, `||`,
backticks) and terminal escape sequences (`\\x1b[31m`, or the `[31m` left when the escape character
was lost on the way). Retrieval reads every token, so `<@123>` or `[0m` can tip a question into an
abstention. This module removes that markup and keeps the person's words; `clean_question` in
`retrieval.service` calls it, so the bot and the CLI clean questions alike. It also says what a
question asks for (`question_words`) and whether it leans on the conversation before it
(`refers_back`).
"""

import re
import unicodedata

from retrieval.language.vocabulary import analyse

# ECMA-48 escape sequences: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL` or `ESC ] ... ESC \`), and the
# two-character escapes (`ESC c`, `ESC =` ...). The 8-bit CSI (U+009B) is the same as `ESC [`.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
)
# What is left of an SGR colour code when the escape character itself was lost or spelled out:
# `[31m`, `^[[0m`, `\e[1;32m`, `\033[0m`, `\x1b[0m`.
_ESCAPE_REMNANT = re.compile(r"(?:\^\[|\\e|\\033|\\x1b|\\u001b)?\[\d{1,3}(?:;\d{1,3})*m", re.IGNORECASE)
# Discord's mention syntax: users (`<@1>`, `<@!1>`), roles (`<@&1>`), channels (`<#1>`), slash
# commands (`</ask:1>`) and custom emoji (`<:name:1>`, `<a:name:1>`). Timestamps (`<t:1:R>`) stay.
_DISCORD_TOKEN = re.compile(r"<(?:@[!&]?\d+|#\d+|/[\w -]+:\d+|a?:\w+:\d+)>")
_EVERYONE = re.compile(r"(?<!\w)@(?:everyone|here)\b")
# A Markdown link keeps its text; the target is not part of the question.
_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?[^)\s]*>?\s*\)")
# Code fences with their language tag, then the inline markers: bold, italics, underline, strikethrough,
# spoilers, inline code. `_` only counts at a word's edge, so snake_case words stay whole.
_FENCE = re.compile(r"```[\w+-]*\n?")
_MARKERS = re.compile(r"\*+|~~|\|\||`+|(?<!\w)_+|_+(?!\w)")
# Line prefixes: block quotes, headings, list bullets and Discord's small text (`-# `).
_LINE_PREFIX = re.compile(r"^[^\S\n]*(?:>>>|>|#{1,3}|-#)\s+", re.MULTILINE)


def strip_chat_markup(text: str) -> str:
    """`text` without terminal escape sequences, control characters (each becomes a space; line
    breaks stay, they mark Markdown's line prefixes), mentions, custom emoji and Markdown markers.

    Only markup is removed: the words around it stay as they were, and whitespace is left for the
    caller to normalise. Removing one piece of markup can reveal another (`` `<`@1> `` is a mention
    once the backticks are gone), so the removal repeats until nothing changes; every pass that
    changes the text shortens it, so this ends.
    """
    text = _ESCAPE_SEQUENCE.sub(" ", text)
    text = "".join(" " if ch != "\n" and unicodedata.category(ch)[0] == "C" else ch for ch in text)
    previous = None
    while text != previous:
        previous = text
        text = _ESCAPE_REMNANT.sub(" ", text)
        text = _DISCORD_TOKEN.sub(" ", text)
        text = _EVERYONE.sub(" ", text)
        text = _LINK.sub(r"\1", text)
        text = _FENCE.sub(" ", text)
        text = _LINE_PREFIX.sub("", text)
        text = _MARKERS.sub("", text)
    return text


_QUESTION_WORD = re.compile(r"\b(who|whom|whose|what|when|where|why|how|which)\b", re.IGNORECASE)


def question_words(text: str) -> set[str]:
    """What a question asks for (who, what, how …), lower-cased; empty for a yes/no question."""
    return {word.lower() for word in _QUESTION_WORD.findall(text)}


# A question that leans on the one before it: it opens with a conjunction ("and what did the US
# warn?"), refers with a personal pronoun ("how long did it last?"), or ends on a demonstrative
# ("who revealed that?"; "this week" and "countries that help" refer to nothing said before).
_REFERS_BACK = re.compile(
    r"^\W*(?:and|but|so|also|then|what about|how about)\b"
    r"|\b(?:it|its|he|him|his|she|her|they|them|their)\b"
    r"|\b(?:this|that|these|those|there)\b(?=\s*(?:[?.!,;]|$))",
    re.IGNORECASE,
)


def refers_back(question: str) -> bool:
    """Whether `question` leans on the conversation before it ("how long did it last?")."""
    return _REFERS_BACK.search(question) is not None


_FRAGMENT_WORDS = 5


def asked_terms(question: str) -> set[str] | None:
    """The words of a question that asks for something (who, what, how many …), or None.

    A claim made only of these words restates the question and answers nothing ("The NFL player
    Damar Hamlin suffered an on-field medical emergency this week" for "… Which team is he on?"),
    however well the sources support it. A yes/no question is answered by restating it, so it has
    no such words."""
    return set(analyse(question)) if question_words(question) else None


# "Who met …?", "Who is …?": the answer takes the place of "who"; not "Who did Sullivan meet?".
_SUBJECT_WHO = re.compile(r"^\s*who\s+(?!(?:did|does|do)\b)(?P<rest>.+?)\s*\?*\s*$", re.IGNORECASE | re.DOTALL)


def read_as_answer(claim: str, question: str) -> str:
    """A claim too short to be a statement on its own, read as the answer to `question`: as the
    statement it makes when the question asks for a subject ("Ned Price" answering "Who spoke at
    the press conference?" is "Ned Price spoke at the press conference."), else after the question."""
    if not question or len(claim.split()) >= _FRAGMENT_WORDS:
        return claim
    subject = _SUBJECT_WHO.match(question)
    if subject:
        return f"{claim.rstrip('.!? ')} {subject.group('rest')}."
    return f"{question} {claim}"
