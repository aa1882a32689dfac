"""The embedder: a sentence-transformers model run on transformers, giving every token of a chunk its
contextual vector too (late chunking).

The extractive answerer scores a question against the sentences of the retrieved passages, and
embedding those sentences when the question came was most of a new question's time (about 110 of
147 ms at 10k chunks, docs/benchmarks.md); embedding each sentence on its own at ingest would have
doubled ingest's work. But the forward pass that embeds a chunk already computes a vector for each
of its tokens, in the context of the whole chunk: the mean of a sentence's token vectors is a
sentence vector that costs nothing more (Günther et al., "Late Chunking", 2024). docs/quality.md
compares answers ranked with these and with separately embedded sentences.

The model folder is a sentence-transformers one (all-MiniLM-L6-v2 by default), but sentence-transformers
itself is not imported: it imports scikit-learn and SciPy on the way, about a second on every cold
command that embeds (docs/benchmarks.md, "Cold start"), for three modules this runs as it does: the
transformer, the pooling its folder declares (mean, CLS or max) and the normalisation, with the same
truncation, whitespace stripping and prompts (tests/retrieval/index/test_embedding.py compares the vectors
with sentence-transformers' own). A folder declaring any other module is refused when it is loaded.

torch and transformers are imported here, so only `composition.build_embed_model` imports this module,
when a model is first needed.
"""

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.embedding import EmbeddingEndEvent, EmbeddingStartEvent
from transformers import AutoModel, AutoTokenizer

from retrieval.index.sentence_vectors import unit

Pooling = Literal["mean", "cls", "max"]
_POOLING_MODES: dict[str, Pooling] = {
    "pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
}
_MODULES = ("Transformer", "Pooling", "Normalize")


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX, read from
    /proc/cpuinfo). There a forward pass under bfloat16 autocast took 18 ms where float32 took 45
    (eight news sentences, 2 cores), with every vector at cosine 0.99998 or more to its float32
    one; a CPU without them emulates bfloat16 and is slower, so it keeps float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


class EmbeddingModelError(ValueError):
    """The embedding model's folder is missing or declares what this embedder does not run."""


@dataclass(frozen=True)
class ModelLayout:
    """What a sentence-transformers model folder declares (`modules.json` and its modules' configs)."""

    path: Path
    pooling: Pooling
    max_seq_length: int
    do_lower_case: bool
    prompts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, name: str) -> "ModelLayout":
        """The layout of the model at a local path or, by hub name, in the Hugging Face cache
        (downloaded there on first use where the hub can be reached)."""
        path = Path(name).expanduser()
        if not path.is_dir():
            from huggingface_hub import snapshot_download

            try:
                path = Path(snapshot_download(name))
            except Exception as exc:
                raise EmbeddingModelError(f"EMBED_MODEL {name!r}: no such folder, and the hub gave no copy ({exc})") from exc
        try:
            modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
            kinds = [str(module["type"]).rsplit(".", 1)[-1] for module in modules]
            pooling_dir = next(path / module["path"] for module in modules if module["type"].endswith("Pooling"))
            pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, StopIteration) as exc:
            raise EmbeddingModelError(f"EMBED_MODEL {str(path)!r} is not a sentence-transformers model folder ({exc})") from exc
        if kinds[:2] != list(_MODULES[:2]) or not set(kinds) <= set(_MODULES):
            raise EmbeddingModelError(f"EMBED_MODEL {str(path)!r} declares modules {kinds}; only {list(_MODULES)} are run")
        modes = [mode for key, mode in _POOLING_MODES.items() if pooling.get(key)]
        if len(modes) != 1 or any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k not in _POOLING_MODES):
            raise EmbeddingModelError(f"EMBED_MODEL {str(path)!r}: pooling {pooling} is not one of mean, CLS or max")
        config = _json_or_empty(path / "sentence_bert_config.json")
        prompts = _json_or_empty(path / "config_sentence_transformers.json").get("prompts") or {}
        return cls(path, modes[0], int(config.get("max_seq_length") or 512), bool(config.get("do_lower_case")),
                   {str(k): str(v) for k, v in prompts.items()})


