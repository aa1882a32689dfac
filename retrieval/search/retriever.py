"""Hybrid retrieval: BM25 and vector search fused by reciprocal rank fusion, with a recency prior.

BM25 finds the rare names and exact words a question uses; vectors find paraphrases. RRF combines
the two rankings without having to calibrate their incomparable scores against each other; the
BM25 side's share can be weighted (`FUSION_BM25_WEIGHT`, 1 = equal). Each side contributes its best
`RETRIEVAL_DEPTH` chunks, and `RecencyPrior` lifts the newest of them (retrieval/search/recency.py).
A question is asked on a day, and articles published after that day are not searched for it: an
evaluation asks last January's questions of a corpus that holds February's answers too.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from retrieval.index.bm25 import BM25Index
from retrieval.index.snapshots import CorpusSnapshot
from retrieval.index.store import CorpusStore
from retrieval.language.time_frames import reported_since
from retrieval.models.answers import Passage
from retrieval.models.records import DocumentRecord, record_key
from retrieval.search.recency import RecencyPrior
from retrieval.text.dates import publication_day

_LATER_OVERFETCH = 8


@dataclass(frozen=True)
class FusionSettings:
    """How the two rankings become one: `depth` chunks from each side, RRF with constant `rrf_k`
    and the BM25 side weighted by `bm25_weight`, the recency prior, and the `top_k` kept."""

    top_k: int
    depth: int
    rrf_k: int
    bm25_weight: float
    recency: RecencyPrior


class HybridRetriever(BaseRetriever):
    """Top-k live chunks in the given scopes, published by the asking day and not before the year
    the query asks about (`time_frames.reported_since`: no article of 2022 tells who won in 2023),
    for a query whose embedding is already computed. The snapshot's BM25 index says which versions are live: vector
    hits of other versions are dropped."""

    def __init__(
        self,
        store: CorpusStore,
        bm25: BM25Index,
        scopes: Sequence[str],
        ranking: FusionSettings,
        asked_on: dt.date,
    ) -> None:
        super().__init__()
        self._store = store
        self._bm25 = bm25
        self._scopes = list(scopes)
        self._ranking = ranking
        self._asked_on = asked_on

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if query_bundle.embedding is None:
            raise ValueError("HybridRetriever needs the query embedding in the QueryBundle")
        ranking = self._ranking
        until = self._asked_on.toordinal()
        reported = reported_since(query_bundle.query_str)
        # A year after the asking day is a name ("Blade Runner 2049"), not what the question is about.
        since = reported.toordinal() if reported is not None and reported <= self._asked_on else None
        nodes: dict[str, TextNode] = {}
        fused: dict[str, float] = {}

        vector_hits = [
            node
            for node, _ in self._store.query_vectors(
                query_bundle.embedding, self._vector_depth(until, since), self._scopes, self._bm25.share_of(self._scopes)
            )
            if self._bm25.live.get(record_key(node.metadata["scope"], node.metadata["article_id"]))
            == node.metadata["content_hash"]
            and _within(publication_day(str(node.metadata.get("published") or "")), since, until)
        ][: ranking.depth]
        for rank, node in enumerate(vector_hits):
            nodes[node.node_id] = node
            fused[node.node_id] = fused.get(node.node_id, 0.0) + 1.0 / (ranking.rrf_k + rank + 1)

        for rank, (chunk, _) in enumerate(
            self._bm25.search(query_bundle.query_str, ranking.depth, self._scopes, until, since)
        ):
            nodes.setdefault(
                chunk.chunk_id,
                TextNode(
                    id_=chunk.chunk_id,
                    text="",  # a passage's text is cut from its document record (PassageRetriever)
                    start_char_idx=chunk.start,
                    end_char_idx=chunk.end,
                    metadata={"scope": chunk.scope, "article_id": chunk.doc_id, "published": chunk.published},
                ),
            )
            fused[chunk.chunk_id] = fused.get(chunk.chunk_id, 0.0) + ranking.bm25_weight / (ranking.rrf_k + rank + 1)

        frame = ranking.recency.frame(query_bundle.query_str, self._asked_on, self._bm25.newest_day(self._scopes, until))
        days = {cid: publication_day(str(node.metadata.get("published") or "")) for cid, node in nodes.items()}
        for cid, lift in ranking.recency.boosts(days, frame, ranking.rrf_k).items():
            fused[cid] += lift
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))[: ranking.top_k]
        return [NodeWithScore(node=nodes[cid], score=fused[cid]) for cid in ranked]

    def _vector_depth(self, until: int, since: int | None) -> int:
        """How many vector hits to ask for so that `depth` remain once those published after day
        `until` or before day `since` are dropped: more by the part of the scopes' chunks that are
        (at most `_LATER_OVERFETCH` times more)."""
        depth = self._ranking.depth
        in_scopes, usable = self._bm25.share_of(self._scopes), self._bm25.share_of(self._scopes, until, since)
        if usable >= in_scopes:
            return depth
        return min(math.ceil(depth * in_scopes / max(usable, 1e-9)), depth * _LATER_OVERFETCH)


def _within(day: int | None, since: int | None, until: int) -> bool:
    """Whether a chunk of publication day `day` may answer: not after `until`, not before `since`
    (an undated one always may)."""
    return day is None or ((since is None or day >= since) and day <= until)


@dataclass(frozen=True)
class Retrieval:
    """What one retrieval found, with everything an answerer needs to use it: the query as searched,
    its embedding, the passages (live chunks, best first), their documents' records, the BM25
    index of the snapshot they came from, and the day it was asked (what "today" is to an LLM's
    prompt). `unmentioned` names what the query asks about that no retrieved article mentions
    (`retrieval.language.subjects`)."""

    query: str
    embedding: list[float]
    passages: list[Passage]
    records: dict[str, DocumentRecord]
    bm25: BM25Index
    asked_on: dt.date
    unmentioned: tuple[str, ...] = ()

    @property
    def texts(self) -> list[str]:
        """The stored texts of the retrieved passages' documents."""
        return [record.text for record in self.records.values()]


