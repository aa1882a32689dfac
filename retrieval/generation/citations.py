"""The citation check every LLM answer goes through before anyone sees it.

An LLM's `[n]` markers are claims about where a sentence came from; small models put them in the
wrong place, cite the wrong source, invent facts, and injected passages try to steer them. Each
sentence of the answer (a claim) is kept only when a *span* of one source, one sentence or two
adjacent ones, supports it:

- every name and number of the claim occurs in the span (so "Peskov said he had never heard of
  it" is not supported by one sentence naming Peskov and another, about someone else, saying it),
  except those the question gives that the article's title states, when the claim adds a name or
  number of its own ("Steven Spielberg won Best Director at the 2023 Golden Globes" from "Steven
  Spielberg won best director" in an article titled "Golden Globes 2023: …"; `_shown_by_title`),
  and then only from a span naming none of the title's other stories (`_title_others`),
- the claim does not put two of its names the other way round around the same word ("China asked
  Russia" from "Russia asked China": every word stands in the span, so nothing else sees it),
- and the span's support score (`retrieval.answer.candidates.support_score`: embedding similarity and the
  share of the claim's IDF-weighted words it contains) reaches the threshold measured on labelled
  claims of a real model (docs/citations.md).

Markers are read generously, support strictly: a marker that closes a paragraph also covers the
unmarked sentences before it, and a claim its cited source does not support is moved to the source
that does, when one does under the same rule. A sentence citing nothing valid is never moved: it
may be copied from anywhere, a planted "Source: …" line included. What survives is renumbered, and each citation quotes
its span verbatim, cut from the stored text by offsets; headline fragments are never quoted, and
sentences addressed to a model never count as support.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from retrieval.answer.candidates import Candidate, support_score
from retrieval.answer.citing import cite
from retrieval.answer.ranking import SentenceRanker
from retrieval.generation.claims import Claim, split_claims
from retrieval.generation.excerpts import Excerpt, follows
from retrieval.index.bm25 import BM25Index
from retrieval.index.sentence_vectors import unit
from retrieval.language.entities import names_and_numbers, reverses_relation, span_mentions
from retrieval.language.questions import asked_terms, read_as_answer
from retrieval.language.vocabulary import NAME_RUN, analyse, analyse_many
from retrieval.models.answers import Citation
from retrieval.models.checks import CheckReport, ClaimCheck

_PAIR_MARGIN = 0.05
"""A two-sentence quote must beat the best single sentence by this much (or be needed for a name)."""


@dataclass(frozen=True)
class Span:
    """One sentence of a source, or two adjacent ones: what a citation quotes."""

    sentences: tuple[Candidate, ...]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.sentences[0].record.key, self.sentences[0].start, self.sentences[-1].end)

    @property
    def text(self) -> str:
        return self.sentences[0].record.text[self.sentences[0].start : self.sentences[-1].end]


@dataclass(frozen=True)
class Support:
    """How well the best qualifying span of one source supports a claim."""

    score: float
    span: Span | None


@dataclass(frozen=True)
class Verdict:
    """What the check decided about one claim, and the best support score it found for it."""

    claim: Claim
    outcome: Literal["kept", "reattributed", "unsupported", "uncited", "restated"]
    score: float
    spans: tuple[Span, ...]
    invalid_markers: int


@dataclass(frozen=True)
class CheckedAnswer:
    """The supported claims of an answer, renumbered, with their citations."""

    text: str
    citations: list[Citation]
    report: CheckReport


class CitationChecker:
    """Keeps the supported sentences of an LLM answer, each citing the span that supports it."""

    def __init__(self, ranker: SentenceRanker, embed_model: BaseEmbedding, min_support: float) -> None:
        self._ranker = ranker
        self._embed_model = embed_model
        self.min_support = min_support

    def support(
        self, claim: str, source: Excerpt, bm25: BM25Index, claim_embedding: np.ndarray | None = None,
        required: str | None = None, question: str = "",
    ) -> Support:
        """The span of `source` that supports `claim` best among those naming all the names and
        numbers of `required` (default: the claim) but those `question` gives and the source's title
        states, with its score (0 and no span when none does)."""
        if claim_embedding is None:
            claim_embedding = unit(np.asarray(self._embed_model.get_text_embedding(claim), dtype=np.float32))
        sentences = [s for s in source.sentences if s.is_statement]
        if not sentences:
            return Support(0.0, None)
        embeddings = self._ranker.embed(sentences, stored=False)
        analysed = analyse_many([claim] + [s.text for s in sentences])
        claim_terms = set(analysed[0])
        own = claim if required is None else required
        required_names = names_and_numbers(own, source.record.text)
        in_span = required_names - _shown_by_title(question, source, required_names)
        waived = required_names - in_span
        elsewhere = _title_others(question, source, required_names, waived) if waived else set()
        best = Support(0.0, None)
        for span, vector, terms in _spans(sentences, embeddings, analysed[1:]):
            if not span_mentions(span.text, in_span):
                continue
            if elsewhere and names_and_numbers(span.text, source.record.text) & elsewhere:
                continue
            if len(span.sentences) == 2 and not _continues(span, claim):
                continue
            semantic = float(vector @ claim_embedding)
            if len(span.sentences) == 1:
                semantic = max([semantic, *self._clause_similarities(span.sentences[0], claim_embedding)])
            score = support_score(semantic, claim_terms, terms, bm25)
            margin = _PAIR_MARGIN if len(span.sentences) == 2 and best.span is not None else 0.0
            # The relation rule last: it is the costly one, and only a span that would win needs it.
            if score > best.score + margin and not reverses_relation(own, span.text, required_names):
                best = Support(score, span)
        return best

    def _clause_similarities(self, sentence: Candidate, claim_embedding: np.ndarray) -> list[float]:
        """Similarity of the claim to each run of clauses of a long sentence: a news sentence often
        packs several facts, and a claim restating one of them is diluted against the whole."""
        windows = _clause_windows(sentence)
        if not windows:
            return []
        return [float(v @ claim_embedding) for v in self._ranker.embed(windows, stored=False)]

    def check(self, answer: str, sources: Sequence[Excerpt], bm25: BM25Index, question: str = "") -> CheckedAnswer:
        """`question`, when given, is read before a claim too short to stand alone ("Liu Pengyu."
        answering "Who denied the request?"); the claim's own names and numbers are still required."""
        claims = split_claims(answer)
        in_context = [read_as_answer(c.text, question) for c in claims]
        embeddings = (
            [unit(np.asarray(v, dtype=np.float32)) for v in self._embed_model.get_text_embedding_batch(in_context)]
            if claims else []
        )
        asked = asked_terms(question)
        verdicts = [
            Verdict(claim, "restated", 0.0, (), 0) if asked is not None and set(analyse(claim.text)) <= asked
            else self._judge(claim, sources, bm25, embedding, question)
            for claim, embedding in zip(claims, embeddings, strict=True)
        ]
        kept: list[tuple[str, list[Span]]] = []
        seen_claims: set[str] = set()
        for verdict in verdicts:
            if verdict.spans and verdict.claim.text.lower() not in seen_claims:
                seen_claims.add(verdict.claim.text.lower())
                kept.append((verdict.claim.text, list(verdict.spans)))
        text, citations = _renumber(kept)
        outcomes = [v.outcome for v in verdicts]
        report = CheckReport(
            claims=len(claims), kept=len(kept), uncited=outcomes.count("uncited"),
            unsupported=outcomes.count("unsupported"), invalid_markers=sum(v.invalid_markers for v in verdicts),
            reattributed=outcomes.count("reattributed"), restated=outcomes.count("restated"),
            checks=[ClaimCheck(v.claim.text, v.claim.markers, v.outcome, v.score) for v in verdicts],
        )
        return CheckedAnswer(text, citations, report)

    def _judge(
        self, claim: Claim, sources: Sequence[Excerpt], bm25: BM25Index, embedding: np.ndarray, question: str
    ) -> "Verdict":
        """Supported by a source it cites, else by another one (re-cited), else dropped."""
        valid = [n for n in claim.markers if 1 <= n <= len(sources)]
        invalid = len(claim.markers) - len(valid)
        text = read_as_answer(claim.text, question)
        cited = [self.support(text, sources[n - 1], bm25, embedding, claim.text, question) for n in valid]
        spans = tuple(s.span for s in cited if s.span is not None and s.score >= self.min_support)
        best = max((s.score for s in cited), default=0.0)
        if spans:
            return Verdict(claim, "kept", best, spans, invalid)
        if not valid:
            # Only a claim that names a source is moved to another one: an uncited sentence may be
            # copied from anywhere, a planted "Source: …" line included, and a marker out of range
            # is often copied too, from a planted "[9]".
            return Verdict(claim, "uncited", 0.0, (), invalid)
        others = [self.support(text, source, bm25, embedding, claim.text, question)
                  for n, source in enumerate(sources, start=1) if n not in valid]
        moved = max(others, key=lambda s: s.score, default=Support(0.0, None))
        if moved.span is not None and moved.score >= self.min_support:
            return Verdict(claim, "reattributed", moved.score, (moved.span,), invalid)
        return Verdict(claim, "unsupported", max(best, moved.score), (), invalid)


