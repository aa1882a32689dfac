"""The sentence ranker: its sentence-embedding cache, the spans it reads, how it scores a number a
question counts, and the diverse selection of answers and topic summaries."""

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from retrieval.answer.candidates import Candidate, ScoredSentence
from retrieval.answer.ranking import Focus, SentenceRanker
from retrieval.answer.selection import Selection
from retrieval.answer.tuning import RELATIVE_FLOOR, TRADE_OFF
from retrieval.index.bm25 import BM25Index
from retrieval.models.article import ArticleMeta
from retrieval.models.records import DocumentRecord
from retrieval.text.sentences import sentence_spans

# The sentence-embedding cache: bounded, shared by the bot's answering threads, and never able to
# lose a vector a call is about to return (issue 11).

_TEXT = (
    "The harbour opened in 1901. Ferries left for the islands every hour. "
    "The mayor closed the pier after the storm. Fishermen protested outside the town hall. "
    "A new bridge was promised for 2030. Tourists filled the cafes in August. "
    "The council voted to rebuild the sea wall. Engineers warned about rising tides."
)


def _sentences() -> list[Candidate]:
    record = DocumentRecord(scope="shared", meta=ArticleMeta("harbour", "Harbour"), content_hash="h1", text=_TEXT)
    return [Candidate(record, span.start, span.end, 0) for span in sentence_spans(_TEXT)]


SAME_SENTENCE = 0.9999
"""The least cosine of two vectors of one sentence embedded in different calls, on every CPU. Where
the CPU multiplies bfloat16 in hardware (Sapphire Rapids) the embedder runs under bfloat16 autocast,
and a sentence embedded in another batch moves by up to 5.3e-4 a component (cosine ≥ 0.999994), so an
elementwise tolerance of 1e-5 holds in float32 only. It is also the bound test_embedding.py sets
between the two precisions (`test_bfloat16_vectors_point_where_the_float32_ones_do`)."""


def _belong(vectors: np.ndarray, picked: Sequence[int], reference: np.ndarray) -> bool:
    """Whether row i of `vectors` is the vector of sentence `picked[i]`: as near its reference
    vector as one sentence's vectors are (`SAME_SENTENCE`), and nearer it than any other sentence's."""
    similarity = vectors @ reference.T
    rows = np.arange(len(picked))
    own = similarity[rows, picked]
    similarity[rows, picked] = -1.0
    return bool((own >= SAME_SENTENCE).all() and (similarity.max(axis=1) < SAME_SENTENCE).all())


def test_a_call_mixing_an_evicted_hit_with_new_misses_returns_every_vector(embed_model):
    sentences = _sentences()
    a, b, c = sentences[:3]
    ranker = SentenceRanker(embed_model, cache_size=2)
    ranker.embed([a])
    ranker.embed([b])
    vectors = ranker.embed([a, c])
    reference = SentenceRanker(embed_model, cache_size=10).embed(sentences)
    assert vectors.shape == (2, 384)
    assert _belong(vectors, [0, 2], reference)


def test_the_cache_stays_within_its_size(embed_model):
    sentences = _sentences()
    ranker = SentenceRanker(embed_model, cache_size=3)
    for start in range(0, len(sentences), 2):
        ranker.embed(sentences[start : start + 2])
    ranker.embed(sentences)
    assert ranker.cached_embeddings == 3


