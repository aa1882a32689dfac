"""Turning answers, summaries and document lists into Discord messages within every Discord limit.

Discord rejects a message whose embeds break a limit, and a rejected answer is a lost answer, so
everything here splits or trims (with "…") and never raises.
"""

import re
from collections.abc import Iterable, Sequence

import discord

from retrieval.models import Citation, CitedAnswer, DocumentSummary, Passage, SourceInfo

CONTENT_LIMIT = 2000
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
_MARKDOWN_CHARACTER = re.compile(r"([\\`*_~|>\[\]()#<])")


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


def _citation_field(citation: Citation) -> tuple[str, str]:
    name = trim(f"[{citation.n}] {citation.title} · {citation.published or 'undated'}", FIELD_NAME_LIMIT)
    return name, trim(f"“{' '.join(citation.quote.split())}”", FIELD_VALUE_LIMIT)


def _cited_embeds(text: str, citations: Sequence[Citation], footer: str, title: str = "") -> list[discord.Embed]:
    """The text (split over embeds if long), then one field per citation, spread over embeds."""
    embeds = [
        discord.Embed(description=piece, colour=COLOUR) for piece in split_text(text, DESCRIPTION_LIMIT)
    ]
    if title:
        embeds[0].title = trim(title, TITLE_LIMIT)
    current = embeds[-1]
    for citation in citations:
        name, value = _citation_field(citation)
        if len(current.fields) == FIELDS_PER_EMBED or len(current) + len(name) + len(value) > EMBED_TOTAL_LIMIT - FOOTER_LIMIT:
            current = discord.Embed(colour=COLOUR)
            embeds.append(current)
        current.add_field(name=name, value=value, inline=False)
    embeds[-1].set_footer(text=trim(footer, FOOTER_LIMIT))
    return embeds


def answer_messages(answer: CitedAnswer) -> list[list[discord.Embed]]:
    footer = f"{answer.backend} · {answer.timings_ms.get('total', 0) / 1000:.1f} s"
    return pack(_cited_embeds(answer.answer, answer.citations, footer))


def summary_messages(summary: DocumentSummary) -> list[list[discord.Embed]]:
    footer = f"summary · {summary.backend}"
    return pack(_cited_embeds(summary.summary, summary.citations, footer, title=summary.subject))


def passage_messages(passages: Sequence[dict]) -> list[list[discord.Embed]]:
    """The full retrieved passages behind an answer (the Sources button), as stored with it."""
    embeds = [
        discord.Embed(
            title=trim(f"{rank}. {passage['title']}", TITLE_LIMIT),
            description=trim(passage["text"], DESCRIPTION_LIMIT),
            colour=COLOUR,
        ).set_footer(text=f"{passage['doc_id']} · characters {passage['start']}–{passage['end']}")
        for rank, passage in enumerate(passages, start=1)
    ]
    return pack(embeds) if embeds else [[discord.Embed(description="No passages were retrieved.")]]


def sources_page(sources: Sequence[SourceInfo], page: int, guild_scope: str) -> discord.Embed:
    pages = max(1, -(-len(sources) // SOURCES_PER_PAGE))
    lines = [
        f"**{info.doc_id}** · {info.title} · {info.published or 'undated'} · {info.chunks} chunks"
        + (" · *uploaded here*" if info.scope == guild_scope else "")
        for info in sources[page * SOURCES_PER_PAGE : (page + 1) * SOURCES_PER_PAGE]
    ]
    body = "\n".join(trim(line, 400) for line in lines) or "No documents yet."
    embed = discord.Embed(title="Documents", description=trim(body, DESCRIPTION_LIMIT), colour=COLOUR)
    return embed.set_footer(text=f"page {page + 1} of {pages} · {len(sources)} documents")


def streaming_content(text: str) -> str:
    """Partial LLM text for the message being edited: the tail, within the content limit."""
    marker = "✍️ "
    tail = text[-(CONTENT_LIMIT - len(marker) - 1) :]
    return marker + (tail if len(tail) == len(text) else "…" + tail[1:])


def passages_payload(passages: Sequence[Passage]) -> list[dict]:
    return [p.to_json() for p in passages]
