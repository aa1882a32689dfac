"""The embedder on the real MiniLM: the vectors sentence-transformers gives for the same folder, its
token vectors (late chunking) with chunk embeddings unchanged and a sentence's pooled vector standing
for that sentence, and model folders it refuses."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval.index.embedding import EmbeddingModelError, LateChunkingEmbedding, ModelLayout, TokenVectors
from retrieval.settings import RetrievalSettings

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
    assert np.allclose(np.stack([v.embedding for v in vectors]), plain, atol=1e-4)
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


_REFERENCE_TEXTS = [_TEXT, "  Who denied the request?\n", "word " * 400, "A short one."]


@pytest.fixture(scope="module")
def float32_model() -> LateChunkingEmbedding:
    return LateChunkingEmbedding(RetrievalSettings(_env_file=None).embed_model, 64, "cpu", bfloat16=False)


def test_vectors_are_those_sentence_transformers_gives_for_the_same_folder(float32_model):
    """The model folder is made for sentence-transformers; the embedder runs it without importing
    that library, and must give the same vectors, for chunks, questions, texts past the model's
    input length and texts with surrounding whitespace (which sentence-transformers strips)."""
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(RetrievalSettings(_env_file=None).embed_model, device="cpu")
    expected = reference.encode(_REFERENCE_TEXTS, normalize_embeddings=True)
    assert np.allclose(np.asarray(float32_model.get_text_embedding_batch(_REFERENCE_TEXTS)), expected, atol=1e-5)
    assert np.allclose(float32_model.get_query_embedding(_REFERENCE_TEXTS[1]), expected[1], atol=1e-5)


def test_bfloat16_vectors_point_where_the_float32_ones_do(float32_model):
    """bfloat16 products (on CPUs that have them) move a vector by a cosine of 1e-4 at most, so an
    index built in either precision serves questions embedded in the other."""
    fast = LateChunkingEmbedding(RetrievalSettings(_env_file=None).embed_model, 64, "cpu", bfloat16=True)
    exact = np.asarray(float32_model.get_text_embedding_batch(_REFERENCE_TEXTS))
    approximate = np.asarray(fast.get_text_embedding_batch(_REFERENCE_TEXTS))
    assert (exact * approximate).sum(axis=1).min() > 0.9999


def test_token_offsets_index_the_text_as_given(embed_model):
    text = "   Ferries left."
    (vectors,) = embed_model.token_vectors([text])
    real = vectors.offsets[vectors.offsets[:, 1] > vectors.offsets[:, 0]]
    assert [text[start:end] for start, end in real] == ["Ferries", "left", "."]


def _model_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(RetrievalSettings(_env_file=None).embed_model, folder)
    return folder


def test_the_shipped_folder_is_read_as_mean_pooling_over_256_tokens():
    layout = ModelLayout.read(RetrievalSettings(_env_file=None).embed_model)
    assert (layout.pooling, layout.max_seq_length, layout.do_lower_case) == ("mean", 256, False)


def test_a_folder_with_a_module_the_embedder_does_not_run_is_refused(tmp_path: Path):
    folder = _model_copy(tmp_path)
    modules = json.loads((folder / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(EmbeddingModelError, match="Dense"):
        ModelLayout.read(str(folder))


def test_a_folder_with_an_unknown_pooling_is_refused(tmp_path: Path):
    folder = _model_copy(tmp_path)
    config = json.loads((folder / "1_Pooling" / "config.json").read_text())
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_weightedmean_tokens": True}))
    with pytest.raises(EmbeddingModelError, match="pooling"):
        ModelLayout.read(str(folder))


def test_a_folder_that_is_not_a_sentence_transformers_model_is_refused(tmp_path: Path):
    folder = _model_copy(tmp_path)
    (folder / "modules.json").unlink()
    with pytest.raises(EmbeddingModelError, match="not a sentence-transformers model folder"):
        ModelLayout.read(str(folder))
