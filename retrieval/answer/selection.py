"""Which of the scored sentences an answer quotes: good enough against the best, and not repeating
one already chosen (maximal marginal relevance)."""

from collections.abc import Sequence

from retrieval.answer.candidates import ScoredSentence


def select_diverse(
    scored: Sequence[ScoredSentence],
    limit: int,
    min_score: float,
    relative_floor: float,
    trade_off: float = 0.6,
    new_document_bonus: float = 0.05,
    max_similarity: float = 0.8,
) -> list[ScoredSentence]:
    """Maximal marginal relevance (Carbonell and Goldstein, 1998) over the sentences good enough to
    quote (`select`'s floors): each pick maximises `trade_off`·score − (1 − `trade_off`)·its highest
    similarity to a sentence already picked, plus `new_document_bonus` when it comes from an article
    not quoted yet. A topic summary then covers the topic from several articles and sides instead of
    quoting four paraphrases of its strongest article: on 13 dev topics (bench/topic_summaries.py),
    2.9 articles per summary instead of 2.2, and its closest pair of sentences at 0.67 cosine instead
    of 0.71 (docs/quality.md, "Topic summaries"). An answer picks with a milder trade-off: after the
    best sentence, one that says something else of the question beats a paraphrase of it.
    """
    pool = good_enough(scored, min_score, relative_floor)
    chosen: list[ScoredSentence] = []

    def marginal(item: ScoredSentence) -> float:
        redundancy = max((float(item.embedding @ c.embedding) for c in chosen), default=0.0)
        unseen = all(c.candidate.record.key != item.candidate.record.key for c in chosen)
        return trade_off * item.score - (1 - trade_off) * redundancy + (new_document_bonus if unseen else 0.0)

    while pool and len(chosen) < limit:
        best = max(pool, key=marginal)
        pool.remove(best)
        if not repeats(best, chosen, max_similarity):
            chosen.append(best)
    return chosen


def good_enough(scored: Sequence[ScoredSentence], min_score: float, relative_floor: float) -> list[ScoredSentence]:
    """The sentences of `scored` (best first) at least `min_score` and `relative_floor` of the best;
    none when the best is below `min_score`."""
    if not scored or scored[0].score < min_score:
        return []
    floor = max(min_score, relative_floor * scored[0].score)
    return [item for item in scored if item.score >= floor]


def repeats(item: ScoredSentence, chosen: Sequence[ScoredSentence], max_similarity: float) -> bool:
    """Whether `item` is a near-repeat of a sentence already chosen."""
    return any(float(item.embedding @ c.embedding) > max_similarity for c in chosen)
