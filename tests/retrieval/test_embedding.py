"""The embedder's token vectors (late chunking) on the real MiniLM: chunk embeddings unchanged, and
a sentence's pooled vector standing for that sentence."""

import numpy as np

from retrieval.embedding import TokenVectors

_TEXT = (
    "title: Harbour news\n\n"
    "The harbour opened in 1901. Ferries left for the islands every hour. "
    "The mayor closed the pier after the storm. Fishermen protested outside the town hall."
)
_SENTENCES = [
    "The harbour opened in 1901.",
    "Ferries left for the islands every hour.",
    "The mayor closed the pier after the storm.",
    "Fishermen protested outside the town hall.",
]


def test_text_embeddings_are_exactly_those_of_the_plain_embedder(embed_model):
    texts = [_TEXT, "A short one.", "word " * 400]
    vectors = embed_model.token_vectors(texts)
    plain = np.asarray(embed_model.get_text_embedding_batch(texts))
    assert np.allclose(np.stack([v.embedding for v in vectors]), plain, atol=1e-5)
    assert [len(v.tokens) for v in vectors][:2] == [len(v.offsets) for v in vectors][:2]


def test_a_pooled_sentence_vector_is_nearest_its_own_sentence(embed_model):
    (vectors,) = embed_model.token_vectors([_TEXT])
    pooled = np.stack([vectors.span_vector(_TEXT.index(s), _TEXT.index(s) + len(s)) for s in _SENTENCES])
    separate = np.asarray(embed_model.get_text_embedding_batch(_SENTENCES))
    similarity = pooled @ separate.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2, 3]
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)


def test_a_span_past_the_model_input_has_no_vector(embed_model):
    long_text = "The harbour opened. " * 200 + "The mayor closed the pier."
    (vectors,) = embed_model.token_vectors([long_text])
    assert vectors.span_vector(0, len("The harbour opened.")) is not None
    assert vectors.span_vector(len(long_text) - len("The mayor closed the pier."), len(long_text)) is None


def test_a_span_holding_no_whole_token_has_no_vector():
    vectors = TokenVectors(
        embedding=np.ones(2), tokens=np.eye(2), offsets=np.asarray([[0, 0], [0, 5]])
    )
    assert vectors.span_vector(1, 4) is None
    assert np.allclose(vectors.span_vector(0, 5), [0.0, 1.0])
