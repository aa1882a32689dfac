"""Turning answers, summaries and document lists into Discord messages within every Discord limit.

Discord rejects a message whose embeds break a limit, and a rejected answer is a lost answer, so
everything here splits or trims (with "…") and never raises.
"""

import re
from collections.abc import Iterable, Sequence

import discord

from bot.wording import SHORT_TITLE_CHARS, footer_line, known_date, plural, short_title, still_writing
from retrieval import AnswerUpdate, Citation, CitedAnswer, Digest, DocumentSummary, Passage, SourceInfo

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME_LIMIT = 100
SOURCES_PER_PAGE = 10
COLOUR = discord.Colour.blurple()
ABSTENTION_COLOUR = discord.Colour.light_grey()
# Titles an abstention offers as hints of where else to look.
CLOSEST_DOCUMENTS = 3
_MARKDOWN_CHARACTER = re.compile(r"([\\`*_~|>\[\]()#<])")
# Longest document URL worth a link: a longer one would crowd the quote out of its 1,024-character field.
MAX_LINK_URL = 300
_LINKABLE_URL = re.compile(r"https?://[^\s<>\[\]]+")
# Where a passage (a chunk) stops mid-sentence its text is shown with "…" at that end.
_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*$")
_LEADING_PUNCTUATION = re.compile(r"^[\s.,;:…]+")


