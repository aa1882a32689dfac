"""Paths, settings and services on temp dirs, shared by the test fixtures (tests/conftest.py) and the
test modules that build their own."""

from pathlib import Path

from retrieval.composition import build_service
from retrieval.index.store import CorpusStore
from retrieval.service import AnswerService
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parent.parent.parent
CORPUS = REPO / "corpus"


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> RetrievalSettings:
    return RetrievalSettings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


def open_service(settings: RetrievalSettings, embed_model) -> AnswerService:
    """Like `AnswerService.from_settings` (embedded Chroma, or the server of CHROMA_HOST), sharing
    the session's embedder."""
    return build_service(settings, store=CorpusStore.connect(settings), embed_model=embed_model)


# LLM settings: the API key the test servers demand, and the settings of the two real models (see the
# LLM fixtures in tests/conftest.py).

LLM_API_KEY = "test-key"


def llm_settings(data_dir: Path, **overrides) -> RetrievalSettings:
    """Settings for the tiny model's tests: deterministic, short answers so it stays fast."""
    values = {"llm_temperature": 0.0, "llm_max_tokens": 96, "llm_context_window": 2048, "llm_timeout": 60.0,
              "llm_chat_format": "gemma", "llm_api_key": LLM_API_KEY, "llm_model": "gemma"}
    values.update(overrides)
    return make_settings(data_dir, **values)


def qwen_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> RetrievalSettings:
    """Settings for Qwen as a user runs it (`make local-llm`): its own chat template, deterministic."""
    values = {"llm_temperature": 0.0, "llm_timeout": 120.0, "llm_api_key": LLM_API_KEY, "llm_model": "qwen"}
    values.update(overrides)
    return make_settings(data_dir, corpus_dir, **values)
