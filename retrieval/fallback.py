"""The one fallback policy, for answers and summaries alike.

The LLM's draft is shown when some of it survived the citation check. Otherwise the extractive
backend's draft is, built only then, carrying why the LLM's was not shown (`fallback_reason`)
and, when the model did write something, the check's report and the model's usage: a user who
sees an extractive answer under a configured LLM can always tell why.
"""

from collections.abc import Callable
from dataclasses import replace

from retrieval.generation.answerer import LLMDraft
from retrieval.models import Draft


def settle(drafted: LLMDraft | None, problem: str, extractive: Callable[[], Draft]) -> Draft:
    """`drafted` is what the model wrote (None when it was not asked or failed, `problem` saying
    why; "" when the extractive backend is configured)."""
    if drafted is None:
        return replace(extractive(), fallback_reason=problem)
    checked = drafted.checked
    if not drafted.problem:
        return Draft(checked.text, checked.citations, False, drafted.backend, check=checked.report, llm_usage=drafted.usage)
    return replace(extractive(), fallback_reason=drafted.problem, check=checked.report, llm_usage=drafted.usage)
