"""SIGKILL corpus writers at random points of a first ingest, an update (changed, new, vanished and
unchanged articles) and a removal run: the index stays consistent and the re-run completes.
`bench.crash_trials` runs the same trials 21 times and more."""

from pathlib import Path

import pytest

from harness.crash_trials import KINDS, run_ingest_trials

pytestmark = pytest.mark.slow


def test_random_kills_of_each_kind_of_corpus_write(tmp_path: Path, embed_model):
    trials, durations = run_ingest_trials(tmp_path, embed_model, count=len(KINDS), seed=3)
    failed = [(t.kind, t.delay_s, t.error) for t in trials if not t.ok]
    assert not failed, failed
    assert [t.kind for t in trials] == list(KINDS)
    assert all(0 <= t.delay_s <= durations[t.kind] for t in trials)
