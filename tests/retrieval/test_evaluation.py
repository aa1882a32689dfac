"""`citebot eval` on the seed question set: a regression guard at the levels reached (docs/quality.md)."""

import json
from pathlib import Path

import pytest

from retrieval.evaluation import EvalFileError, Evaluator, load_questions
from retrieval.service import AnswerService
from tests.support.services import REPO

SEED = REPO / "harness" / "data" / "qa_seed.jsonl"
TYPED = REPO / "harness" / "data" / "qa_seed_types.jsonl"
FLOORS = {
    "recall_at_k": 0.95, "mrr": 0.88, "correct": 0.85, "citation_validity": 1.0,
    "citation_coverage": 0.85, "citation_precision": 0.95, "abstention_correct": 0.93,
}


def test_seed_set_has_the_required_shape():
    items = load_questions(SEED)
    assert len(items) >= 40
    assert sum(item.unanswerable for item in items) >= 6
    assert any(len(item.answers) > 1 for item in items), "questions with several required answers"
    assert all(item.evidence for item in items if not item.unanswerable)


@pytest.mark.slow
def test_seed_eval_holds_its_levels(shared_service: AnswerService):
    report = Evaluator(shared_service).run(load_questions(SEED))
    below = {m: report.totals[m] for m, floor in FLOORS.items() if report.totals[m] < floor}
    assert below == {}
    assert json.loads(json.dumps(report.to_json()))["questions"] == len(report.results)


def test_a_malformed_line_names_its_place(tmp_path: Path):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"id": "a", "question": "Who?", "answers": []}\nnot json\n', encoding="utf-8")
    with pytest.raises(EvalFileError, match=r"qa.jsonl:2"):
        load_questions(path)


def test_typed_questions_are_reported_per_type(shared_service: AnswerService):
    items = load_questions(TYPED)
    assert len(items) >= 15 and all(item.kind for item in items)
    report = Evaluator(shared_service).run(items)
    by_type = report.by_type
    assert set(by_type) == {item.kind for item in items}
    assert sum(row["questions"] for row in by_type.values()) == len(items)
    assert by_type["who"]["correct"] == 1.0 and by_type["unanswerable"]["correct"] is None
    assert json.loads(json.dumps(report.to_json()))["by_type"] == by_type
