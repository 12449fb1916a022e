"""The two indexes built from the same chunks: Chroma (dense) and BM25 (lexical).

Chroma runs embedded (``PersistentClient`` in the data folder) or as a server
(``CAPACITIES_CHROMA_HOST``). The collection records which embedding model built it, and
opening it with another model is refused. The BM25 index is written to a fresh folder and
swapped in with a rename, so a reader never sees a half-written index.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.settings import Settings
from assistant.text import tokens
from assistant.types import Chunk


def _chroma_client(settings: Settings):  # noqa: ANN202
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        host, _, port = settings.chroma_host.partition(":")
        return chromadb.HttpClient(host=host, port=int(port or 8000), settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class DenseStore:
    """The Chroma collection of chunk embeddings (cosine space)."""

    def __init__(
        self, settings: Settings, model_name: str | None, dim: int | None, client: object | None = None
    ) -> None:
        """``model_name=None`` opens whatever is there (reading, or deleting documents only)."""
        self.client = client if client is not None else _chroma_client(settings)
        self.name = settings.collection
        self.model_name, self.dim = model_name, dim
        self.collection = self.client.get_or_create_collection(
            self.name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embed_model": model_name or "?", "embed_dim": dim or 0},
            embedding_function=None,
        )
        meta = self.collection.metadata or {}
        if model_name is None:
            self.model_name, self.dim = meta.get("embed_model"), meta.get("embed_dim")
        elif meta.get("embed_model") != model_name or int(meta.get("embed_dim", dim)) != dim:
            raise CapacitiesError(
                f"L'index a été construit avec le modèle « {meta.get('embed_model')} » "
                f"({meta.get('embed_dim')} dimensions), pas avec « {model_name} » ({dim}). "
                "Relancez `capacities ingest --rebuild` pour reconstruire l'index avec le nouveau modèle."
            )

    def count(self) -> int:
        return self.collection.count()

    def upsert(self, chunks: list[Chunk], embeddings: list[list[float]]) -> None:
        if chunks:
            self.collection.upsert(
                ids=[c.id for c in chunks],
                embeddings=embeddings,
                documents=[c.text for c in chunks],
                metadatas=[c.metadata() for c in chunks],
            )

    def update_metadata(self, chunks: list[Chunk]) -> None:
        """Refresh the metadata of chunks already stored (same id, so same text and embedding)."""
        if chunks:
            self.collection.update(ids=[c.id for c in chunks], metadatas=[c.metadata() for c in chunks])

    def ids_for_source(self, source: str) -> set[str]:
        return set(self.collection.get(where={"source": source}, include=[])["ids"])

    def delete_ids(self, ids: set[str]) -> None:
        ids_list = sorted(ids)
        for i in range(0, len(ids_list), 1000):
            self.collection.delete(ids=ids_list[i : i + 1000])

    def all_chunks(self) -> list[Chunk]:
        got = self.collection.get(include=["documents", "metadatas"])
        out = [Chunk(id=i, text=d, **m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
        return sorted(out, key=lambda c: (c.source, c.index))

    def query(self, vector: list[float], k: int, sources: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) pairs, best first."""
        n = self.count()
        if n == 0:
            return []
        where = {"source": {"$in": list(sources)}} if sources else None
        res = self.collection.query(query_embeddings=[vector], n_results=min(k, n), where=where, include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]


def drop_collection(settings: Settings) -> None:
    client = _chroma_client(settings)
    with contextlib.suppress(Exception):  # absent collection: nothing to drop
        client.delete_collection(settings.collection)


class LexicalIndex:
    """BM25 over the chunks (French stems, accent-folded, no stop words), plus the chunks themselves."""

    def __init__(self, chunks: list[Chunk], bm25: object | None) -> None:
        self.chunks = chunks
        self.by_id = {c.id: c for c in chunks}
        self.bm25 = bm25

    @classmethod
    def build(cls, chunks: list[Chunk]) -> LexicalIndex:
        import bm25s

        chunks = sorted(chunks, key=lambda c: (c.source, c.index))
        if not chunks:
            return cls([], None)
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        # title and section help a short chunk match the words of its heading
        bm25.index([tokens(f"{c.section}\n{c.text}") for c in chunks], show_progress=False)
        return cls(chunks, bm25)

    def save(self, folder: Path) -> None:
        """Write to a sibling folder, then swap it in (readers never see a half-written index)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.with_name(folder.name + ".new")
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.bm25 is not None:
            self.bm25.save(str(tmp), show_progress=False)
        with (tmp / "chunks.json").open("w", encoding="utf-8") as f:
            json.dump([asdict(c) for c in self.chunks], f, ensure_ascii=False)
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        if not (folder / "chunks.json").is_file():
            old = folder.with_name(folder.name + ".old")  # a swap interrupted between its two renames
            if (old / "chunks.json").is_file():
                folder = old
            else:
                raise CapacitiesError("Aucun index trouvé : lancez d'abord `capacities ingest`.")
        import bm25s

        chunks = [Chunk(**d) for d in json.loads((folder / "chunks.json").read_text(encoding="utf-8"))]
        bm25 = bm25s.BM25.load(str(folder)) if chunks else None
        return cls(chunks, bm25)

    def search(self, query: str, k: int, sources: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) pairs, best first; only chunks with a positive score."""
        if self.bm25 is None:
            return []
        q = tokens(query)
        if not q:
            return []
        import numpy as np

        scores = self.bm25.get_scores(q)
        if sources:
            allowed = set(sources)
            mask = np.array([c.source in allowed for c in self.chunks])
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.chunks[i].id, float(scores[i])) for i in top if scores[i] > 0]
