"""Chat backends: any OpenAI-compatible server (through llama-index's `OpenAILike`) or a GGUF model
loaded in-process with llama-cpp-python.

Both expose the same small interface, an async stream of text deltas, and turn every failure into
an `LLMError` whose message is one line a user can act on. The caller bounds each request with
`LLM_TIMEOUT`; retries happen only for HTTP 429 and 5xx, and only before the first token.
"""

import asyncio
import os
import random
import re
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from llama_index.core.llms import ChatMessage, MessageRole

from retrieval.settings import RetrievalSettings

if TYPE_CHECKING:
    from llama_cpp.llama_types import ChatCompletionRequestMessage, CreateChatCompletionStreamResponse


class LLMError(Exception):
    """The LLM could not answer; the message is one line, fit to show a user."""


class ChatBackend(Protocol):
    name: str

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in the model's context (an estimate where the model is remote)."""
        ...

    def stream_chat(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Text deltas of the reply; raises `LLMError`."""
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
    """A GGUF model in this process. llama.cpp is not thread-safe: one generation at a time."""

    name = "llamacpp"

    def __init__(self, settings: RetrievalSettings) -> None:
        if settings.llm_gguf_path is None:
            raise LLMError("LLM_BACKEND=llamacpp needs LLM_GGUF_PATH (a .gguf model file)")
        path = Path(settings.llm_gguf_path)
        if not path.is_file():
            raise LLMError(f"LLM_GGUF_PATH {path} is not a file")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise LLMError("llama-cpp-python is not installed: pip install 'citebot[llamacpp]'") from None
        self._settings = settings
        self._lock = threading.Lock()
        threads = settings.llm_threads or physical_cores()
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=settings.llm_context_window,
                n_threads=threads,
                n_threads_batch=threads,
                chat_format=settings.llm_chat_format,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"cannot load {path.name}: {_one_line(str(exc))}") from None

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    async def stream_chat(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        stop = threading.Event()
        payload = [_llama_message(m) for m in messages]

        def emit(kind: str, value: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the asking loop is closed (it timed out and went away): stop here
                stop.set()

        def generate() -> None:
            with self._lock:
                try:
                    stream = self._llm.create_chat_completion(
                        messages=payload,
                        stream=True,
                        max_tokens=self._settings.llm_max_tokens,
                        temperature=self._settings.llm_temperature,
                    )
                    for chunk in cast("Iterator[CreateChatCompletionStreamResponse]", stream):
                        if stop.is_set():
                            break
                        delta = chunk["choices"][0]["delta"].get("content")
                        if delta:
                            emit("delta", delta)
                    emit("done", None)
                except Exception as exc:  # surfaced to the awaiting side as an LLMError
                    emit("error", exc)

        worker = threading.Thread(target=generate, name="llamacpp-generate", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "delta":
                    yield str(value)
                elif kind == "done":
                    return
                else:
                    message = _one_line(str(value))
                    if "exceed context window" in message:
                        raise LLMError("the prompt exceeds the model's context window; lower TOP_K or raise LLM_CONTEXT_WINDOW")
                    raise LLMError(f"llama.cpp failed: {message[:200]}")
        finally:
            stop.set()


def _llama_message(message: ChatMessage) -> "ChatCompletionRequestMessage":
    content = message.content or ""
    if message.role == MessageRole.SYSTEM:
        return {"role": "system", "content": content}
    if message.role == MessageRole.ASSISTANT:
        return {"role": "assistant", "content": content}
    return {"role": "user", "content": content}


def physical_cores() -> int:
    """CPU cores this process may use, counting each physical core once.

    llama.cpp's own default is half the logical CPUs, which on a 2-core machine without SMT is one
    thread, half the speed. Hyper-threads add little to matrix work, so they are not counted.
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return usable
    cores = set()
    physical = core = ""
    for line in cpuinfo.splitlines() + [""]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "physical id":
            physical = value.strip()
        elif key == "core id":
            core = value.strip()
        elif not line.strip() and core:
            cores.add((physical, core))
            physical = core = ""
    return max(1, min(usable, len(cores) or usable))


def build_backend(settings: RetrievalSettings) -> ChatBackend | None:
    """The configured LLM backend, or None for the extractive backend."""
    if settings.llm_backend == "openai":
        return OpenAICompatibleBackend(settings)
    if settings.llm_backend == "llamacpp":
        return LlamaCppBackend(settings)
    return None
