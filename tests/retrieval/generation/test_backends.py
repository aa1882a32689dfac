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

from retrieval.generation.answerer import PartialAnswer
from retrieval.models import CitedAnswer
from retrieval.service import AnswerService
from tests.conftest import free_port
from tests.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.slow

QUESTION = "Who denied the request?"


def assert_verified(service: AnswerService, answer: CitedAnswer) -> None:
    """Every citation is a verbatim span of its document, and every marker names a citation."""
    for citation in answer.citations:
        assert service.document_text(citation.doc_id)[citation.start : citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.answer


async def collect(service: AnswerService, question: str = QUESTION, **kwargs):
    events = [event async for event in service.ask_stream(question, **kwargs)]
    return [e for e in events if isinstance(e, PartialAnswer)], events[-1]


# In-process llama.cpp ---------------------------------------------------------------------------


def test_llamacpp_in_process_answers_and_the_checker_polices_its_citations(llm_service_factory, gguf_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=gguf_path)
    partials, final = asyncio.run(collect(service))
    assert partials, "the in-process backend streams"
    raw = partials[-1].text
    passages, records = service._retrieve(QUESTION, service._embed_model.get_query_embedding(QUESTION),
                                          ["shared"], service._snapshot)
    report = service.citation_checker.check(raw, passages, records, service._snapshot.bm25).report
    # The tiny model writes claims without valid, supported citations; the check must catch them.
    assert report.dropped + report.invalid_markers > 0
    assert final.backend in ("llamacpp", "extractive (fallback: llm citations unsupported)")
    assert final.citations
    assert_verified(service, final)


def test_llamacpp_missing_model_falls_back_with_a_clear_reason(llm_service_factory, tmp_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tmp_path / "missing.gguf")
    answer = service.ask(QUESTION)
    assert answer.backend == f"extractive (fallback: LLM_GGUF_PATH {tmp_path / 'missing.gguf'} is not a file)"
    assert "Liu Pengyu" in answer.answer


def test_llamacpp_context_overflow_falls_back(llm_service_factory, gguf_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=gguf_path, llm_context_window=256,
                                  llm_max_tokens=16)
    answer = service.ask(QUESTION)
    assert answer.backend.startswith("extractive (fallback: the prompt exceeds the model's context window")
    assert answer.citations


def test_llamacpp_summary_is_checked(llm_service_factory, gguf_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=gguf_path, llm_context_window=1024)
    summary = service.summarize_document("us-warns-allies-china-willing-to-support-russia")
    assert summary.backend in ("llamacpp", "extractive (fallback: llm citations unsupported)")
    assert summary.citations
    for citation in summary.citations:
        assert service.document_text(citation.doc_id)[citation.start : citation.end] == citation.quote


# OpenAI-compatible server ------------------------------------------------------------------------


def test_openai_backend_streams_from_a_real_llama_cpp_server(llm_service_factory, llama_server):
    service = llm_service_factory(llm_backend="openai", llm_base_url=llama_server.url)
    partials, final = asyncio.run(collect(service))
    assert len(partials) >= 2
    assert all(b.text.startswith(a.text) for a, b in zip(partials, partials[1:]))
    assert final.backend in ("openai", "extractive (fallback: llm citations unsupported)")
    assert final.citations
    assert_verified(service, final)


def test_follow_up_uses_the_conversation(llm_service_factory, llama_server):
    service = llm_service_factory(llm_backend="openai", llm_base_url=llama_server.url)
    answer = service.ask("And what did Russia say?", history=[(QUESTION, "Liu Pengyu denied it [1].")])
    assert any("Peskov" in c.quote or "Russia" in c.quote for c in answer.citations)
    assert_verified(service, answer)


def test_wrong_api_key_is_a_one_line_401(llm_service_factory, llama_server):
    service = llm_service_factory(llm_backend="openai", llm_base_url=llama_server.url, llm_api_key="wrong")
    answer = service.ask(QUESTION)
    assert answer.backend == "extractive (fallback: the LLM server refused the API key (HTTP 401); check LLM_API_KEY)"
    assert answer.citations


def test_server_context_overflow(llm_service_factory, start_llama_server):
    """Our budget believes 16k tokens fit; the server's real window is 512 tokens.

    llama.cpp's server answers an oversized *streaming* request with an empty 200 event stream (it
    reports 400 only without streaming), so what the user sees is the empty-completion message; the
    400 that OpenAI and vLLM send is covered with the fault server below.
    """
    server = start_llama_server(n_ctx=512)
    service = llm_service_factory(llm_backend="openai", llm_base_url=server.url, llm_context_window=16384)
    answer = service.ask(QUESTION)
    assert answer.backend == "extractive (fallback: the LLM returned an empty completion)"
    assert answer.citations


def test_server_not_running(llm_service_factory):
    url = f"http://127.0.0.1:{free_port()}/v1"
    service = llm_service_factory(llm_backend="openai", llm_base_url=url)
    started = time.monotonic()
    answer = service.ask(QUESTION)
    assert answer.backend == f"extractive (fallback: cannot reach the LLM at {url} (is the server running?))"
    assert time.monotonic() - started < 10
    assert "Liu Pengyu" in answer.answer


def test_server_killed_mid_stream(llm_service_factory, start_llama_server):
    server = start_llama_server()
    service = llm_service_factory(llm_backend="openai", llm_base_url=server.url, llm_max_tokens=256)

    async def ask_and_kill():
        events = []
        async for event in service.ask_stream(QUESTION):
            events.append(event)
            if isinstance(event, PartialAnswer) and server.process.poll() is None:
                server.kill()
        return events

    events = asyncio.run(ask_and_kill())
    final = events[-1]
    assert any(isinstance(e, PartialAnswer) for e in events)
    assert final.backend.startswith("extractive (fallback: ")
    assert "mid-answer" in final.backend or "cannot reach" in final.backend
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
    assert "within" in answer.backend and answer.backend.startswith("extractive (fallback: ")
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
    assert answer.backend.startswith(f"extractive (fallback: {expected}")
    assert "\n" not in answer.backend
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
    assert answer.backend == "openai"
    assert answer.answer == "Liu Pengyu, the spokesman for the Chinese embassy, denied the request. [1]"
    assert "Liu Pengyu" in answer.citations[0].quote
    assert_verified(service, answer)


def test_an_llm_that_finds_no_answer_is_reported_as_such(llm_service_factory):
    fault = FaultyOpenAI([(200, {"Content-Type": "text/event-stream"},
                           sse("The passages do not answer ", "this question."))])
    try:
        service = llm_service_factory(llm_backend="openai", llm_base_url=fault.url)
        answer = service.ask("Who won the 2018 World Cup?")
    finally:
        fault.close()
    assert answer.backend == "extractive (fallback: the llm found no answer in the passages)"
    assert answer.abstained and answer.citations == []
