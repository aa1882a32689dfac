"""Autocomplete over the documents a guild can see, shared by /summary and /remove."""

from collections.abc import Sequence

from discord import app_commands

from bot.rendering import AUTOCOMPLETE_CHOICES, CHOICE_NAME_LIMIT, trim
from retrieval.models import SourceInfo


def document_choices(sources: Sequence[SourceInfo], current: str) -> list[app_commands.Choice[str]]:
    """Documents whose id or title contains what the user typed, at most 25 (Discord's limit)."""
    needle = current.lower().strip()
    matches = [s for s in sources if needle in s.doc_id.lower() or needle in s.title.lower()]
    return [
        app_commands.Choice(name=trim(f"{s.title} ({s.doc_id})", CHOICE_NAME_LIMIT), value=s.doc_id[:100])
        for s in matches[:AUTOCOMPLETE_CHOICES]
    ]
