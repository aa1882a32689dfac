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
    "SHARED_SCOPE": "retrieval.models",
    "clean_question": "retrieval.service",
    "Turn": "retrieval.conversation",
    "build_service": "retrieval.composition",
    "build_embed_model": "retrieval.composition",
    "RetrievalSettings": "retrieval.settings",
    "StoreDamaged": "retrieval.store",
    "StoreUnavailable": "retrieval.store",
    "Citation": "retrieval.models",
    "CitedAnswer": "retrieval.models",
    "DocumentSummary": "retrieval.models",
    "IngestReport": "retrieval.models",
    "Passage": "retrieval.models",
    "SourceInfo": "retrieval.models",
    "AnswerUpdate": "retrieval.models",
    "LLMError": "retrieval.generation.errors",
    "QWEN_CODER_1_5B": "retrieval.generation.local_model",
    "assemble": "retrieval.generation.local_model",
    "self_check": "retrieval.generation.local_model",
    "SUPPORTED_SUFFIXES": "retrieval.documents",
    "upload_name": "retrieval.documents",
    "FetchError": "retrieval.web",
    "check_url": "retrieval.web",
    "strip_chat_markup": "retrieval.questions",
    "normalised_date": "retrieval.recency",
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
    "DocumentNotFound",
    "DocumentSummary",
    "EvalFileError",
    "EvalReport",
    "Evaluator",
    "FetchError",
    "IngestReport",
    "LLMError",
    "METRICS",
    "Passage",
    "QWEN_CODER_1_5B",
    "QuestionError",
    "RetrievalSettings",
    "SHARED_SCOPE",
    "SUPPORTED_SUFFIXES",
    "SourceInfo",
    "StoreDamaged",
    "StoreUnavailable",
    "Turn",
    "assemble",
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
    from retrieval.composition import build_embed_model, build_service
    from retrieval.conversation import Turn
    from retrieval.documents import SUPPORTED_SUFFIXES, upload_name
    from retrieval.evaluation import METRICS, EvalFileError, EvalReport, Evaluator, load_questions
    from retrieval.generation.errors import LLMError
    from retrieval.generation.local_model import QWEN_CODER_1_5B, assemble, self_check
    from retrieval.models import (
        SHARED_SCOPE,
        AnswerUpdate,
        Citation,
        CitedAnswer,
        DocumentSummary,
        IngestReport,
        Passage,
        SourceInfo,
    )
    from retrieval.questions import strip_chat_markup
    from retrieval.recency import normalised_date
    from retrieval.service import AnswerService, DocumentNotFound, QuestionError, clean_question
    from retrieval.settings import RetrievalSettings
    from retrieval.store import StoreDamaged, StoreUnavailable
    from retrieval.web import FetchError, check_url


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
