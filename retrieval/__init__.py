"""The retrieval layer's public surface: everything the bot and the CLI use, importable from
`retrieval` itself. Knows nothing of Discord.

Names resolve on first use (PEP 562), so `from retrieval import IngestReport` loads only the module
that defines it: commands that never touch the index (`citebot feedback`) must not pay for Chroma,
llama-index or torch.
"""

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "AnswerService": "retrieval.service",
    "DocumentNotFound": "retrieval.service",
    "QuestionError": "retrieval.service",
    "SHARED_SCOPE": "retrieval.models.records",
    "clean_question": "retrieval.service",
    "Turn": "retrieval.language.follow_ups",
    "build_service": "retrieval.composition",
    "build_embed_model": "retrieval.composition",
    "build_catalog": "retrieval.composition",
    "build_feed_store": "retrieval.composition",
    "FeedError": "retrieval.ingest.feeds.parsing",
    "UnknownFeed": "retrieval.ingest.feeds.parsing",
    "NoWebDocument": "retrieval.ingest.refresh",
    "FeedPoll": "retrieval.models.feeds",
    "FeedStatus": "retrieval.models.feeds",
    "RefreshOutcome": "retrieval.models.feeds",
    "RefreshReport": "retrieval.models.feeds",
    "RetrievalSettings": "retrieval.settings",
    "StoreDamaged": "retrieval.index.chroma",
    "StoreUnavailable": "retrieval.index.chroma",
    "Citation": "retrieval.models.answers",
    "CitedAnswer": "retrieval.models.answers",
    "DocumentSummary": "retrieval.models.answers",
    "Digest": "retrieval.models.digest",
    "Story": "retrieval.models.digest",
    "asked_about": "retrieval.language.subjects",
    "open_sqlite": "retrieval.index.sqlite_file",
    "IngestReport": "retrieval.models.answers",
    "Passage": "retrieval.models.answers",
    "SourceInfo": "retrieval.models.records",
    "AnswerUpdate": "retrieval.models.answers",
    "LLMError": "retrieval.generation.errors",
    "QWEN_CODER_1_5B": "retrieval.generation.local_model",
    "assemble": "retrieval.generation.local_model",
    "self_check": "retrieval.generation.local_model",
    "SUPPORTED_SUFFIXES": "retrieval.ingest.readers",
    "upload_name": "retrieval.ingest.readers",
    "FetchError": "retrieval.ingest.web",
    "check_url": "retrieval.ingest.web",
    "strip_chat_markup": "retrieval.language.questions",
    "normalised_date": "retrieval.text.dates",
    "METRICS": "retrieval.evaluation",
    "EvalFileError": "retrieval.evaluation",
    "EvalReport": "retrieval.evaluation",
    "Evaluator": "retrieval.evaluation",
    "load_questions": "retrieval.evaluation",
}

__all__ = [
    "AnswerService",
    "AnswerUpdate",
    "Citation",
    "CitedAnswer",
    "Digest",
    "DocumentNotFound",
    "DocumentSummary",
    "EvalFileError",
    "EvalReport",
    "Evaluator",
    "FeedError",
    "FeedPoll",
    "FeedStatus",
    "FetchError",
    "IngestReport",
    "LLMError",
    "METRICS",
    "NoWebDocument",
    "Passage",
    "QWEN_CODER_1_5B",
    "QuestionError",
    "RefreshOutcome",
    "RefreshReport",
    "RetrievalSettings",
    "SHARED_SCOPE",
    "SUPPORTED_SUFFIXES",
    "SourceInfo",
    "StoreDamaged",
    "StoreUnavailable",
    "Story",
    "Turn",
    "UnknownFeed",
    "asked_about",
    "open_sqlite",
    "assemble",
    "build_catalog",
    "build_feed_store",
    "build_embed_model",
    "build_service",
    "check_url",
    "clean_question",
    "load_questions",
    "normalised_date",
    "strip_chat_markup",
    "self_check",
    "upload_name",
]

if TYPE_CHECKING:
    from retrieval.composition import build_catalog, build_embed_model, build_feed_store, build_service
    from retrieval.evaluation import METRICS, EvalFileError, EvalReport, Evaluator, load_questions
    from retrieval.generation.errors import LLMError
    from retrieval.generation.local_model import QWEN_CODER_1_5B, assemble, self_check
    from retrieval.index.chroma import StoreDamaged, StoreUnavailable
    from retrieval.index.sqlite_file import open_sqlite
    from retrieval.ingest.feeds.parsing import FeedError, UnknownFeed
    from retrieval.ingest.readers import SUPPORTED_SUFFIXES, upload_name
    from retrieval.ingest.refresh import NoWebDocument
    from retrieval.ingest.web import FetchError, check_url
    from retrieval.language.follow_ups import Turn
    from retrieval.language.questions import strip_chat_markup
    from retrieval.language.subjects import asked_about
    from retrieval.models.answers import AnswerUpdate, Citation, CitedAnswer, DocumentSummary, IngestReport, Passage
    from retrieval.models.digest import Digest, Story
    from retrieval.models.feeds import FeedPoll, FeedStatus, RefreshOutcome, RefreshReport
    from retrieval.models.records import SHARED_SCOPE, SourceInfo
    from retrieval.service import AnswerService, DocumentNotFound, QuestionError, clean_question
    from retrieval.settings import RetrievalSettings
    from retrieval.text.dates import normalised_date


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
