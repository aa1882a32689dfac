"""The one settings object of a running citebot: retrieval settings plus the bot's own."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from retrieval import RetrievalSettings


class Settings(RetrievalSettings):
    """Read from the environment and `.env`; every field is listed in `.env.example`."""

    discord_token: SecretStr | None = None
    ask_channel_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    answer_in_threads: bool = Field(True, description="answer message questions in a new thread where the bot may open one")
    message_content_intent: bool = Field(
        False, description="request the privileged intent: thread follow-ups without a mention, replies without the ping"
    )
    admin_role_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    max_upload_bytes: int = Field(2_000_000, ge=1)
    ask_cooldown_seconds: float = Field(10.0, ge=0)
    max_concurrent_questions: int = Field(2, ge=1, le=32)
    fetch_concurrency: int = Field(
        2, ge=1, le=16, description="URL uploads the bot fetches at once, on threads of their own (never those answers use)"
    )
    fetch_queue: int = Field(4, ge=0, le=64, description="URL uploads that wait for one of those threads; more are refused")
    shards: Literal["auto"] | None = None
    # Feeds and refresh (bot/exts/feeds/): how often the bot polls and refreshes on its own.
    feed_poll_minutes: float = Field(30.0, ge=0, description="minutes between polls of every feed (0: no polling loop)")
    refresh_hours: float = Field(0.0, ge=0, description="hours between refreshes of every web document (0: off)")
    gaps_days: int = Field(30, ge=1, le=365, description="days /gaps and `citebot gaps` look back by default")

    @property
    def bot_database(self) -> Path:
        """The bot's SQLite file (answers, votes, shares, digest schedules), in the data dir."""
        return self.data_dir / "bot.sqlite"

    @field_validator("ask_channel_ids", "admin_role_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`ASK_CHANNEL_IDS=123,456` as people write it in a .env file."""
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value