def _json_or_empty(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


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


class LateChunkingEmbedding(BaseEmbedding):
    """A llama-index embedder (unit vectors) with `token_vectors`: text embeddings exactly as
    `get_text_embedding_batch` gives them, with the token vectors of the same forward pass."""

    _layout: ModelLayout = PrivateAttr()
    _model: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _tokenizer_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _bfloat16: bool = PrivateAttr()

    def __init__(self, model_name: str, embed_batch_size: int, device: str, bfloat16: bool = False) -> None:
        """`bfloat16`: run the model's matrix products in bfloat16 (`native_bfloat16`), on the CPU."""
        super().__init__(model_name=model_name, embed_batch_size=embed_batch_size)
        self._bfloat16 = bfloat16 and device == "cpu"
        self._layout = ModelLayout.read(model_name)
        self._model = AutoModel.from_pretrained(str(self._layout.path)).to(device).eval()
        self._tokenizer = AutoTokenizer.from_pretrained(str(self._layout.path))

    @classmethod
    def class_name(cls) -> str:
        return "LateChunkingEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query], "query")[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text], "text")[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, "text")

    def _embed(self, texts: Sequence[str], prompt_name: str) -> list[list[float]]:
        return [v.embedding.tolist() for v in self._forward(texts, self._layout.prompts.get(prompt_name, ""))]

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Batch by batch, announced to llama-index's instrumentation like its own embedding calls."""
        dispatcher = get_dispatcher(__name__)
        prompt = self._layout.prompts.get("text", "")
        found: list[TokenVectors] = []
        for first in range(0, len(texts), self.embed_batch_size):
            batch = texts[first : first + self.embed_batch_size]
            dispatcher.event(EmbeddingStartEvent(model_dict=self.to_payload()))
            vectors = self._forward(batch, prompt)
            dispatcher.event(EmbeddingEndEvent(chunks=list(batch), embeddings=[v.embedding.tolist() for v in vectors]))
            found.extend(vectors)
        return found

    def _forward(self, texts: Sequence[str], prompt: str) -> list[TokenVectors]:
        """One forward pass per batch, texts sorted by length so a batch pads little, as
        sentence-transformers does; each text stripped of surrounding whitespace as it does, with
        its offsets shifted back so they index the text as given."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        found: dict[int, TokenVectors] = {}
        for first in range(0, len(order), self.embed_batch_size):
            indexes = order[first : first + self.embed_batch_size]
            stripped = [texts[i].strip() for i in indexes]
            shifts = [len(texts[i]) - len(texts[i].lstrip()) - len(prompt) for i in indexes]
            inputs = [prompt + text for text in stripped]
            if self._layout.do_lower_case:
                inputs = [text.lower() for text in inputs]
            for index, shift, vectors in zip(indexes, shifts, self._run(inputs), strict=True):
                found[index] = _shifted(vectors, shift)
        return [found[i] for i in range(len(texts))]

    def _run(self, inputs: list[str]) -> list[TokenVectors]:
        with self._tokenizer_lock:
            # A fast tokenizer is not safe to call from two threads at once (it sets its padding
            # and truncation on the shared object); the forward pass below is.
            batch = self._tokenizer(inputs, padding=True, truncation=True, max_length=self._layout.max_seq_length,
                                    return_offsets_mapping=True, return_tensors="pt")
        offsets = batch.pop("offset_mapping").numpy()
        mask = batch["attention_mask"]
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bfloat16):
            hidden = self._model(**batch).last_hidden_state.float()
        pooled = _pool(hidden, mask, self._layout.pooling).numpy()
        tokens = hidden.numpy()
        own = mask.bool().numpy()
        return [TokenVectors(unit(pooled[i]), tokens[i][own[i]], offsets[i][own[i]].astype(np.int64))
                for i in range(len(inputs))]


def _pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: Pooling) -> torch.Tensor:
    """sentence-transformers' Pooling module for one mode, over each text's own (unpadded) tokens."""
    if pooling == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if pooling == "max":
        return hidden.masked_fill(weights == 0, -1e9).max(dim=1).values
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def _shifted(vectors: TokenVectors, shift: int) -> TokenVectors:
    """Offsets moved by `shift` characters (special tokens keep their empty span at 0)."""
    spans = vectors.offsets
    moved = np.where(spans[:, 1:] > spans[:, :1], spans + shift, 0)
    return TokenVectors(vectors.embedding, vectors.tokens, moved)