def trim(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def inline(text: str, limit: int = 100) -> str:
    """Text a user typed, quoted inside a bot message: on one line, trimmed, and in a code span (or,
    when it holds a backtick, with Markdown and mentions escaped), so it shows as typed and cannot
    open a code block, a spoiler or a mention over the rest of the message."""
    text = trim(" ".join(text.split()), limit)
    if "`" not in text:
        return f"`{text}`"
    # Every Markdown character is escaped, not only those escape_markdown judges active: it leaves a
    # backtick without a partner, and a spoiler or a backtick inside what looks like a link, alone.
    return _MARKDOWN_CHARACTER.sub(r"\\\1", text).replace("@", "@\u200b")


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, broken at whitespace where possible."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return pieces


def pack(embeds: Iterable[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6,000 characters each."""
    messages: list[list[discord.Embed]] = [[]]
    size = 0
    for embed in embeds:
        length = len(embed)
        if messages[-1] and (len(messages[-1]) == EMBEDS_PER_MESSAGE or size + length > EMBED_TOTAL_LIMIT):
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += length
    return messages


def plain(text: str) -> str:
    """Text from a document (a title) shown as it is: Markdown characters escaped, on one line."""
    return discord.utils.escape_markdown(" ".join(text.split()), ignore_links=False).replace("[", "\\[").replace("]", "\\]")


def link_target(url: str) -> str:
    """`url` as a Markdown link target, or "" when it cannot be one (not http(s), too long, spaces)."""
    url = url.strip().replace("(", "%28").replace(")", "%29")
    return url if len(url) <= MAX_LINK_URL and _LINKABLE_URL.fullmatch(url) else ""


def document_label(title: str, url: str, published: str, limit: int, link: bool = True) -> str:
    """The short title (a link when the document has a URL) and the date when it is known."""
    shown = plain(short_title(title, limit))
    target = link_target(url) if link else ""
    label = f"[{shown}]({target})" if target else shown
    date = known_date(published)
    return f"{label} · {date}" if date else label


def _citation_fields(citations: Sequence[Citation]) -> list[tuple[str, str]]:
    """One field per citation. The first citation of a document names it (short title, linked when
    the document has a URL, and its date when known); later ones of that document point back to it.
    Field names cannot hold links, so the title goes in the value, above the quote."""
    first_of_document: dict[tuple[str, str], int] = {}
    fields = []
    for citation in citations:
        quote = f"“{' '.join(citation.quote.split())}”"
        document = (citation.scope, citation.doc_id)
        if document in first_of_document:
            name, header = f"[{citation.n}] · same article as [{first_of_document[document]}]", ""
        else:
            first_of_document[document] = citation.n
            name = f"[{citation.n}]"
            header = document_label(citation.title, citation.url, citation.published, SHORT_TITLE_CHARS) + "\n"
        fields.append((name, header + trim(quote, FIELD_VALUE_LIMIT - len(header))))
    return fields


def _cited_embeds(text: str, citations: Sequence[Citation], footer: str, title: str = "") -> list[discord.Embed]:
    """The text (split over embeds if long), then one field per citation, spread over embeds."""
    embeds = [
        discord.Embed(description=piece, colour=COLOUR) for piece in split_text(text, DESCRIPTION_LIMIT)
    ]
    if title:
        embeds[0].title = trim(title, TITLE_LIMIT)
    current = embeds[-1]
    for name, value in _citation_fields(citations):
        if len(current.fields) == FIELDS_PER_EMBED or len(current) + len(name) + len(value) > EMBED_TOTAL_LIMIT - FOOTER_LIMIT:
            current = discord.Embed(colour=COLOUR)
            embeds.append(current)
        current.add_field(name=name, value=value, inline=False)
    embeds[-1].set_footer(text=trim(footer, FOOTER_LIMIT))
    return embeds


def answer_messages(answer: CitedAnswer, note: str = "") -> list[list[discord.Embed]]:
    """`note`: what an answer shown while the LLM writes says of itself (`wording.still_writing`)."""
    shown = footer_line(answer.provenance, answer.as_of, f"{answer.timings_ms.get('total', 0) / 1000:.1f} s", note)
    return pack(_cited_embeds(_opening(answer) + answer.answer, answer.citations, shown, title=_answering(answer)))


def _opening(answer: CitedAnswer) -> str:
    """The short answer in bold with its citation, on a line above the sentences that support it."""
    short = answer.short_answer
    return f"**{plain(short.text)}** [{short.n}]\n\n" if short is not None else ""


def update_message(update: AnswerUpdate) -> list[discord.Embed]:
    """The first message of an answer shown while the LLM writes (the rest, if any, come with the
    final answer): every sentence in it passed the citation check, or is the corpus's own."""
    note = still_writing(update.stage)
    if update.answer.abstained:
        embed = abstention_message(update.answer)
        return [embed.set_footer(text=trim(f"{embed.footer.text} · {note}", FOOTER_LIMIT))]
    return answer_messages(update.answer, note)[0]


def _answering(answer: CitedAnswer) -> str:
    """The question a follow-up was answered as, when it is not the one typed (`asked_as`)."""
    return f"Answering: {plain(answer.asked_as)}" if answer.asked_as else ""


def abstention_message(answer: CitedAnswer) -> discord.Embed:
    """An abstention shown as what it is: the plain statement that the articles do not answer, and
    at most the titles of the closest documents as hints. No passages, no Sources, no votes: the
    retrieved passages did not answer, so quoting them would only look like an answer."""
    titles = list(dict.fromkeys(passage.title for passage in answer.passages))[:CLOSEST_DOCUMENTS]
    description = answer.answer
    if titles:
        description += "\n\nClosest documents: " + ", ".join(f"*{plain(short_title(t))}*" for t in titles)
    embed = discord.Embed(description=trim(description, DESCRIPTION_LIMIT), colour=ABSTENTION_COLOUR)
    if answer.asked_as:
        embed.title = trim(_answering(answer), TITLE_LIMIT)
    return embed.set_footer(text=f"{answer.backend} · {answer.timings_ms.get('total', 0) / 1000:.1f} s")


def summary_messages(summary: DocumentSummary) -> list[list[discord.Embed]]:
    """A summary's footer says who wrote it, how recent its newest cited article is and how long it
    took, as an answer's does."""
    shown = footer_line(f"summary · {summary.provenance}", summary.as_of, f"{summary.timings_ms.get('total', 0) / 1000:.1f} s")
    return pack(_cited_embeds(summary.summary, summary.citations, shown, title=summary.subject))


def passage_excerpt(text: str) -> tuple[str, int]:
    """A passage as a reader sees it: a chunk can begin with the end of the sentence before it
    (". He said") and stop mid-sentence; the leftover punctuation is dropped and a cut end is marked
    with "…". Returns the text to show and how many characters were dropped at its start."""
    dropped = len(text) - len(_LEADING_PUNCTUATION.sub("", text, count=1))
    body = text[dropped:].rstrip()
    opening = "…" if dropped or (body[:1].islower()) else ""
    closing = "" if _SENTENCE_END.search(body) else "…"
    return f"{opening}{body}{closing}", dropped


def passage_messages(passages: Sequence[dict]) -> list[list[discord.Embed]]:
    """The full retrieved passages behind an answer (the Sources button), as stored with it; the
    title links to the document when it has a URL."""
    embeds = []
    for rank, passage in enumerate(passages, start=1):
        shown, dropped = passage_excerpt(passage["text"])
        embed = discord.Embed(
            title=trim(f"{rank}. {short_title(passage['title'], 120)}", TITLE_LIMIT),
            url=link_target(passage.get("url", "")) or None,
            description=trim(shown, DESCRIPTION_LIMIT),
            colour=COLOUR,
        )
        date = known_date(passage.get("published", ""))
        footer = f"{passage['doc_id']}{' · ' + date if date else ''} · characters {passage['start'] + dropped}–{passage['end']}"
        embeds.append(embed.set_footer(text=trim(footer, FOOTER_LIMIT)))
    return pack(embeds) if embeds else [[discord.Embed(description="No passages were retrieved.")]]


def _source_line(info: SourceInfo, guild_scope: str, link: bool) -> str:
    parts = [f"**{info.doc_id}**", document_label(info.title, info.url, info.published, 80, link)]
    if info.author:
        parts.append(f"by {plain(short_title(info.author, 40))}")
    parts.append(plural(info.chunks, "chunk"))
    if info.scope == guild_scope:
        parts.append("*uploaded here*")
    return " · ".join(parts)


def sources_page(sources: Sequence[SourceInfo], page: int, guild_scope: str) -> discord.Embed:
    """One page of the documents list; titles link to their documents unless the links would not
    fit the description (then the page lists them without links rather than cut one in half)."""
    pages = max(1, -(-len(sources) // SOURCES_PER_PAGE))
    shown = sources[page * SOURCES_PER_PAGE : (page + 1) * SOURCES_PER_PAGE]
    body = "\n".join(_source_line(info, guild_scope, link=True) for info in shown)
    if len(body) > DESCRIPTION_LIMIT:
        body = "\n".join(_source_line(info, guild_scope, link=False) for info in shown)
    body = body or "No documents yet."
    embed = discord.Embed(title="Documents", description=trim(body, DESCRIPTION_LIMIT), colour=COLOUR)
    return embed.set_footer(text=f"page {page + 1} of {pages} · {plural(len(sources), 'document')}")


def passages_payload(passages: Sequence[Passage]) -> list[dict]:
    """What the Sources button shows later: each passage as the CLI prints it, plus its document's
    URL and date (the title links to it)."""
    return [{**p.to_json(), "url": p.url, "published": p.published} for p in passages]


def digest_messages(digest: Digest, heading: str) -> list[list[discord.Embed]]:
    """A digest: `heading` ("What's new since …") with how many articles and stories, then each story
    as a summary is shown (its title, cited sentences, quotes), its footer its day and articles."""
    stories = plural(len(digest.stories), "story", "stories")
    count = f"{plural(digest.articles, 'new article')}, {stories}" if digest.stories else "No new articles."
    embeds = [discord.Embed(title=trim(heading, TITLE_LIMIT), description=count, colour=COLOUR)]
    for story in digest.stories:
        footer = " · ".join(part for part in (story.day, plural(len(story.doc_ids), "article")) if part)
        embeds += _cited_embeds(story.summary, story.citations, footer, title=short_title(story.title, TITLE_LIMIT))
    return pack(embeds)
