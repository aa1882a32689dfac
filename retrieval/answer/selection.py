"""Which of the scored sentences an answer or a summary quotes: good enough against the best, and
not repeating one already chosen, picked by maximal marginal relevance or best first."""

from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answer.candidates import ScoredSentence


@dataclass(frozen=True)
class Selection:
    """At most `limit` of the scored sentences (best first), each at least `min_score` and
    `relative_floor` of the best one's score, none a near-repeat (`max_similarity`) of one chosen
    before it; none at all when the best is below `min_score`."""

    limit: int
    min_score: float
    relative_floor: float
    trade_off: float = 0.6
    new_document_bonus: float = 0.05
    max_similarity: float = 0.8

    def diverse(self, scored: Sequence[ScoredSentence]) -> list[ScoredSentence]:
        """Maximal marginal relevance (Carbonell and Goldstein, 1998) over the sentences good enough
        to quote: each pick maximises `trade_off`·score − (1 − `trade_off`)·its highest similarity
        to a sentence already picked, plus `new_document_bonus` when it comes from an article not
        quoted yet. A topic summary then covers the topic from several articles and sides instead
        of quoting four paraphrases of its strongest article: on 13 dev topics
        (bench/topic_summaries.py), 2.9 articles per summary instead of 2.2, and its closest pair of
        sentences at 0.67 cosine instead of 0.71 (docs/quality.md, "Topic summaries"). An answer picks
        with a milder trade-off (`tuning.TRADE_OFF`): after the best sentence, one that says something
        else of the question beats a paraphrase of it."""
        pool = self._good_enough(scored)
        chosen: list[ScoredSentence] = []

        def marginal(item: ScoredSentence) -> float:
            redundancy = max((float(item.embedding @ c.embedding) for c in chosen), default=0.0)
            unseen = all(c.candidate.record.key != item.candidate.record.key for c in chosen)
            return self.trade_off * item.score - (1 - self.trade_off) * redundancy + (
                self.new_document_bonus if unseen else 0.0)

        while pool and len(chosen) < self.limit:
            best = max(pool, key=marginal)
            pool.remove(best)
            if not self._repeats(best, chosen):
                chosen.append(best)
        return chosen

    def greedy(self, scored: Sequence[ScoredSentence]) -> list[ScoredSentence]:
        """Best first: good enough, and not a near-repeat."""
        chosen: list[ScoredSentence] = []
        for item in self._good_enough(scored):
            if len(chosen) == self.limit:
                break
            if not self._repeats(item, chosen):
                chosen.append(item)
        return chosen

    def _good_enough(self, scored: Sequence[ScoredSentence]) -> list[ScoredSentence]:
        if not scored or scored[0].score < self.min_score:
            return []
        floor = max(self.min_score, self.relative_floor * scored[0].score)
        return [item for item in scored if item.score >= floor]

    def _repeats(self, item: ScoredSentence, chosen: Sequence[ScoredSentence]) -> bool:
        return any(float(item.embedding @ c.embedding) > self.max_similarity for c in chosen)
