"""Removal of web boilerplate from article text.

Scraped news pages carry calls to action ("Leave a Comment", "Know more", share and subscribe
prompts), teaser links to other stories and page date stamps. They are noise for retrieval and must
never be quoted as evidence, so they are removed by general rules about what such lines look like,
never by matching the text of particular articles.
"""

import re

_CALL_TO_ACTION = re.compile(
    r"""^\W*(
        leave\ a\ (comment|reply) | (add|post|write)\ a\ comment | \d+\ comments? | comments? |
        share(\ (this|the))?(\ (article|story|post|page))?(\ (on|via)\ \w+)? |
        (subscribe|sign\ up|register)(\ (now|here|today|for\ free))?(\ to\ .{0,60})? |
        follow\ us(\ on\ .{0,40})? | join\ (us|our\ .{0,40}) |
        (read|know|see|learn|find\ out|discover)\ more(\ (here|about\ .{0,60}))? |
        continue\ reading | click\ here(\ .{0,60})? | (also\ read|read\ also|see\ also)(:.{0,120})? |
        (related|recommended|most\ read|trending)(\ (articles?|news|stories|posts|for\ you))? |
        advertisement | sponsored(\ content)? | newsletter | print | e-?mail | copy\ link |
        facebook | twitter | x | whatsapp | telegram | linkedin | reddit | tags?:.{0,200}
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_READ_MORE = re.compile(r"^\W*(read|know|see|learn|find out|discover) more\W*$", re.IGNORECASE)
_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (
    r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?)\.?"
)
_DATE_STAMP = re.compile(
    rf"""^\W*({_WEEKDAY},?\ )?(
        {_MONTH}\ \d{{1,2}}(st|nd|rd|th)?(,?\ \d{{4}})? | \d{{1,2}}(st|nd|rd|th)?\ {_MONTH}(,?\ \d{{4}})? |
        \d{{4}}-\d{{2}}-\d{{2}} | \d{{1,2}}/\d{{1,2}}/\d{{2,4}}
    )(\ \d{{1,2}}:\d{{2}}(\ ?[ap]\.?m\.?)?)?\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)\]]\s*$")


def _is_call_to_action(line: str) -> bool:
    """A prompt line; a longer one that ends as a sentence does is prose that happens to match."""
    if not _CALL_TO_ACTION.match(line):
        return False
    return len(line.split()) <= 4 or not line.endswith(".")


def _is_teaser(line: str) -> bool:
    """A headline-style link: a single short line that does not end as a sentence does."""
    return 0 < len(line.split()) <= 30 and not _SENTENCE_END.search(line)


def clean_article_text(text: str) -> str:
    """Normalise line endings and drop boilerplate lines, keeping every other line as it was.

    Kept lines are not rewritten, so quotes taken from the cleaned text are still the article's own
    words. A "Read more"/"Know more" prompt also removes the teaser headline just above it.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            kept.append("")
            continue
        if _is_call_to_action(stripped) or _DATE_STAMP.match(stripped):
            if _READ_MORE.match(stripped):
                _drop_teaser_above(kept)
            continue
        kept.append(line)
    cleaned = "\n".join(kept)
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return cleaned.strip()


def _drop_teaser_above(kept: list[str]) -> None:
    """Remove the last paragraph if it is a lone teaser line (blank lines around it are collapsed later)."""
    index = len(kept) - 1
    while index >= 0 and not kept[index].strip():
        index -= 1
    if index < 0:
        return
    paragraph_start = index
    while paragraph_start > 0 and kept[paragraph_start - 1].strip():
        paragraph_start -= 1
    if paragraph_start == index and _is_teaser(kept[index].strip()):
        del kept[index:]
