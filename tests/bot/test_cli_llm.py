"""`citebot ask` with both LLM backends, as a user runs it (the real console script)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.documents import ArticleReader
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


def test_the_llm_answers_in_process(tmp_path: Path, qwen_gguf_path: Path):
    result = citebot(tmp_path, "ask", "--json", QUESTION, LLM_BACKEND="llamacpp", LLM_GGUF_PATH=str(qwen_gguf_path))
    assert "Yang Jiechi" in assert_answered_by_the_llm(result, "llamacpp")["answer"]


def test_local_llm_points_env_at_the_verified_model(tmp_path: Path, qwen_gguf_path: Path):
    result = citebot(tmp_path, "local-llm", "--env-file", str(tmp_path / ".env"), "--dir", str(qwen_gguf_path.parent))
    assert result.returncode == 0, result.stderr
    env = (tmp_path / ".env").read_text()
    assert "LLM_BACKEND=llamacpp" in env and f"LLM_GGUF_PATH={qwen_gguf_path}" in env


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
