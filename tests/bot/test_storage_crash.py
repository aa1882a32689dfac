"""SIGKILL a process writing answers and votes through `BotStore` at random points: the database
opens, passes `PRAGMA integrity_check` and holds every acknowledged write (and nothing unasked for)."""

from pathlib import Path

import pytest

from harness.crash_trials import run_store_trials

pytestmark = pytest.mark.slow


def test_killed_store_writers_lose_no_acknowledged_write(tmp_path: Path):
    trials = run_store_trials(tmp_path, count=25, seed=11)
    failed = [(t.trial, t.kill_after_ack, t.error) for t in trials if not t.ok]
    assert not failed, failed
    assert all(t.killed and t.acknowledged > t.kill_after_ack for t in trials), "every kill lands mid-run"
    assert len({t.kill_after_ack for t in trials}) > 20, "at different points"