def test_eight_threads_sharing_one_small_cache_all_get_correct_vectors(embed_model):
    sentences = _sentences()
    expected = SentenceRanker(embed_model, cache_size=100).embed(sentences)
    ranker = SentenceRanker(embed_model, cache_size=3, span_cache_size=1)
    failures: list[BaseException] = []
    wrong: list[int] = []

    def hammer(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(30):
                picked = rng.choice(len(sentences), size=int(rng.integers(1, 5)), replace=True)
                ranker.spans(sentences[0].record)
                vectors = ranker.embed([sentences[i] for i in picked])
                if not _belong(vectors, picked, expected):
                    wrong.append(seed)
        except BaseException as exc:  # collected: an exception in a thread must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert wrong == []
    assert ranker.cached_embeddings <= 3


# Topic summaries pick for coverage (maximal marginal relevance), not for score alone.


def _scored(doc_id: str, text: str, score: float, direction: list[float]) -> ScoredSentence:
    record = DocumentRecord(scope="shared", meta=ArticleMeta(doc_id, doc_id), content_hash="h", text=text)
    vector = np.asarray(direction, dtype=np.float32)
    return ScoredSentence(Candidate(record, 0, len(text), 0), score, vector / np.linalg.norm(vector))


def test_diverse_selection_prefers_another_article_to_a_paraphrase_of_the_first():
    warning = _scored("us", "The US warned China of consequences.", 0.60, [1.0, 0.0, 0.0])
    paraphrase = _scored("us", "Washington told Beijing there would be consequences.", 0.58, [0.75, 0.66, 0.0])
    denial = _scored("china", "Beijing called the report disinformation.", 0.45, [0.3, 0.0, 0.95])
    weak = _scored("other", "Markets were calm on Monday.", 0.20, [0.0, 0.0, 1.0])
    scored = [warning, paraphrase, denial, weak]

    assert Selection(2, min_score=0.35, relative_floor=0.6).greedy(scored) == [warning, paraphrase]
    assert Selection(2, min_score=0.35, relative_floor=0.6).diverse(scored) == [warning, denial]
    # Below the floor (0.6 of the best) a sentence is never picked, however new it is.
    assert weak not in Selection(4, min_score=0.35, relative_floor=0.6).diverse(scored)


def test_diverse_selection_abstains_below_the_minimum_score():
    assert Selection(3, min_score=0.35, relative_floor=0.6).diverse([_scored("a", "A weak match here.", 0.2, [1.0, 0.0])]) == []


def test_an_answer_prefers_a_sentence_naming_something_new_to_a_paraphrase_of_its_first():
    """An answer's milder trade-off (`TRADE_OFF`), no bonus for another article: "which company …?"
    quoted two paraphrases of the question before the sentence naming the company."""
    framing = _scored("tech", "Google is not the only tech giant to announce layoffs.", 0.77, [1.0, 0.0, 0.0])
    paraphrase = _scored("tech", "Many tech giants have announced layoffs lately.", 0.75, [0.75, 0.66, 0.0])
    naming = _scored("tech", "Amazon begins its next round of layoffs, cutting 18,000 jobs.", 0.72, [0.3, 0.0, 0.95])
    scored = [framing, paraphrase, naming]

    assert Selection(2, min_score=0.35, relative_floor=RELATIVE_FLOOR).greedy(scored) == [framing, paraphrase]
    answer = Selection(2, 0.35, RELATIVE_FLOOR, trade_off=TRADE_OFF, new_document_bonus=0.0)
    chosen = answer.diverse(scored)
    assert chosen == [framing, naming]
    # Near the top, the trade-off keeps the score first: a close paraphrase only loses to a
    # sentence scoring almost as well.
    far_below = _scored("tech", "Amazon is a tech company.", 0.55, [0.0, 0.0, 1.0])
    assert answer.diverse([framing, paraphrase, far_below]) == [framing, paraphrase]


def test_a_number_of_what_a_how_many_question_counts_outranks_other_numbers(embed_model):
    """Both sentences hold a number near the question's words; only one counts its centuries."""
    text = (
        "Pope Emeritus Benedict XVI, whose death at 95 was announced Saturday, resigned as pope in 2013. "
        "He was the first pope to step down in six centuries."
    )
    record = DocumentRecord(scope="shared", meta=ArticleMeta("pope", "Benedict XVI dies"), content_hash="h", text=text)
    second = text.index("He was")
    candidates = [Candidate(record, 0, second - 1, 0), Candidate(record, second, len(text), 0)]
    ranker = SentenceRanker(embed_model, cache_size=10)
    question = "Benedict XVI was the first pope to resign in how many centuries?"

    scored = ranker.score(Focus(question, ranker.query_embedding(question)), candidates, BM25Index.empty())

    assert [s.candidate.text for s in scored][0] == "He was the first pope to step down in six centuries."
    assert all(s.offers_answer for s in scored)


def test_a_stored_version_s_sentences_are_read_from_the_store_not_found_again(
    shared_service, embed_model, monkeypatch: pytest.MonkeyPatch
):
    """The sentences ingest found are stored with their vectors; a question reads them from there
    (no NLTK import, no Punkt pass), and a version stored without them falls back to Punkt."""
    records = [shared_service.store.get(r.scope, r.doc_id) for r in shared_service.store.documents(["shared"])]
    assert all(records) and all(r.text for r in records)
    found_now = {r.key: [(s.start, s.end) for s in sentence_spans(r.text)] for r in records}
    monkeypatch.setattr("retrieval.answer.ranking.sentence_spans", lambda text: pytest.fail("Punkt ran for a stored version"))
    ranker = SentenceRanker(embed_model, shared_service.store.sentences)
    for record in records:
        assert ranker.spans(record) == found_now[record.key]
    monkeypatch.undo()
    unstored = DocumentRecord(scope="shared", meta=ArticleMeta("harbour", "Harbour"), content_hash="h1", text=_TEXT)
    assert ranker.spans(unstored) == [(s.start, s.end) for s in sentence_spans(_TEXT)]
