"""A disk cache of embeddings keyed by (kind, text), so evaluations and benchmarks embed a text once.

The cache lives in the data folder (git-ignored), one ``.npz`` file per embedding model:
``data/eval_cache/<model>.npz`` with two arrays, ``keys`` (sha256 of "d:" or "q:" + text) and
``vectors`` (float32, unit length). "d:" is a document (document prompt, no title), "q:" a query.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from pathlib import Path

import numpy as np


def _key(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, folder: Path, model_name: str) -> None:
        self.path = Path(folder) / (re.sub(r"[^\w.+-]", "_", model_name) + ".npz")
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path) as z:
                self.vectors = dict(zip(z["keys"].tolist(), z["vectors"], strict=True))
        self._dirty = False

    def __len__(self) -> int:
        return len(self.vectors)

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        keys = list(self.vectors)
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]).astype("float32"))
        os.replace(tmp, self.path)
        self._dirty = False

    def documents(self, embedder, texts: list[str], batch: int = 32, label: str = "") -> np.ndarray:  # noqa: ANN001
        """Vectors of ``texts`` embedded as documents (no title); missing ones are computed and saved."""
        missing = list(dict.fromkeys(t for t in texts if _key("d", t) not in self.vectors))
        t0 = time.perf_counter()
        for i in range(0, len(missing), batch):
            part = missing[i : i + batch]
            for t, v in zip(part, embedder.embed_documents(part), strict=True):
                self.vectors[_key("d", t)] = np.asarray(v, dtype="float32")
            self._dirty = True
            done = i + len(part)
            rate = done / (time.perf_counter() - t0)
            print(f"\r  embeddings {label}: {done}/{len(missing)} ({rate:.1f}/s)", end="", file=sys.stderr, flush=True)
            if done % (batch * 8) == 0:
                self.save()  # an interrupted run keeps what it computed
        if missing:
            print(file=sys.stderr)
        self.save()
        return np.stack([self.vectors[_key("d", t)] for t in texts]) if texts else np.zeros((0, 0), "float32")

    def query(self, embedder, text: str) -> list[float]:  # noqa: ANN001
        k = _key("q", text)
        if k not in self.vectors:
            self.vectors[k] = np.asarray(embedder.embed_query(text), dtype="float32")
            self._dirty = True
        return self.vectors[k].tolist()


class CachedQueryEmbedder:
    """Wraps an embedder so that each query is embedded once (and remembered on disk)."""

    def __init__(self, embedder, cache: EmbeddingCache) -> None:  # noqa: ANN001
        self.inner, self.cache = embedder, cache
        self.name, self.dim = embedder.name, embedder.dim

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]:
        return self.inner.embed_documents(texts, titles)

    def embed_query(self, text: str) -> list[float]:
        return self.cache.query(self.inner, text)
