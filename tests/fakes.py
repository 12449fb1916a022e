"""The fake embedder: a deterministic hashed bag of words, no model. Only tests know it: ``register``
makes ``CAPACITIES_EMBED_MODEL=hash-DIM`` build it, in the test process (``conftest``) and in every
Python process a test starts (``tests/site/sitecustomize.py``, on their ``PYTHONPATH``)."""

from __future__ import annotations

import math
import re
import zlib

from assistant.models import Spans, register_embedder


class HashEmbedder:
    """Deterministic hashed bag of words (crc32): no model, for tests and quick demos only."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for tok in re.findall(r"\w+", text.lower()):
            v[zlib.crc32(tok.encode()) % self.dim] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_blocks(
        self, texts: list[str], titles: list[str] | None, spans: Spans
    ) -> tuple[list[list[float]], list[list[list[float]]]]:
        """Each span hashed on its own words: the same shape as late chunking, without a model."""
        spans_out = [[self._vec(t[a:b]) for a, b in sp] for t, sp in zip(texts, spans, strict=True)]
        return self.embed_documents(texts, titles), spans_out

    def embed_query(self, text: str, prompt: str | None = None) -> list[float]:
        return self._vec(f"{prompt or ''}{text}")  # another prompt, another vector, as with a real model


def _build(name: str) -> HashEmbedder:
    dim = name.partition("-")[2]
    return HashEmbedder(int(dim) if dim else 256)


def register() -> None:
    register_embedder("hash", _build)
