"""Which corpus scopes a server writes and reads: a module of its own, so that the CLI names a
server's scope (`--guild ID`) without importing discord.py."""

from retrieval import SHARED_SCOPE


def guild_scope(guild_id: int) -> str:
    """The corpus scope of one guild's uploads."""
    return f"guild-{guild_id}"


def visible_scopes(guild_id: int | None) -> list[str]:
    """What a guild may read: the shared corpus and its own uploads (DMs: the shared corpus)."""
    return [SHARED_SCOPE] if guild_id is None else [SHARED_SCOPE, guild_scope(guild_id)]
