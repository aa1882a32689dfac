"""Ingest's sentence vectors, pooled from chunk windows (`late_chunked`)."""

import numpy as np

from retrieval.embedding import TokenVectors
from retrieval.ingest import ChunkWindow, late_chunked


def one_token_per_sentence(marks: list[tuple[int, int]], vector_of) -> TokenVectors:
    """A hand-made chunk window: one 'token' per (start, end) with a known vector."""
    return TokenVectors(
        embedding=np.zeros(3), tokens=np.stack([vector_of(s, e) for s, e in marks]), offsets=np.asarray(marks)
    )


def test_each_sentence_takes_the_first_window_holding_it_whole_and_the_rest_are_embedded_alone():
    text = "Alpha one. Beta two. Gamma three."
    spans = [(0, 10), (11, 20), (21, 33)]
    basis = {span: np.eye(3)[i] for i, span in enumerate(spans)}
    # Window 1 covers sentences 1 and 2; window 2 starts inside sentence 2 and covers sentence 3 only
    # in part (its model input ends early): sentence 3 is held whole by no window.
    first = ChunkWindow(start=0, end=20, text_offset=0)
    second = ChunkWindow(start=11, end=33, text_offset=7)
    first_tokens = one_token_per_sentence(spans[:2], lambda s, e: basis[(s, e)])
    second_tokens = one_token_per_sentence([(7, 16)], lambda s, e: -np.eye(3)[1])
    asked: list[list[str]] = []

    def embed_separately(sentences: list[str]) -> list[np.ndarray]:
        asked.append(sentences)
        return [np.asarray([0.0, 0.0, 2.0]) for _ in sentences]

    vectors = late_chunked(text, [first, second], [first_tokens, second_tokens], embed_separately)
    assert asked == [["Gamma three."]]
    assert [tuple(s) for s in vectors.spans] == spans
    assert np.allclose(vectors.vectors, np.eye(3))
