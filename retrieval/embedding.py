"""The embedder, which also gives every token of a chunk its contextual vector (late chunking).

The extractive answerer scores a question against the sentences of the retrieved passages, and
embedding those sentences when the question came was most of a new question's time (about 110 of
147 ms at 10k chunks, docs/benchmarks.md); embedding each sentence on its own at ingest would have
doubled ingest's work. But the forward pass that embeds a chunk already computes a vector for each
of its tokens, in the context of the whole chunk: the mean of a sentence's token vectors is a
sentence vector that costs nothing more (Günther et al., "Late Chunking", 2024). docs/quality.md
compares answers ranked with these and with separately embedded sentences.

This module imports sentence-transformers (and torch) through llama-index's `HuggingFaceEmbedding`,
so only `composition.build_embed_model` imports it, when a model is first needed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.embedding import EmbeddingEndEvent, EmbeddingStartEvent
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from retrieval.sentence_vectors import unit


@dataclass(frozen=True)
class TokenVectors:
    """One text's embedding, its tokens' contextual vectors and each token's character span in the
    text (special tokens span nothing)."""

    embedding: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray

    def span_vector(self, start: int, end: int) -> np.ndarray | None:
        """The unit mean of the vectors of the tokens inside `text[start:end]`; None when the model
        did not see all of that span (it lies past the model's input length) or it holds no token."""
        real = self.offsets[:, 1] > self.offsets[:, 0]
        if not real.any() or end > int(self.offsets[real, 1].max()):
            return None
        inside = real & (self.offsets[:, 0] >= start) & (self.offsets[:, 1] <= end)
        if not inside.any():
            return None
        return unit(self.tokens[inside].mean(axis=0))


class LateChunkingEmbedding(HuggingFaceEmbedding):
    """llama-index's sentence-transformers embedder, plus `token_vectors`: text embeddings exactly as
    `get_text_embedding_batch` gives them, with the token vectors of the same forward pass."""

    def __init__(self, model_name: str, embed_batch_size: int, device: str) -> None:
        super().__init__(model_name=model_name, embed_batch_size=embed_batch_size, device=device)

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Batch by batch, announced to llama-index's instrumentation like its own embedding calls."""
        dispatcher = get_dispatcher(__name__)
        found: list[TokenVectors] = []
        for first in range(0, len(texts), self.embed_batch_size):
            batch = texts[first : first + self.embed_batch_size]
            dispatcher.event(EmbeddingStartEvent(model_dict=self.to_payload()))
            vectors = self._batch_token_vectors(batch)
            dispatcher.event(EmbeddingEndEvent(chunks=list(batch), embeddings=[v.embedding.tolist() for v in vectors]))
            found.extend(vectors)
        return found

    def _batch_token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        model = self._model
        # The model's text prompt (empty for MiniLM) is prepended by `encode`: offsets are taken over
        # the same string and shifted back, so they index `texts`.
        prompt = model.prompts.get("text") or ""
        outputs = cast(list[dict[str, Any]], model.encode(
            list(texts), prompt_name="text", batch_size=self.embed_batch_size, output_value=None,
            show_progress_bar=False,
        ))
        encoded = model.tokenizer(
            [prompt + text for text in texts], return_offsets_mapping=True, truncation=True,
            max_length=model.max_seq_length,
        )
        found = []
        for output, offsets in zip(outputs, encoded["offset_mapping"], strict=True):
            # Padded to the batch's longest text: the attention mask marks this text's own tokens.
            tokens = output["token_embeddings"][output["attention_mask"].bool()].float().numpy()
            spans = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
            if len(spans) != len(tokens):
                raise RuntimeError("the tokenizer's offsets do not match the model's tokens")
            shifted = np.where(spans[:, 1:] > spans[:, :1], spans - len(prompt), 0)
            embedding = output["sentence_embedding"].float().numpy()
            found.append(TokenVectors(unit(embedding) if self.normalize else embedding, tokens, shifted))
        return found
