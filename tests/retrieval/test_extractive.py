"""What the extractive summarizer may quote, in which order it shows articles, and why an answer
quotes a statement rather than a question that restates the one asked."""

from pathlib import Path

import numpy as np
import pytest

from retrieval import ranking
from retrieval.extractive import in_context, newest_first, quotable_in_summary
from retrieval.models import DocumentRecord
from retrieval.ranking import Candidate, ScoredSentence
from tests.support.services import make_settings, open_service

_TITLE = "Mega Millions jackpot won again"


def _candidate(text: str, doc_id: str = "jackpot", published: str = "", start: int = 0) -> Candidate:
    body = " " * start + text
    record = DocumentRecord(scope="shared", doc_id=doc_id, title=_TITLE, content_hash="h", published=published, text=body)
    return Candidate(record, start, start + len(text), 0)


@pytest.mark.parametrize(
    "sentence",
    [
        "The jackpot was won by a single ticket sold in Maine on Friday.",
        "“We look with anticipation on the growing jackpot,” the director said.",
        "Nobody matched all six numbers for 23 drawings in a row!",
    ],
)
def test_statements_can_be_quoted_in_a_summary(sentence: str):
    assert quotable_in_summary(_candidate(sentence))


@pytest.mark.parametrize(
    "line",
    [
        _TITLE,  # the title repeated as the body's first line
        "Here's what to know about the jackpot:",  # a subhead
        "What was the biggest Mega Millions jackpot?",  # a subhead asked as a question
        "“Who bought the winning ticket?”",
        "It was won.",  # too short to stand alone
    ],
)
def test_headlines_questions_and_fragments_are_not_summary_lines(line: str):
    assert not quotable_in_summary(_candidate(line))


def test_a_follow_up_sentence_is_scored_half_for_its_own_words_half_for_the_conversation():
    vague = _candidate("Officials said the matter was being followed with great attention.", start=0)
    on_topic = _candidate("The director announced the winner at a press conference in Augusta.", start=80)
    unscored = _candidate("Lottery sales rose in March.", start=160)
    vector = np.zeros(3, dtype=np.float32)
    own = [ScoredSentence(vague, 0.6, vector), ScoredSentence(on_topic, 0.5, vector), ScoredSentence(unscored, 0.4, vector)]
    conversation = [ScoredSentence(on_topic, 0.7, vector), ScoredSentence(vague, 0.2, vector)]
    ranked = in_context(own, conversation, 0.5)
    assert [item.candidate for item in ranked] == [on_topic, vague, unscored]
    assert [round(item.score, 3) for item in ranked] == [0.6, 0.4, 0.2]


def test_newest_article_comes_first_and_each_article_reads_in_order():
    old_second = _candidate("The council met again in March to vote.", "old", "2022-03-01", start=50)
    old_first = _candidate("The council met in February to debate.", "old", "2022-03-01", start=0)
    new = _candidate("The council approved the plan on Monday.", "new", "January 5, 2023")
    undated = _candidate("Residents have long asked for a new pier.", "undated")
    assert newest_first([undated, old_second, new, old_first]) == [new, old_first, old_second, undated]


def test_an_answer_quotes_the_statement_not_the_subhead_asking_the_same(
    tmp_path: Path, embed_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The subhead restates the question, so it outscores the sentence that answers: scored like any
    other sentence, it is quoted first; as a question, it keeps 0.7 of its score and comes second."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pier.md").write_text(
        '---\ntitle: "Harbour council meets"\npublished: "2023-01-10"\n---\n\n'
        "The harbour council met on Tuesday evening. What's next for the old pier? "
        "Councillors voted to demolish the old pier next spring and to build a ferry terminal in its place. "
        "Residents asked for a public garden instead.\n",
        encoding="utf-8",
    )
    question = "What will happen to the old pier?"

    def first_quote(data: str) -> str:
        service = open_service(make_settings(tmp_path / data, corpus), embed_model)
        service.ingest()
        return service.ask(question).citations[0].quote

    assert first_quote("default").startswith("Councillors voted to demolish the old pier")
    monkeypatch.setattr(ranking, "_WEAK_ANSWER", 1.0)
    assert first_quote("unweighted") == "What's next for the old pier?"
