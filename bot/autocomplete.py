"""Autocomplete over the documents a guild can see, shared by /summary and /remove."""

from collections.abc import Sequence

from discord import app_commands

from bot.rendering import AUTOCOMPLETE_CHOICES, CHOICE_NAME_LIMIT, trim
from retrieval import SourceInfo


def choice_name(info: SourceInfo) -> str:
    """`Title (id)` within Discord's 100 characters: the title is shortened, never the id, because
    the id is what the command takes and what tells two similar titles apart."""
    suffix = f" ({info.doc_id})"
    room = CHOICE_NAME_LIMIT - len(suffix)
    title = " ".join(info.title.split())
    if room < 2:
        return trim(info.doc_id, CHOICE_NAME_LIMIT)
    return trim(title, room) + suffix if title else info.doc_id


def document_choices(sources: Sequence[SourceInfo], current: str) -> list[app_commands.Choice[str]]:
    """Documents whose id or title contains what the user typed, at most 25 (Discord's limit)."""
    needle = current.lower().strip()
    matches = [s for s in sources if needle in s.doc_id.lower() or needle in s.title.lower()]
    return [
        app_commands.Choice(name=choice_name(s), value=s.doc_id[:100])
        for s in matches[:AUTOCOMPLETE_CHOICES]
    ]
