"""A document version's sentence vectors: computed with its chunks at ingest (`ingestor.late_chunked`),
stored beside them in a SQLite file, one row per sentence (`sentence_table.SentenceVectorTable`), and read by
the sentence ranker, which ranks a question's candidates with them and runs the model only on the
best few (`ranking.RESCORED`).

Plain data and numpy: the store imports it, and `citebot sources` loads no model and no llama-index.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from retrieval.models.records import DocumentRecord

if TYPE_CHECKING:
    # llama-index is imported where chunks are written or searched: listing documents (`citebot
    # sources`) needs Chroma alone.
    from llama_index.core.schema import TextNode


def unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass(frozen=True, eq=False)
class SentenceVectors:
    """Unit vectors of a document version's sentences (row i is the sentence at `spans[i]`)."""

    spans: np.ndarray
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.spans)


class SentenceKey(NamedTuple):
    """A sentence of one document version: what a sentence vector is stored and cached under."""

    record_key: str
    content_hash: str
    start: int
    end: int


class SentenceVectorSource(Protocol):
    """Where stored sentence vectors are read (the store)."""

    def sentence_spans(self, key: str, content_hash: str) -> list[tuple[int, int]]:
        """The spans of a document version's sentences, found when it was ingested (one row each);
        none for a version stored without them."""
        ...

    def sentence_vectors(self, keys: Sequence[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The stored vectors of those of `keys` that have one (a version ingested before sentence
        vectors were stored has none; neither has a span that is not a whole sentence)."""
        ...


@dataclass(frozen=True)
class DocumentVersion:
    """What `CorpusStore.write_versions` makes live: a record, its embedded chunk nodes and its
    sentence vectors (None: none are stored, and the ranker embeds sentences when they are asked for)."""

    record: DocumentRecord
    nodes: Sequence["TextNode"]
    sentences: SentenceVectors | None = None