def _shown_by_title(question: str, source: Excerpt, required: set[str]) -> set[str]:
    """The names and numbers of `required` (a claim's) that `question` gives and the source's title
    states. A claim restating the question's event ("… at the 2023 Golden Globes") need not find it
    in the quoted sentence, which seldom repeats what its article is about: the citation shows the
    title beside the quote. Only for a claim that adds a name or number of its own, the answer,
    which the span must hold: "Peskov said he had never heard of it", answering "What did Peskov
    say?", adds nobody, so Peskov must still stand in the span (not in Liu Pengyu's sentence). On
    news-dev, a model's claims kept with the right answer 27 -> 30 of 45, with the wrong one 24 of
    58 either way; on the labelled seed claims no conflated or unsupported claim more is kept
    (docs/citations.md)."""
    if not question or not required:
        return set()
    given = names_and_numbers(question, source.record.text) & required
    if not given or not required - given:
        return set()
    return {name for name in given if span_mentions(source.record.title, {name})}


def _title_others(question: str, source: Excerpt, required: set[str], waived: set[str]) -> set[str]:
    """The names of the parts of the source's title (cut at punctuation and "and") that hold none
    of the `waived` names, less those `question` or the claim (`required`) gives: a span naming one
    of them is about another story of the article. A news round-up titled "Half Moon Bay shooting,
    Oscars and Monterey Park: The Short List" let "Seven people were dead in the Monterey Park
    shooting" through on its Half Moon Bay sentence. The names of a part that holds a waived name
    stay: "The US warns its allies that China is willing to support Russia" is one story."""
    context = source.record.text
    given = names_and_numbers(question, context) | required
    others: set[str] = set()
    for part in _TITLE_PARTS.split(source.record.title):
        names = {name for name in names_and_numbers(part.strip(), context) if not name[0].isdigit()}
        if not names & waived:
            others |= names - given
    return others


