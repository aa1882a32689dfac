"""The Discord side of citebot (and its CLI): a thin adapter over `retrieval.AnswerService`.

`create_bot` is resolved on first use, so `import bot.cli` does not load discord.py and the
retrieval layer for commands that need neither (`citebot feedback`, `citebot local-llm`).
"""

from typing import TYPE_CHECKING, Any

__all__ = ["create_bot"]

if TYPE_CHECKING:
    from bot.client import create_bot


def __getattr__(name: str) -> Any:
    if name == "create_bot":
        from bot.client import create_bot

        return create_bot
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
