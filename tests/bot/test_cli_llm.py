"""`citebot ask` with both LLM backends, as a user runs it (the real console script)."""

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from retrieval.ingest.readers import ArticleReader
from tests.support.processes import SignalWhenBusy, wait_for_new_worker, workers
from tests.support.services import CORPUS, LLM_API_KEY

pytestmark = pytest.mark.slow


def citebot(tmp_path: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DISCORD_"))}
    environment.update(CITEBOT_DATA_DIR=str(tmp_path / "data"), CITEBOT_CORPUS_DIR=str(CORPUS),
                       HF_HUB_OFFLINE="1", LLM_TEMPERATURE="0", **env)
    return subprocess.run([str(Path(sys.executable).with_name("citebot")), *args], input=stdin,
                          capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=600)


def assert_answered_by_the_llm(result: subprocess.CompletedProcess, backend: str) -> dict:
    """The JSON answer came from the LLM (not the extractive fallback), with verbatim citations."""
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["backend"], payload["fallback_reason"]) == (backend, ""), payload["fallback_reason"]
    assert payload["check"]["kept"] >= 1 and payload["llm_usage"]["completion_tokens"] > 0
    assert payload["citations"]
    reader = ArticleReader(max_bytes=10**7)
    for citation in payload["citations"]:
        text = reader.read_path(CORPUS / f"{citation['doc_id']}.md").text
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert f"[{citation['n']}]" in payload["answer"]
    return payload


QUESTION = "Who did Jake Sullivan meet in Rome?"


def test_the_llm_answers_through_a_llama_cpp_server(tmp_path: Path, qwen_server):
    result = citebot(tmp_path, "ask", "--json", QUESTION, LLM_BACKEND="openai",
                     LLM_BASE_URL=qwen_server.url, LLM_API_KEY=LLM_API_KEY, LLM_MODEL="qwen")
    assert "Yang Jiechi" in assert_answered_by_the_llm(result, "openai")["answer"]


def test_the_llm_answers_in_its_worker_process(tmp_path: Path, qwen_gguf_path: Path):
    result = citebot(tmp_path, "ask", "--json", QUESTION, LLM_BACKEND="llamacpp", LLM_GGUF_PATH=str(qwen_gguf_path))
    assert "Yang Jiechi" in assert_answered_by_the_llm(result, "llamacpp")["answer"]


def test_local_llm_points_env_at_the_verified_model(tmp_path: Path, qwen_gguf_path: Path):
    result = citebot(tmp_path, "local-llm", "--env-file", str(tmp_path / ".env"), "--dir", str(qwen_gguf_path.parent))
    assert result.returncode == 0, result.stderr
    env = (tmp_path / ".env").read_text()
    assert "LLM_BACKEND=llamacpp" in env and f"LLM_GGUF_PATH={qwen_gguf_path}" in env and "LLM_ROLE=reader" in env


def test_local_llm_whose_self_check_dies_is_one_line_and_leaves_env_as_it_was(tmp_path: Path, qwen_gguf_path: Path):
    """The worker gets the signal a llama.cpp build unfit for the CPU dies of, while it checks the
    model: one line says what failed and how to rebuild, and .env still says nothing of the LLM."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DISCORD_"))}
    command = [str(Path(sys.executable).with_name("citebot")), "local-llm", "--env-file", str(tmp_path / ".env"),
               "--dir", str(qwen_gguf_path.parent)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env=environment)
    os.kill(wait_for_new_worker(set(), process.pid), signal.SIGSEGV)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 1 and stdout == ""
    assert stderr.startswith("error: the local model failed its self-check (crashed: SIGSEGV); "), stderr
    assert "make local-llm" in stderr and stderr.rstrip().endswith("answers stay extractive")
    assert "Traceback" not in stderr
    env_file = tmp_path / ".env"
    assert not env_file.exists() or "LLM_BACKEND" not in env_file.read_text()


def test_dead_llm_is_one_line_on_stderr_and_an_extractive_answer(tmp_path: Path):
    result = citebot(tmp_path, "ask", "Who denied the request?", LLM_BACKEND="openai",
                     LLM_BASE_URL="http://127.0.0.1:9/v1", LLM_TIMEOUT="5")
    assert result.returncode == 0
    assert "note: cannot reach the LLM at http://127.0.0.1:9/v1 (is the server running?); answered extractively" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Liu Pengyu" in result.stdout


def test_terminal_session_follow_up_uses_the_previous_question(tmp_path: Path):
    """"the Kremlin spokesman" is Peskov only in the context of the denial asked about first; the
    answer quotes a sentence about him the first answer did not."""
    result = citebot(tmp_path, "chat", stdin="Who denied the request?\nand what did the Kremlin spokesman say?\n")
    assert result.returncode == 0, result.stderr
    first, follow_up = result.stdout.split("> and what did the Kremlin spokesman say?", 1)
    assert "Peskov" in follow_up and "resounding" in follow_up and "resounding" not in first


class TerminalSession:
    """`citebot chat` as a person types into it: one question at a time, read back to its footer."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DISCORD_"))}
        environment.update(CITEBOT_DATA_DIR=str(tmp_path / "data"), CITEBOT_CORPUS_DIR=str(CORPUS),
                           HF_HUB_OFFLINE="1", LLM_TEMPERATURE="0", **env)
        self.process = subprocess.Popen([str(Path(sys.executable).with_name("citebot")), "chat"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                        env=environment)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _read(stream, sink) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def ask(self, question: str, timeout: float = 300.0) -> list[str]:
        """The lines printed for `question`, asked in a new conversation, up to its footer (backend ·
        … · N ms): a follow-up would first have the model rewrite it."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"/new\n{question}\n")
        self.process.stdin.flush()
        printed = []
        while not re.search(r"\d ms$", printed[-1] if printed else ""):
            printed.append(self.lines.get(timeout=timeout))
        return printed

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(timeout=120)


def test_the_local_model_killed_mid_answer_in_a_terminal_session(tmp_path: Path, tiny_gguf_path: Path):
    """kill -9 of the model's worker while it answers: that answer is extractive, saying why, the
    session goes on, and the next question is answered by a fresh worker."""
    session = TerminalSession(tmp_path, LLM_BACKEND="llamacpp", LLM_GGUF_PATH=str(tiny_gguf_path),
                              LLM_CHAT_FORMAT="gemma", LLM_MAX_TOKENS="256")
    try:
        session.ask("Who did Jake Sullivan meet in Rome?")
        [worker] = workers(session.process.pid)
        kill = SignalWhenBusy(worker)
        killed_answer = session.ask("Who denied the request?")
        assert kill.fired.is_set()
        assert killed_answer[-1].startswith("extractive · LLM not used: the local model stopped (killed: SIGKILL)")
        assert any("Liu Pengyu" in line for line in killed_answer)
        assert workers(session.process.pid) == set()
        after = session.ask("What military equipment did Russia request?")
        assert "the local model stopped" not in after[-1]
        [fresh] = workers(session.process.pid)
        assert fresh != worker
    finally:
        returncode = session.close()
    assert returncode == 0
    assert "note: the local model stopped (killed: SIGKILL); answered extractively" in session.stderr
    assert not any("Traceback" in line for line in session.stderr)
