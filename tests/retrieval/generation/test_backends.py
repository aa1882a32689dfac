"""LLM backends with a real model: llama.cpp in process, and a real llama.cpp OpenAI-compatible server.

HTTP statuses and malformed bodies that a healthy llama.cpp server never sends (429, 500, garbage,
empty completions) come from a small loopback HTTP server that answers with real OpenAI-shaped
responses; a listening socket that never answers stands in for a hung server.
"""

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest

from harness.llama_server import free_port
from retrieval.generation.answerer import FOUND_NO_ANSWER, NO_SENTENCE
from retrieval.models.answers import AnswerUpdate, CitedAnswer
from retrieval.service import AnswerService
from tests.support.loopback import LoopbackServer, Reply
from tests.support.processes import SignalWhenBusy
from tests.support.services import open_service, qwen_settings

pytestmark = pytest.mark.slow

QUESTION = "Who denied the request?"


def assert_verified(service: AnswerService, answer: CitedAnswer) -> None:
    """Every citation is a verbatim span of its document, and every marker names a citation."""
    for citation in answer.citations:
        assert service.document_text(citation.doc_id)[citation.start : citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.answer


async def collect(service: AnswerService, question: str = QUESTION, **kwargs):
    """The answers shown while the LLM wrote, and the final one."""
    events = [event async for event in service.ask_stream(question, **kwargs)]
    return [e for e in events if isinstance(e, AnswerUpdate)], events[-1]


def assert_shown_first_then_checked(service: AnswerService, updates: list[AnswerUpdate]) -> None:
    """The extractive answer came first, and every answer shown meanwhile quotes verbatim."""
    assert updates and updates[0].stage == "extractive" and updates[0].answer.backend == "extractive"
    assert all(update.stage == "checked" for update in updates[1:])
    for update in updates:
        assert_verified(service, update.answer)


# The hostile tiny model, in process: it invents and mis-cites; nothing unsupported may pass --------


def assert_dropped_claims_not_shown(text: str, checks) -> None:
    """No claim the check dropped is in `text`, unless it is part of a claim the check kept (the
    tiny model repeats itself, and a repeat cut short by the token limit is a prefix of the kept one)."""
    kept = [c.text for c in checks if c.outcome in ("kept", "reattributed")]
    for check in checks:
        if check.outcome in ("unsupported", "uncited") and not any(check.text in k for k in kept):
            assert check.text not in text


def assert_nothing_unsupported_shown(service: AnswerService, answer) -> None:
    """What the check dropped is not in the answer, and every sentence shown is supported."""
    assert answer.check is not None, "the model's answer went through the check"
    assert_dropped_claims_not_shown(answer.answer, answer.check.checks)
    if not answer.fallback_reason:
        assert all(c.outcome in ("kept", "reattributed") for c in answer.check.checks if c.text in answer.answer)
    assert_verified(service, answer)


def test_the_hostile_tiny_model_gets_no_unsupported_sentence_through_in_process(llm_service_factory, tiny_gguf_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tiny_gguf_path)
    questions = (QUESTION, "What military equipment did Russia request?", "What did the French president say about Rome?")
    for question in questions:
        updates, final = asyncio.run(collect(service, question))
        assert_shown_first_then_checked(service, updates)
        for update in updates[1:]:
            assert all(check.outcome in ("kept", "reattributed") for check in update.answer.check.checks
                       if check.text in update.answer.answer)
        assert_nothing_unsupported_shown(service, final)


def test_missing_model_falls_back_with_a_clear_reason(llm_service_factory, tmp_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tmp_path / "missing.gguf")
    answer = service.ask(QUESTION)
    assert (answer.backend, answer.fallback_reason) == ("extractive", f"LLM_GGUF_PATH {tmp_path / 'missing.gguf'} is not a file")
    assert "Liu Pengyu" in answer.answer


def test_context_overflow_in_process_falls_back(llm_service_factory, tiny_gguf_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tiny_gguf_path, llm_context_window=256,
                                  llm_max_tokens=16)
    answer = service.ask(QUESTION)
    assert answer.backend == "extractive"
    assert answer.fallback_reason.startswith("the prompt exceeds the model's context window")
    assert answer.citations


def test_the_hostile_tiny_models_summary_is_checked(llm_service_factory, tiny_gguf_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tiny_gguf_path, llm_context_window=1024)
    summary = service.summarize_document("us-warns-allies-china-willing-to-support-russia")
    assert summary.check is not None
    assert_dropped_claims_not_shown(summary.summary, summary.check.checks)
    assert summary.citations
    for citation in summary.citations:
        assert service.document_text(citation.doc_id)[citation.start : citation.end] == citation.quote


# OpenAI-compatible server ------------------------------------------------------------------------


def test_the_llm_answers_through_a_real_llama_cpp_server(embed_model, tmp_path: Path, qwen_server):
    """Qwen behind llama.cpp's OpenAI-compatible server: streamed, and answered by the LLM itself."""
    service = open_service(qwen_settings(tmp_path / "data", llm_backend="openai", llm_base_url=qwen_server.url),
                           embed_model)
    service.ingest()
    updates, final = asyncio.run(collect(service, "Who did Jake Sullivan meet in Rome?"))
    assert_shown_first_then_checked(service, updates)
    assert (final.backend, final.fallback_reason) == ("openai", "")
    assert "Yang Jiechi" in final.answer
    assert_verified(service, final)


def test_wrong_api_key_is_a_one_line_401(llm_service_factory, llama_server):
    service = llm_service_factory(llm_backend="openai", llm_base_url=llama_server.url, llm_api_key="wrong")
    answer = service.ask(QUESTION)
    assert answer.fallback_reason == "the LLM server refused the API key (HTTP 401); check LLM_API_KEY"
    assert answer.citations


def test_server_context_overflow(llm_service_factory, start_llama_server):
    """Our budget believes 16k tokens fit; the server's real window is 256 tokens.

    llama.cpp's server answers an oversized *streaming* request with an empty 200 event stream (it
    reports 400 only without streaming), so what the user sees is the empty-completion message; the
    400 that OpenAI and vLLM send is covered with the fault server below.
    """
    server = start_llama_server(n_ctx=256)
    service = llm_service_factory(llm_backend="openai", llm_base_url=server.url, llm_context_window=16384)
    answer = service.ask(QUESTION)
    assert answer.fallback_reason == "the LLM returned an empty completion"
    assert answer.citations


def test_server_not_running(llm_service_factory):
    url = f"http://127.0.0.1:{free_port()}/v1"
    service = llm_service_factory(llm_backend="openai", llm_base_url=url)
    started = time.monotonic()
    answer = service.ask(QUESTION)
    assert (answer.backend, answer.fallback_reason) == ("extractive", f"cannot reach the LLM at {url} (is the server running?)")
    assert time.monotonic() - started < 10
    assert "Liu Pengyu" in answer.answer


def test_server_killed_mid_stream(llm_service_factory, start_llama_server):
    server = start_llama_server()
    service = llm_service_factory(llm_backend="openai", llm_base_url=server.url, llm_max_tokens=256)
    kill = SignalWhenBusy(server.process.pid)
    updates, final = asyncio.run(collect(service))
    assert kill.fired.is_set(), "the server died while it wrote the answer"
    assert [update.stage for update in updates][:1] == ["extractive"]
    assert final.backend == "extractive"
    assert "mid-answer" in final.fallback_reason or "cannot reach" in final.fallback_reason
    assert final.citations
    assert_verified(service, final)


def test_hung_server_is_bounded_by_the_timeout(llm_service_factory):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=url, llm_timeout=2.0)
        started = time.monotonic()
        answer = service.ask(QUESTION)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert answer.backend == "extractive" and "within" in answer.fallback_reason
    assert elapsed < 8
    assert answer.citations


