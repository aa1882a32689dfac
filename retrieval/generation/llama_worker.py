"""The local model's own process: `python -m retrieval.generation.llama_worker`.

llama.cpp runs native code that can die in ways Python cannot catch: a segfault in a CPU kernel
(ggml-org/llama.cpp#20824, AMX on recent Xeons), an illegal instruction in a library built for
another CPU, the kernel's out-of-memory killer. In the bot's process any of these would end every
guild's session, so the model lives here, and the bot talks to it over this process's stdin and
stdout, one JSON object a line (`retrieval.generation.worker.LlamaWorker` is the other end):

    → {"model": PATH, "n_ctx": N, "threads": N, "chat_format": NAME|null}     first line, once
    ← {"ready": true} | {"error": MESSAGE}                                   after the self-check
    → {"op": "tokenize", "id": N, "text": TEXT}   ← {"id": N, "tokens": COUNT}
    → {"op": "chat", "id": N, "messages": [...], "max_tokens": N, "temperature": X}
                                                  ← {"id": N, "delta": TEXT} … then {"id": N, "done": true}
                                                    or {"id": N, "error": MESSAGE}

Before it says ready, the worker loads the model and generates from a prompt long enough to run
the batched kernels every real prompt runs (`SELF_CHECK_PROMPT`): a build that crashes on this CPU
crashes here, where it costs one clear line, not on a user's question. Chats run one at a time, in
order; token counts are answered at once, even while a chat is generating (they read only the
vocabulary). A chat is never cancelled: the bot kills a worker whose answer it no longer wants.
Anything llama.cpp prints goes to stderr: stdout carries the protocol alone.
"""

import json
import os
import queue
import sys
import threading
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_types import ChatCompletionRequestMessage, CreateChatCompletionStreamResponse

SELF_CHECK_PROMPT = " ".join(["The committee met on Tuesday and agreed to publish its report next week."] * 8)
"""About 130 tokens: past the batch size at which llama.cpp multiplies a prompt's tokens as a matrix
(the kernels a real question's prompt runs), and evaluated in well under a second."""

_ROLES = frozenset({"system", "user", "assistant"})


class _Protocol:
    """Writes reply lines to the protocol stream from any thread, a line at a time."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def _protocol_stream() -> IO[str]:
    """This process's stdout for the protocol alone: file descriptor 1 (where C code prints) is
    pointed at stderr, and the protocol keeps a private copy of the original."""
    sys.stdout.flush()
    private = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(private, "w", encoding="utf-8", buffering=1)


def _load(config: dict[str, Any]) -> "Llama":
    from llama_cpp import Llama

    return Llama(
        model_path=str(config["model"]),
        n_ctx=int(config["n_ctx"]),
        n_threads=int(config["threads"]),
        n_threads_batch=int(config["threads"]),
        chat_format=config.get("chat_format"),
        verbose=False,
    )


def _messages(payload: list[dict[str, str]]) -> "list[ChatCompletionRequestMessage]":
    return [
        cast("ChatCompletionRequestMessage", {"role": m["role"] if m.get("role") in _ROLES else "user",
                                               "content": str(m.get("content", ""))})
        for m in payload
    ]


class _Chats:
    """Runs chat requests one at a time on a thread of their own, so the reading thread stays free
    to count tokens."""

    def __init__(self, llm: "Llama", out: _Protocol) -> None:
        self._llm = llm
        self._out = out
        self._pending: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._run, name="llama-chat", daemon=True).start()

    def submit(self, request: dict[str, Any]) -> None:
        self._pending.put(request)

    def _run(self) -> None:
        while True:
            request = self._pending.get()
            request_id = int(request["id"])
            try:
                for delta in self._generate(request):
                    self._out.send({"id": request_id, "delta": delta})
                self._out.send({"id": request_id, "done": True})
            except Exception as exc:  # reported to the asking side, which turns it into an LLMError
                self._out.send({"id": request_id, "error": " ".join(str(exc).split())[:300] or type(exc).__name__})

    def _generate(self, request: dict[str, Any]) -> Iterator[str]:
        stream = self._llm.create_chat_completion(
            messages=_messages(request["messages"]),
            stream=True,
            max_tokens=int(request["max_tokens"]),
            temperature=float(request["temperature"]),
        )
        for chunk in cast("Iterator[CreateChatCompletionStreamResponse]", stream):
            delta = chunk["choices"][0]["delta"].get("content")
            if isinstance(delta, str) and delta:
                yield delta


def serve(requests: IO[str], out: _Protocol) -> None:
    """Load, check, then answer requests until stdin closes."""
    config = json.loads(requests.readline() or "{}")
    try:
        llm = _load(config)
    except (ValueError, RuntimeError, OSError) as exc:
        out.send({"error": f"cannot load {os.path.basename(str(config.get('model', '')))}: {' '.join(str(exc).split())}"})
        return
    try:
        llm.create_completion(SELF_CHECK_PROMPT, max_tokens=2, temperature=0.0)
    except Exception as exc:  # a Python-level failure of the check; a native crash ends the process instead
        out.send({"error": f"the local model failed its self-check: {' '.join(str(exc).split())[:300]}"})
        return
    out.send({"ready": True})
    chats = _Chats(llm, out)
    for line in requests:
        request = json.loads(line)
        op = request.get("op")
        if op == "tokenize":
            tokens = llm.tokenize(str(request["text"]).encode("utf-8"), add_bos=False, special=True)
            out.send({"id": request["id"], "tokens": len(tokens)})
        elif op == "chat":
            chats.submit(request)


def main() -> None:
    """Serve until the bot closes stdin (or dies, which closes it too), then exit at once: a chat
    still generating has no one left to read it."""
    out = _Protocol(_protocol_stream())
    serve(sys.stdin, out)
    os._exit(0)


if __name__ == "__main__":
    main()