class PassageRetriever:
    """Embeds a query, runs the hybrid search over one snapshot and turns the hits into `Passage`s
    cut from their live documents' stored text."""

    def __init__(self, store: CorpusStore, embed_model: BaseEmbedding, ranking: FusionSettings) -> None:
        self._store = store
        self._embed_model = embed_model
        self._ranking = ranking

    def retrieve(
        self, query: str, scopes: Sequence[str], snapshot: CorpusSnapshot, top_k: int | None = None,
        asked_on: dt.date | None = None,
    ) -> Retrieval:
        """The best `top_k` passages (default: the settings' `TOP_K`) for `query` in `scopes`, asked on
        `asked_on` (default: today); a topic summary asks for more than a question's answer needs."""
        asked_on = asked_on or dt.date.today()
        embedding = self._embed_model.get_query_embedding(query)
        ranking = self._ranking if top_k is None else replace(self._ranking, top_k=top_k)
        retriever = HybridRetriever(self._store, snapshot.bm25, scopes, ranking, asked_on)
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=embedding))
        records = self._store.get_many(record_key(h.node.metadata["scope"], h.node.metadata["article_id"]) for h in hits)
        passages = []
        for hit in hits:
            node = hit.node
            key = record_key(node.metadata["scope"], node.metadata["article_id"])
            record = records.get(key)
            if record is None or record.content_hash != snapshot.live.get(key) or not isinstance(node, TextNode):
                continue
            start, end = node.start_char_idx, node.end_char_idx
            if start is not None and end is not None:
                passages.append(passage_of(record, node.node_id, start, end, hit.score or 0.0))
        return Retrieval(query, embedding, passages, records, snapshot.bm25, asked_on)


def passage_of(record: DocumentRecord, chunk_id: str, start: int, end: int, score: float) -> Passage:
    """The passage `record.text[start:end]`, carrying what a citation of it shows."""
    return Passage(chunk_id, record.scope, record.meta, record.text[start:end], score, start, end)
