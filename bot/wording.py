"""Small wording rules shared by the Discord rendering and the terminal: counts with the right
plural, titles short enough to scan, dates shown only when a document has one, and what an answer
shown while an LLM writes says of itself."""

import re
from typing import Literal

SHORT_TITLE_CHARS = 60
_ISO_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")


def plural(count: int, noun: str, plural_noun: str = "") -> str:
    """`1 chunk`, `2 chunks`, `1,200 documents`: the count with the noun in the form it takes."""
    return f"{count:,} {noun if count == 1 else plural_noun or noun + 's'}"


_PAIRS = {"“": "”", "‘": "’", "(": ")", "[": "]", "«": "»"}


def short_title(title: str, limit: int = SHORT_TITLE_CHARS) -> str:
    """`title` on one line, cut at a word boundary to at most `limit` characters (with "…"), and
    the quotes and brackets the cut left open closed after it: `China “has opened up the
    possibility of…”`, not a stray “."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    closers = _closers(title[:limit])
    room = limit - 1 - len(closers)
    cut = title.rfind(" ", room // 2, room + 1)
    kept = title[: cut if cut > 0 else room].rstrip(" ,;:-–—")
    return kept + "…" + _closers(kept)


def _closers(text: str) -> str:
    """What closes the quotes and brackets `text` opens and does not close, innermost first."""
    opened: list[str] = []
    for char in text:
        if char in _PAIRS:
            opened.append(char)
        elif opened and char == _PAIRS[opened[-1]]:
            opened.pop()
    closing = "".join(_PAIRS[char] for char in reversed(opened))
    return closing + ('"' if text.count('"') % 2 else "")


def known_date(published: str) -> str:
    """The publication date to show: the day of an ISO timestamp, the text as it is otherwise, and
    "" when the document has none (an answer never says "undated")."""
    published = published.strip()
    match = _ISO_DATETIME.match(published)
    return match.group(1) if match else published


def footer_line(provenance: str, as_of: str, took: str, note: str = "") -> str:
    """An answer's or summary's last line, in Discord and the terminal alike: who wrote it, how
    recent its newest cited article is (when one is dated), how long it took, and `note`, what an
    answer shown while the LLM writes says of itself (`still_writing`)."""
    dated = f" · as of {as_of}" if as_of else ""
    noted = f" · {note}" if note else ""
    return f"{provenance}{dated} · {took}{noted}"


def still_writing(stage: Literal["extractive", "checked"]) -> str:
    """The footer's note on an answer shown while the LLM writes (`AnswerUpdate.stage`)."""
    return "a fuller answer is being written…" if stage == "extractive" else "still writing…"
