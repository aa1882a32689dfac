"""An OpenAI-compatible LLM server on 127.0.0.1 whose model writes a script, for the tests of what a
reader is shown while a model writes (the hostile model, scripted: what it says and when).

Each step is a piece of the answer, streamed as one server-sent chunk. A step may first wait until
the test reports that a reader was shown some text (`before`), up to a timeout: "the extractive
answer is posted before the first token" and "a sentence is shown as soon as it is complete" are
then facts of the order of events, not of timing. Front ends report what they show with `saw`.
"""

import json
import threading
from dataclasses import dataclass

from tests.support.loopback import LoopbackServer, Reply


@dataclass(frozen=True)
class Step:
    text: str
    before: str = ""
    """When set, the piece is sent only once a reader was shown text containing this."""


def sse_chunk(text: str) -> bytes:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


class ScriptedLLM:
    def __init__(self, steps: list[Step], gate_timeout: float = 60.0) -> None:
        self.steps = steps
        self.url = ""
        self.missed: list[str] = []
        """The `before` texts no reader was shown within the timeout."""
        self._gate_timeout = gate_timeout
        self._shown = {step.before: threading.Event() for step in steps if step.before}
        self._server = LoopbackServer(self._respond)
        self.url = f"{self._server.url}/v1"

    def saw(self, shown: str) -> None:
        """A reader was shown `shown` (a whole screen, message or answer)."""
        for expected, event in self._shown.items():
            if expected in shown:
                event.set()

    def close(self) -> None:
        self._server.close()

    def _respond(self, method: str, path: str, body: object) -> Reply:
        return 200, {"Content-Type": "text/event-stream"}, self._stream()

    def _stream(self):
        for step in self.steps:
            if step.before and not self._shown[step.before].wait(self._gate_timeout):
                self.missed.append(step.before)
            yield sse_chunk(step.text)
        yield b"data: [DONE]\n\n"


S1_SHOWN = "in Washington, denied the request"
"""What the first sentence looks like once checked (its marker moves after the full stop)."""
UNSUPPORTED = "Valdora"
S3_SHOWN = "Dmitry Peskov, said that Russia did not ask China for help"


def hostile_script(first_shown: str) -> list[Step]:
    """Answering "Who denied the request?" over the shipped corpus: a supported sentence, one no
    source supports (the harbour of Valdora is in no article), another supported one. The model
    starts only once a reader was shown `first_shown` (the extractive answer), and goes past the
    first sentence only once it is shown."""
    return [
        Step("Liu Pengyu, the spokesman for the Chinese embassy in Washington, ", before=first_shown),
        Step("denied the request [1]."),
        Step(" In"),
        Step(" its statement the embassy said that the harbour of Valdora would close forever [1].", before=S1_SHOWN),
        Step(" The"),
        Step(" Kremlin spokesman, Dmitry Peskov, said that Russia did not ask China for help [2]."),
    ]