class FaultyOpenAI(LoopbackServer):
    """An OpenAI-compatible endpoint that answers each request with the next scripted fault."""

    def __init__(self, responses: list[Reply]) -> None:
        super().__init__(lambda method, path, body: responses[min(len(self.requests) - 1, len(responses) - 1)])
        self.url = f"{self.url}/v1"

    @property
    def count(self) -> int:
        return len(self.requests)


def sse(*contents: str) -> bytes:
    chunks = [
        {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
         "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
        for text in contents
    ]
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


ERROR = json.dumps({"error": {"message": "boom", "type": "server_error"}}).encode()
CONTEXT_ERROR = json.dumps({"error": {
    "message": "This model's maximum context length is 2048 tokens. However, you requested 3074 tokens "
               "(3010 in the messages, 64 in the completion). Please reduce the length of the messages or completion.",
    "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}).encode()


@pytest.mark.parametrize(
    ("responses", "expected", "requests"),
    [
        ([(429, {"Retry-After": "0"}, ERROR)], "the LLM is rate-limited (HTTP 429) after 2 retries", 3),
        ([(500, {}, ERROR)], "the LLM server failed (HTTP 500) after 2 retries", 3),
        ([(400, {}, ERROR)], "the LLM rejected the request (HTTP 400): boom", 1),
        ([(400, {}, CONTEXT_ERROR)], "the prompt exceeds the model's context window", 1),
        ([(200, {"Content-Type": "text/event-stream"}, b"data: {not json\n\n")], "malformed response from the LLM", 1),
        ([(200, {"Content-Type": "text/event-stream"}, sse("", " ", ""))], "the LLM returned an empty completion", 1),
    ],
    ids=["429", "500", "400", "context", "malformed", "empty"],
)
def test_http_faults_give_one_line_reasons(llm_service_factory, responses, expected: str, requests: int):
    fault = FaultyOpenAI(responses)
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=fault.url, llm_max_retries=2)
        answer = service.ask(QUESTION)
    finally:
        fault.close()
    assert answer.backend == "extractive" and answer.fallback_reason.startswith(expected)
    assert "\n" not in answer.fallback_reason
    assert fault.count == requests
    assert "Liu Pengyu" in answer.answer


def test_429_then_success_is_retried(llm_service_factory):
    fault = FaultyOpenAI([
        (429, {"Retry-After": "0"}, ERROR),
        (200, {"Content-Type": "text/event-stream"},
         sse("Liu Pengyu, the spokesman for the Chinese embassy, ", "denied the request [1].")),
    ])
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=fault.url)
        answer = service.ask(QUESTION)
    finally:
        fault.close()
    assert fault.count == 2
    assert (answer.backend, answer.fallback_reason) == ("openai", "")
    assert answer.answer.startswith("Liu Pengyu, the spokesman for the Chinese embassy, denied the request. [1]")
    assert "Liu Pengyu" in answer.citations[0].quote
    assert_verified(service, answer)
    assert "Peskov" in answer.answer, "completed with the other denial, which the model left out"


def test_an_llm_that_finds_no_answer_is_reported_as_such(llm_service_factory):
    fault = FaultyOpenAI([(200, {"Content-Type": "text/event-stream"},
                           sse("The sources do not mention ", "who won the final."))])
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=fault.url)
        answer = service.ask("Who won the football final in 2018?")
    finally:
        fault.close()
    assert (answer.backend, answer.fallback_reason) == ("extractive", FOUND_NO_ANSWER)
    assert answer.abstained and answer.citations == []


def test_the_llm_is_not_asked_about_what_no_article_mentions(llm_service_factory):
    """No article mentions Japan: the extractive backend abstains and says so, and the model is not
    asked. A question naming what an article mentions is asked as before."""
    fault = FaultyOpenAI([(200, {"Content-Type": "text/event-stream"}, sse("The sources do not say."))])
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=fault.url)
        elsewhere = service.ask("What did Japan's foreign minister say about the request?")
        asked = fault.count
        service.ask("What did the State Department send to its allies?")
    finally:
        fault.close()
    assert (asked, fault.count) == (0, 1)
    assert elsewhere.abstained and elsewhere.citations == []
    assert elsewhere.answer.endswith("none of the closest articles mentions Japan.")
    assert (elsewhere.backend, elsewhere.fallback_reason) == ("extractive", "")


def test_a_bare_marker_is_reported_as_no_sentence(llm_service_factory):
    """What Qwen 1.5B wrote for 20 of 22 questions under the old prompt: "[1]" and nothing else."""
    fault = FaultyOpenAI([(200, {"Content-Type": "text/event-stream"}, sse("[1]"))])
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=fault.url)
        answer = service.ask(QUESTION)
    finally:
        fault.close()
    assert (answer.backend, answer.fallback_reason) == ("extractive", NO_SENTENCE)
    assert answer.check is not None and answer.check.claims == 0
    assert "Liu Pengyu" in answer.answer
