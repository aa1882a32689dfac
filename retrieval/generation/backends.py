"""Chat backends: any OpenAI-compatible server (through llama-index's `OpenAILike`) or a GGUF model
run by llama-cpp-python in a worker process that citebot supervises.

Both expose the same small interface, an async stream of text deltas, and turn every failure into
an `LLMError` whose message is one line a user can act on. The caller bounds each request with
`LLM_TIMEOUT`; retries happen only for HTTP 429 and 5xx, and only before the first token.
"""

import asyncio
import importlib.util
import logging
import random
import re
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Protocol

from llama_index.core.llms import ChatMessage, MessageRole

from retrieval.generation.errors import LLMError
from retrieval.generation.worker import LlamaWorker, WorkerConfig, physical_cores
from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)


class ChatBackend(Protocol):
    name: str

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in the model's context (an estimate where the model is remote)."""
        ...

    def stream_chat(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Text deltas of the reply; raises `LLMError`."""
        ...

    def close(self) -> None:
        """Stop what the backend runs (a worker process); called once, when citebot shuts down."""
        ...


_CONTEXT_ERROR = re.compile(r"context (length|window)|too many tokens|exceeds? .*context|maximum context", re.I)


class OpenAICompatibleBackend:
    """Hosted APIs and local servers (llama.cpp server, vLLM, Ollama, LM Studio)."""

    name = "openai"

    def __init__(self, settings: RetrievalSettings) -> None:
        from llama_index.llms.openai_like import OpenAILike

        self._url = settings.llm_base_url
        self._timeout = settings.llm_timeout
        self._retries = settings.llm_max_retries
        self._llm = OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value(),
            is_chat_model=True,
            context_window=settings.llm_context_window,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            max_retries=0,
        )

    def count_tokens(self, text: str) -> int:
        """Remote tokenizers are unknown: about 3.5 characters per token for English news text."""
        return int(len(text) / 3.5) + 1

    def close(self) -> None:
        """Nothing runs here: the server is someone else's, and each request's connection is closed."""

    async def stream_chat(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        import httpx
        import openai

        attempt = 0
        while True:
            started = False
            try:
                stream = await self._llm.astream_chat(list(messages))
                async for response in stream:
                    if response.delta:
                        started = True
                        yield response.delta
                return
            except openai.APIStatusError as exc:
                status = exc.status_code
                retryable = status == 429 or status >= 500
                if retryable and not started and attempt < self._retries:
                    await asyncio.sleep(_backoff(attempt, exc.response.headers.get("retry-after")))
                    attempt += 1
                    continue
                raise LLMError(_status_message(status, exc, attempt)) from None
            except openai.APITimeoutError:
                raise LLMError(f"the LLM at {self._url} did not answer within {self._timeout:g} s") from None
            except (openai.APIConnectionError, httpx.TransportError):
                if started:
                    raise LLMError(f"the connection to the LLM at {self._url} broke mid-answer") from None
                raise LLMError(f"cannot reach the LLM at {self._url} (is the server running?)") from None
            except openai.APIError as exc:
                raise LLMError(f"malformed response from the LLM: {_one_line(str(exc))}") from None
            except (ValueError, KeyError, TypeError) as exc:
                raise LLMError(f"malformed response from the LLM: {_one_line(str(exc))}") from None


def _backoff(attempt: int, retry_after: str | None) -> float:
    try:
        return min(float(retry_after), 10.0) if retry_after else 0.5 * 2**attempt + random.uniform(0, 0.25)
    except ValueError:
        return 0.5 * 2**attempt


def _error_detail(exc: Exception) -> str:
    """The server's own error message, wherever the OpenAI-style body keeps it."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        nested = body.get("error")
        message = body.get("message") or (nested.get("message") if isinstance(nested, dict) else nested)
        if message:
            return _one_line(str(message))
    return _one_line(str(getattr(exc, "message", exc)))


def _status_message(status: int, exc: Exception, retries: int) -> str:
    detail = _error_detail(exc)
    if status == 401 or status == 403:
        return f"the LLM server refused the API key (HTTP {status}); check LLM_API_KEY"
    if status == 429:
        return f"the LLM is rate-limited (HTTP 429) after {retries} retries"
    if status >= 500:
        return f"the LLM server failed (HTTP {status}) after {retries} retries"
    if _CONTEXT_ERROR.search(detail):
        return "the prompt exceeds the model's context window; lower LLM_CONTEXT_WINDOW or TOP_K"
    return f"the LLM rejected the request (HTTP {status}): {detail[:200]}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


class LlamaCppBackend:
    """A GGUF model run by llama.cpp in a worker process of its own (`retrieval.generation.worker`),
    which this backend starts, watches and starts again.

    Native code that crashes (a segfault, an illegal instruction, the out-of-memory killer) takes
    down only the worker: the question it was answering falls back to the extractive answer with the
    reason, and the next one starts a fresh worker. Constructing the backend starts the first worker,
    so a model that cannot load or fails its self-check is one `LLMError` at start-up, kept by
    `LazyLLM` as the reason of every answer.
    """

    name = "llamacpp"

    def __init__(self, settings: RetrievalSettings) -> None:
        if settings.llm_gguf_path is None:
            raise LLMError("LLM_BACKEND=llamacpp needs LLM_GGUF_PATH (a .gguf model file)")
        path = Path(settings.llm_gguf_path)
        if not path.is_file():
            raise LLMError(f"LLM_GGUF_PATH {path} is not a file")
        if importlib.util.find_spec("llama_cpp") is None:
            raise LLMError("llama-cpp-python is not installed: pip install 'citebot[llamacpp]'")
        self._settings = settings
        self._config = WorkerConfig(
            str(path), settings.llm_context_window, settings.llm_threads or physical_cores(), settings.llm_chat_format
        )
        self._lock = threading.Lock()
        self._worker = LlamaWorker.start(self._config, settings.llm_start_timeout)

    @property
    def worker_pid(self) -> int:
        """The process the model runs in now (a restart gives a new one)."""
        return self._worker.pid

    def count_tokens(self, text: str) -> int:
        return self._live_worker().count_tokens(text, self._settings.llm_timeout)

    async def stream_chat(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        worker = await asyncio.to_thread(self._live_worker)
        payload = [_worker_message(m) for m in messages]
        async for delta in worker.chat(payload, self._settings.llm_max_tokens, self._settings.llm_temperature):
            yield delta

    def close(self) -> None:
        self._worker.kill()

    def _live_worker(self) -> LlamaWorker:
        """The worker, started again (loaded and self-checked) when the last one stopped."""
        with self._lock:
            if not self._worker.alive:
                log.info("starting the local model again: the last worker stopped")
                self._worker = LlamaWorker.start(self._config, self._settings.llm_start_timeout)
            return self._worker


def _worker_message(message: ChatMessage) -> dict[str, str]:
    roles = {MessageRole.SYSTEM: "system", MessageRole.ASSISTANT: "assistant"}
    return {"role": roles.get(message.role, "user"), "content": message.content or ""}


def build_backend(settings: RetrievalSettings) -> ChatBackend | None:
    """The configured LLM backend, or None for the extractive backend."""
    if settings.llm_backend == "openai":
        return OpenAICompatibleBackend(settings)
    if settings.llm_backend == "llamacpp":
        return LlamaCppBackend(settings)
    return None
