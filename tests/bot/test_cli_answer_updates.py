"""What a terminal shows while an LLM writes, read byte by byte from a pseudo-terminal: the
extractive answer before the model's first token, then only sentences that passed the citation
check, each as soon as it is complete; a refused sentence is in no frame. `citebot ask` and the
terminal session (`citebot chat`), with the model scripted behind a real OpenAI-compatible stream."""

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.wording import still_writing
from tests.support.scripted_llm import S1_SHOWN, S3_SHOWN, UNSUPPORTED, ScriptedLLM, hostile_script
from tests.support.services import CORPUS
from tests.support.terminal import Terminal, plain

pytestmark = pytest.mark.slow

QUESTION = "Who denied the request?"
CITEBOT = str(Path(sys.executable).with_name("citebot"))


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLM]:
    llm = ScriptedLLM(hostile_script(first_shown=still_writing("extractive")))
    yield llm
    llm.close()


def environment(tmp_path: Path, llm: ScriptedLLM) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DISCORD_"))}
    return {**env, "CITEBOT_DATA_DIR": str(tmp_path / "data"), "CITEBOT_CORPUS_DIR": str(CORPUS), "HF_HUB_OFFLINE": "1",
            "LLM_BACKEND": "openai", "LLM_BASE_URL": llm.url, "LLM_MODEL": "scripted"}


def assert_checked_sentences_in_order_and_never_a_refused_one(llm: ScriptedLLM, output: str) -> None:
    shown = plain(output)
    assert llm.missed == [], "the terminal did not show this before the model went on"
    assert UNSUPPORTED not in output, "a sentence the check refused reached the terminal"
    assert shown.index(still_writing("extractive")) < shown.index(S1_SHOWN) < shown.index(S3_SHOWN)


def test_citebot_ask_on_a_terminal_shows_the_extractive_answer_then_checked_sentences(tmp_path: Path, scripted_llm):
    terminal = Terminal([CITEBOT, "ask", QUESTION], environment(tmp_path, scripted_llm), tmp_path, watch=scripted_llm.saw)
    assert terminal.finish() == 0, plain(terminal.output)
    assert_checked_sentences_in_order_and_never_a_refused_one(scripted_llm, terminal.output)
    assert "openai · 2 of 3 sentences verified" in plain(terminal.output)


def test_the_terminal_session_shows_the_extractive_answer_then_checked_sentences(tmp_path: Path, scripted_llm):
    terminal = Terminal([CITEBOT, "chat"], environment(tmp_path, scripted_llm), tmp_path, watch=scripted_llm.saw)
    terminal.wait_for(r"citebot>")
    terminal.type(QUESTION + "\n")
    terminal.wait_for(r"openai · 2 of 3 sentences verified")
    terminal.type("/quit\n")
    assert terminal.finish() == 0
    assert_checked_sentences_in_order_and_never_a_refused_one(scripted_llm, terminal.output)


def test_citebot_ask_json_on_a_terminal_prints_only_the_final_answer(tmp_path: Path, scripted_llm):
    scripted_llm.saw(f"{still_writing('extractive')} {S1_SHOWN}")  # nothing is drawn: the model need not wait
    terminal = Terminal([CITEBOT, "ask", "--json", QUESTION], environment(tmp_path, scripted_llm), tmp_path,
                        watch=scripted_llm.saw)
    assert terminal.finish() == 0
    output = plain(terminal.output)
    payload, _ = json.JSONDecoder().raw_decode(output[output.index("{"):])
    assert (payload["backend"], payload["check"]["kept"]) == ("openai", 2)
    assert still_writing("extractive") not in output, "only the final answer"
    assert UNSUPPORTED not in payload["answer"] and not any(UNSUPPORTED in c["quote"] for c in payload["citations"])
    assert [check["outcome"] for check in payload["check"]["checks"]] == ["kept", "unsupported", "kept"]
