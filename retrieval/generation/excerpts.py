"""What the model reads: the retrieved passages' best sentences, grouped by document.

A small model on two CPU cores reads about 40 prompt tokens a second (docs/citations.md, "Where
the time goes"), so five whole chunks (about 1,300 tokens) cost half a minute before the first
word. The sentences that score best for the question, each with the sentence before it (a
pronoun's antecedent, the speaker of a quote), carry the answer in about a third of that. Each document's chosen sentences
form one numbered excerpt, in document order: fewer numbers to choose from means fewer citations
of the wrong number, and a quote can still be any one of the sentences, cut from the stored text by
its offsets.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval.answer.candidates import Candidate
from retrieval.answer.ranking import Focus, SentenceRanker
from retrieval.models.answers import Passage
from retrieval.models.records import DocumentRecord, OfRecord
from retrieval.search.retriever import Retrieval

GAP = " … "
"""Between two sentences of an excerpt that are not next to each other in the document."""


@dataclass(frozen=True)
class Excerpt(OfRecord):
    """Source `[n]` of a prompt: sentences of one document (one version), in document order."""

    record: DocumentRecord
    sentences: tuple[Candidate, ...]

    @property
    def text(self) -> str:
        parts: list[str] = []
        for index, sentence in enumerate(self.sentences):
            if index:
                parts.append(" " if self.adjacent(index - 1) else GAP)
            parts.append(sentence.text)
        return "".join(parts)

    def adjacent(self, index: int) -> bool:
        """Whether sentence `index + 1` follows sentence `index` directly in the document."""
        return follows(self.sentences[index], self.sentences[index + 1])


def whole_passages(ranker: SentenceRanker, passages: Sequence[Passage], records: dict[str, DocumentRecord]) -> list[Excerpt]:
    """One excerpt per passage holding all its sentences: for summaries, which need everything."""
    excerpts = []
    for passage in passages:
        sentences = ranker.candidates_from_passages([passage], records)
        if sentences:
            excerpts.append(Excerpt(sentences[0].record, tuple(sorted(sentences, key=lambda c: c.start))))
    return excerpts


class ExcerptBuilder:
    """Picks the sentences a model needs to answer, within a token budget."""

    def __init__(self, ranker: SentenceRanker, token_budget: int, shortlist: int = 24) -> None:
        self._ranker = ranker
        self._budget = token_budget
        self._shortlist = shortlist

    def build(self, found: Retrieval, count_tokens: Callable[[str], int]) -> list[Excerpt]:
        """The best sentences for the query, each with its predecessor, until the budget is spent.

        Headline fragments (a line without a final stop) are left out: they are titles, not
        statements, and a model reading one as a sentence quotes it as a fact.
        """
        candidates = [c for c in self._ranker.candidates_from_passages(found.passages, found.records) if c.is_statement]
        scored = self._ranker.score(Focus(found.query, found.embedding, shortlist=self._shortlist), candidates, found.bm25)
        previous = {c.key: candidates[i - 1] for i, c in enumerate(candidates) if i and follows(candidates[i - 1], c)}
        chosen: dict[tuple[str, int, int], Candidate] = {}
        spent = 0
        for item in scored:
            wanted = [s for s in (previous.get(item.candidate.key), item.candidate) if s is not None]
            new = [s for s in wanted if s.key not in chosen]
            cost = sum(count_tokens(s.text) + 2 for s in new)
            if chosen and spent + cost > self._budget:
                continue
            for sentence in new:
                chosen[sentence.key] = sentence
            spent += cost
        return _group(list(chosen.values()), [s.candidate for s in scored])


def follows(first: Candidate, second: Candidate) -> bool:
    """Whether `second` comes right after `first` in the same document (only whitespace between)."""
    return first.record.key == second.record.key and not first.record.text[first.end : second.start].strip()


def _group(chosen: Sequence[Candidate], ranked: Sequence[Candidate]) -> list[Excerpt]:
    """Chosen sentences grouped by document; documents ordered by their best-ranked sentence."""
    rank = {c.key: i for i, c in enumerate(ranked)}
    by_document: dict[str, list[Candidate]] = {}
    for sentence in chosen:
        by_document.setdefault(sentence.record.key, []).append(sentence)
    groups = sorted(by_document.values(), key=lambda group: min(rank.get(s.key, len(rank)) for s in group))
    return [Excerpt(group[0].record, tuple(sorted(group, key=lambda s: s.start))) for group in groups]
