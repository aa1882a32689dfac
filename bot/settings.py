"""The one settings object of a running citebot: retrieval settings plus the bot's own."""

from pydantic import SecretStr

from retrieval.settings import RetrievalSettings


class Settings(RetrievalSettings):
    """Read from the environment and `.env`; every field is listed in `.env.example`."""

    discord_token: SecretStr | None = None