_TITLE_PARTS = re.compile(r"[:;|,–—]|\s-\s|\band\b", re.IGNORECASE)


def _continues(pair: Span, claim: str) -> bool:
    """Whether the second sentence of a two-sentence span continues the first for this claim: it
    introduces nobody the claim does not name. A second sentence about someone else is how two
    people's words get merged into one claim ("Zhao Lijian denied …" from a sentence naming Zhao and
    the next one, quoting Liu Pengyu's denial). Someone is a run of capitalised words after the
    sentence's first word ("Liu Pengyu", "State Department"); the claim must name one of its words."""
    second = pair.sentences[1].text
    return all(
        any(span_mentions(claim, {word.lower()}) for word in run.group().split()) for run in NAME_RUN.finditer(second, 1)
    )


_CLAUSE_BREAK = re.compile(r"[,;:–—]\s+|\s+[–—]\s+")
_CLAUSE_MIN_WORDS = 5


def _clause_windows(sentence: Candidate) -> list[Candidate]:
    """Runs of one to three consecutive clauses of `sentence` (cut at commas, semicolons, colons
    and dashes), each of at least five words, other than the whole sentence."""
    text = sentence.text
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    windows: list[Candidate] = []
    for first in range(len(cuts) - 1):
        for last in range(first + 1, min(first + 4, len(cuts))):
            start, end = cuts[first], cuts[last]
            if (start, end) == (0, len(text)) or len(text[start:end].split()) < _CLAUSE_MIN_WORDS:
                continue
            windows.append(Candidate(sentence.record, sentence.start + start, sentence.start + end, sentence.passage_rank))
    return windows


def _spans(sentences: Sequence[Candidate], embeddings: np.ndarray, terms: Sequence[Sequence[str]]):
    """Each sentence, then each pair of sentences adjacent in the document, with the span's unit
    vector (the normalised mean of its sentences') and its analysed words."""
    for index, sentence in enumerate(sentences):
        yield Span((sentence,)), embeddings[index], set(terms[index])
    for index in range(len(sentences) - 1):
        first, second = sentences[index], sentences[index + 1]
        if not follows(first, second):
            continue
        yield Span((first, second)), unit(embeddings[index] + embeddings[index + 1]), set(terms[index]) | set(terms[index + 1])


def _renumber(kept: Sequence[tuple[str, list[Span]]]) -> tuple[str, list[Citation]]:
    """Answer text with citations numbered by first use; one citation per distinct span."""
    order: list[Span] = []
    parts = []
    for claim, spans in kept:
        numbers = []
        for span in spans:
            if span.key not in [s.key for s in order]:
                order.append(span)
            numbers.append([s.key for s in order].index(span.key) + 1)
        markers = "".join(f"[{n}]" for n in sorted(set(numbers)))
        parts.append(f"{claim.rstrip()} {markers}")
    quotes = [
        Candidate(span.sentences[0].record, span.sentences[0].start, span.sentences[-1].end, 0) for span in order
    ]
    _, citations = cite(quotes)
    return " ".join(parts), citations
