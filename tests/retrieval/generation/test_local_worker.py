"""The local model runs in a worker process: whatever happens to it (killed mid-answer, a crash in
its self-check, a hang), the question gets the extractive answer with the reason, the asking process
lives on, and the next question gets a fresh worker. Real models, real processes, real signals."""

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from retrieval.models.answers import CitedAnswer
from tests.support.processes import SignalWhenBusy, wait_for_new_worker, workers

pytestmark = pytest.mark.slow

QUESTION = "Who denied the request?"


def assert_extractive_with_citations(answer: CitedAnswer, reason_start: str) -> None:
    assert answer.backend == "extractive"
    assert answer.fallback_reason.startswith(reason_start), answer.fallback_reason
    assert "\n" not in answer.fallback_reason
    assert answer.citations and "Liu Pengyu" in answer.answer


def test_a_worker_killed_mid_answer_gives_the_extractive_answer_then_a_fresh_worker_answers(
    llm_service_factory, tiny_gguf_path: Path
):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tiny_gguf_path, llm_max_tokens=256)
    before = workers(os.getpid())
    assert service.prepare() == ""
    killed = wait_for_new_worker(before, os.getpid())
    kill = SignalWhenBusy(killed)
    assert_extractive_with_citations(service.ask(QUESTION), "the local model stopped (killed: SIGKILL)")
    assert kill.fired.is_set(), "the worker died while it wrote the answer"

    after = service.ask("What military equipment did Russia request?")
    assert after.check is not None and after.llm_usage is not None, "a fresh worker's model wrote this answer"
    assert not after.fallback_reason.startswith("the local model stopped"), after.fallback_reason
    assert killed not in workers(os.getpid()) and len(workers(os.getpid()) - before) == 1


def test_questions_asked_while_the_worker_restarts_are_answered_by_one_fresh_worker(
    llm_service_factory, tiny_gguf_path: Path
):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tiny_gguf_path)
    before = workers(os.getpid())
    assert service.prepare() == ""
    first = wait_for_new_worker(before, os.getpid())
    os.kill(first, signal.SIGKILL)
    questions = [QUESTION, "What military equipment did Russia request?", "Who did Jake Sullivan meet in Rome?"]
    with ThreadPoolExecutor(len(questions)) as pool:
        answers = list(pool.map(service.ask, questions))
    for answer in answers:
        assert answer.citations, answer
        assert not answer.fallback_reason.startswith("the local model stopped"), answer.fallback_reason
        assert answer.check is not None, "the model was asked"
    assert len(workers(os.getpid()) - before) == 1, "the three questions share one fresh worker"


@pytest.mark.parametrize(("signum", "advice"), [(signal.SIGSEGV, "without AMX"), (signal.SIGILL, "for another CPU")])
def test_a_worker_dying_in_its_self_check_is_one_line_and_answers_stay_extractive(
    llm_service_factory, tiny_gguf_path: Path, signum: int, advice: str
):
    """A llama.cpp build unfit for the CPU dies on its first prompt; here the worker gets the very
    signal such a build dies of, while it loads and checks the model."""
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tiny_gguf_path)
    before = workers(os.getpid())
    prepared: list[str] = []
    starting = threading.Thread(target=lambda: prepared.append(service.prepare()))
    starting.start()
    os.kill(wait_for_new_worker(before, os.getpid()), signum)
    starting.join(120)
    name = signal.Signals(signum).name
    assert prepared[0].startswith(f"the local model failed its self-check (crashed: {name}); "), prepared[0]
    assert advice in prepared[0] and "make local-llm" in prepared[0]
    answer = service.ask(QUESTION)
    assert_extractive_with_citations(answer, prepared[0])
    assert workers(os.getpid()) == before, "a build that fails its check is not started again for every question"


def test_a_hung_worker_is_bounded_by_the_timeout_then_killed_and_replaced(llm_service_factory, tiny_gguf_path: Path):
    service = llm_service_factory(llm_backend="llamacpp", llm_gguf_path=tiny_gguf_path, llm_timeout=20.0)
    before = workers(os.getpid())
    assert service.prepare() == ""
    hung = wait_for_new_worker(before, os.getpid())
    freeze = SignalWhenBusy(hung, signal.SIGSTOP, busy_seconds=0.1)
    answer = service.ask(QUESTION)
    assert freeze.fired.is_set(), "the worker froze in the middle of the question"
    assert_extractive_with_citations(answer, "the LLM did not finish within LLM_TIMEOUT=20 s")
    after = service.ask("What military equipment did Russia request?")
    assert after.check is not None, "a fresh worker's model was asked"
    assert hung not in workers(os.getpid())
