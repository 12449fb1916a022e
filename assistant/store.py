"""The two indexes built from the same chunks: Chroma (dense) and BM25 (lexical).

Chroma runs embedded (``PersistentClient`` in the data folder) or as a server
(``CAPACITIES_CHROMA_URL=http://host:8000``, ``chromadb.HttpClient``). The collection records which
embedding model built it, and opening it with another model is refused.

What readers see is the **published snapshot**: the BM25 folder (``chunks.json`` + the BM25 arrays +
``snapshot.json``), written to a fresh folder and swapped in with a rename, and the same list of chunk
ids stored in Chroma (collection ``<name>-published``) so that another machine can rebuild its BM25
index from the server (``open_lexical``). Dense hits outside the snapshot are ignored by the
retriever, and ingestion deletes old chunks only after publishing, so a reader sees the old index or
the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlparse

from assistant import faults
from assistant.errors import CapacitiesError, StorageFault, storage_errno
from assistant.files import fsync_tree, remove_stale
from assistant.settings import Settings
from assistant.text import prefix_tokens, tokens
from assistant.types import Chunk

PUBLISHED_SUFFIX = "-published"  # sidecar collection holding the published chunk ids
_PART = 20_000  # ids per record of the published list
NO_INDEX = "Aucun index trouvé : lancez d'abord `capacities ingest`."


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """``http://host:8000``, ``https://host`` or ``host:port`` -> (host, port, ssl)."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise CapacitiesError(f"CAPACITIES_CHROMA_URL invalide : {url!r} ; attendu par exemple http://127.0.0.1:8000.")
    ssl = parsed.scheme == "https"
    return parsed.hostname, parsed.port or (443 if ssl else 8000), ssl


def chroma_client(settings: Settings, reader: bool = False):  # noqa: ANN202
    """The Chroma client the settings name: a server's (``chroma_url``) or the data folder's. A
    ``reader`` that cannot open the folder (a full disk) reads a copy, or gets a ``StorageFault``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        host, port, ssl = parse_chroma_url(settings.chroma_url)
        try:
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        except Exception as e:  # noqa: BLE001 - connection refused, DNS, TLS...: one message
            raise CapacitiesError(
                f"Serveur Chroma injoignable à {settings.chroma_url} ({type(e).__name__}) ; vérifiez "
                "CAPACITIES_CHROMA_URL et que le serveur tourne (`chroma run --path … --port …`)."
            ) from None
    path = settings.chroma_dir
    if path.is_dir() and not _writable(path):
        path = _private_copy(path)  # Chroma writes even to read (SQLite): a read-only volume is served from a copy
    else:
        path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as e:
        if not reader or storage_errno(e) is None or path != settings.chroma_dir:
            raise
    # SQLite cannot even open for reading on a full disk: the index is served from a copy elsewhere
    # (the temporary folder is often another disk), else the caller goes on without vectors
    try:
        return chromadb.PersistentClient(path=str(_private_copy(path)), settings=chroma_settings)
    except Exception as e:
        if storage_errno(e) is None:
            raise
        raise StorageFault(unreadable_index(settings)) from None


def unreadable_index(settings: Settings, during_search: bool = False) -> str:
    """The French line for a vector index a full disk keeps closed (or, ``during_search``, unread)."""
    when, which = (" pendant la recherche", "cette réponse vient") if during_search else ("", "les réponses viennent")
    return (
        f"Index vectoriel illisible{when} : disque plein ou écriture impossible dans {settings.data_dir} ; "
        f"{which} de la seule recherche par mots-clés. Libérez de la place."
    )


def _writable(folder: Path) -> bool:
    """Whether this process can write in the folder (a read-only mount says no even to root)."""
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return not read_only and os.access(folder, os.W_OK) and all(os.access(p, os.W_OK) for p in folder.glob("*.sqlite3"))


COPY_KEPT_S = 24 * 3600  # a reader still on an older copy has long reloaded by then


def _private_copy(folder: Path) -> Path:
    """A copy of a read-only (or full) Chroma folder in the temporary folder, one per content (its files' sizes
    and dates), made once and reused by the process's later clients."""
    import tempfile

    key = hashlib.sha256(
        "".join(
            f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(folder.rglob("*")) if p.is_file()
        ).encode()
    ).hexdigest()[:16]
    copy = Path(tempfile.gettempdir()) / f"capacities-chroma-{os.getuid()}-{key}"
    if not copy.is_dir():
        part = copy.with_name(f"{copy.name}.part-{os.getpid()}")
        shutil.rmtree(part, ignore_errors=True)
        try:
            shutil.copytree(folder, part)
        except OSError:
            shutil.rmtree(part, ignore_errors=True)  # a full temporary folder keeps no half copy
            raise
        for p in [part, *part.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
        try:
            os.replace(part, copy)
        except OSError:  # another process made it first
            shutil.rmtree(part, ignore_errors=True)
        for old in copy.parent.glob(f"capacities-chroma-{os.getuid()}-*"):  # copies of earlier snapshots
            with contextlib.suppress(OSError):
                if old != copy and time.time() - old.stat().st_mtime > COPY_KEPT_S:
                    shutil.rmtree(old)
    return copy


def reset_chroma_cache() -> None:
    """Forget the embedded clients of this process, so the next one reads what another process wrote
    (an embedded client keeps the vector index it loaded; a server client needs nothing)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def check_same_model(built: str | None, built_dim: int | None, model: str, dim: int | None) -> None:
    """Refuse to mix vectors of two models in one index (``built``: the model the index was made with)."""
    if built is None or (built == model and (built_dim is None or dim is None or int(built_dim) == dim)):
        return
    shown = f" ({built_dim} dimensions)" if built_dim else ""
    raise CapacitiesError(
        f"L'index a été construit avec le modèle « {built} »{shown}, pas avec « {model} » "
        f"({dim or '?'}). Relancez `capacities ingest --rebuild` pour reconstruire l'index avec le nouveau modèle."
    )


def snapshot_digest(ids: object) -> str:
    """Names a set of chunk ids (what a published snapshot contains)."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


class DenseStore:
    """The Chroma collection of chunk embeddings (cosine space)."""

    def __init__(
        self, settings: Settings, model_name: str | None, dim: int | None, client: object | None = None
    ) -> None:
        """``model_name=None`` opens whatever is there (reading, or deleting documents only)."""
        self.client = client if client is not None else chroma_client(settings)
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
        else:
            check_same_model(meta.get("embed_model"), meta.get("embed_dim"), model_name, dim)

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
            # Chroma merges updated metadata into what it holds: vectors absent here are kept
            vectors = ("block_vectors", "page_vector")
            metas = [{k: v for k, v in c.metadata().items() if k not in vectors or v} for c in chunks]
            self.collection.update(ids=[c.id for c in chunks], metadatas=metas)

    def ids_for_source(self, source: str) -> set[str]:
        return set(self.collection.get(where={"source": source}, include=[])["ids"])

    def delete_ids(self, ids: set[str]) -> None:
        ids_list = sorted(ids)
        for i in range(0, len(ids_list), 1000):
            self.collection.delete(ids=ids_list[i : i + 1000])

    def vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of these chunks (those absent are left out)."""
        out: dict[str, list[float]] = {}
        for start in range(0, len(ids), 1000):
            got = self.collection.get(ids=ids[start : start + 1000], include=["embeddings"])
            out.update(zip(got["ids"], got["embeddings"], strict=True))
        return out

    def all_ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def get_chunks(self, ids: object) -> list[Chunk]:
        """The stored chunks with these ids (those absent are left out), in document order."""
        ids_list, out = sorted(ids), []
        for start in range(0, len(ids_list), 1000):
            got = self.collection.get(ids=ids_list[start : start + 1000], include=["documents", "metadatas"])
            rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            out += [Chunk(id=i, text=d, **m) for i, d, m in rows]
        return sorted(out, key=lambda c: (c.source, c.index))

    # --- whole rows, for a backup and its restore

    def export_rows(self, ids: list[str]) -> tuple[list[dict], list[list[float]]]:
        """The stored rows with these ids ({id, text, metadata}) and their vectors, in the order given
        (those absent are left out)."""
        rows, vectors = [], []
        for start in range(0, len(ids), 500):
            got = self.collection.get(ids=ids[start : start + 500], include=["documents", "metadatas", "embeddings"])
            by_id = {
                i: (d, m, v)
                for i, d, m, v in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True)
            }
            for i in ids[start : start + 500]:
                if i in by_id:
                    doc, meta, vec = by_id[i]
                    rows.append({"id": i, "text": doc, "metadata": meta})
                    vectors.append(vec)
        return rows, vectors

    def import_rows(self, rows: list[dict], vectors: object) -> None:
        """Store rows as ``export_rows`` gave them, with their vectors (a sequence of the same length)."""
        for start in range(0, len(rows), 500):
            part = rows[start : start + 500]
            self.collection.upsert(
                ids=[r["id"] for r in part],
                documents=[r["text"] for r in part],
                metadatas=[r["metadata"] for r in part],
                embeddings=[list(map(float, v)) for v in vectors[start : start + len(part)]],
            )

    def rename(self, name: str) -> None:
        """Give the collection another name (the name must be free)."""
        self.collection.modify(name=name)
        self.name = name

    # --- the published list of chunk ids (what readers on any machine may show)

    def publish(self, ids: object) -> str:
        """Record the published chunk ids in the sidecar collection; returns their digest.

        The parts are written under the new digest first, then the head record points to them, then
        the previous parts are deleted: a reader follows the head and never mixes two lists.
        """
        ids_sorted = sorted(ids)
        digest = snapshot_digest(ids_sorted)
        side = self.client.get_or_create_collection(self.name + PUBLISHED_SUFFIX, embedding_function=None)
        parts = [ids_sorted[i : i + _PART] for i in range(0, len(ids_sorted), _PART)] or [[]]
        keys = [f"{digest}-{k}" for k in range(len(parts))]
        side.upsert(ids=keys, documents=[json.dumps(p) for p in parts], embeddings=[[1.0]] * len(parts))
        head = {"digest": digest, "parts": len(parts), "count": len(ids_sorted), "time": time.time()}
        side.upsert(ids=["head"], documents=[json.dumps(head)], embeddings=[[1.0]])
        stale = [k for k in side.get(include=[])["ids"] if k != "head" and k not in keys]
        if stale:
            side.delete(ids=stale)
        return digest

    def published(self) -> tuple[str, list[str]] | None:
        """(digest, chunk ids) of the last published snapshot, or None if nothing was ever published."""
        return published_ids(self.client, self.name)

    def query(
        self, vector: list[float], k: int, sources: list[str] | None = None, published: int | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) pairs, best first. ``published``: how many chunks the readers'
        snapshot holds; the store's other (unpublished) chunks are asked for on top of ``k``, up to 20 k."""
        n = self.count()
        if n == 0:
            return []
        if published is not None:
            k += min(max(0, n - published), 20 * k)
        where = {"source": {"$in": list(sources)}} if sources else None
        res = self.collection.query(query_embeddings=[vector], n_results=min(k, n), where=where, include=["distances"])
        hits = [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]
        # equal cosines (two copies of a text) come in the order Chroma stored them: by id instead, so a
        # restored or rebuilt index answers in the same order
        return sorted(hits, key=lambda h: (-h[1], h[0]))


def _sidecar(client: object, name: str):  # noqa: ANN202
    try:
        return client.get_collection(name + PUBLISHED_SUFFIX)
    except Exception:  # noqa: BLE001 - chromadb raises NotFoundError or ValueError depending on the version
        return None


def published_head(client: object, name: str) -> dict | None:
    side = _sidecar(client, name)
    if side is None:
        return None
    got = side.get(ids=["head"], include=["documents"])
    return json.loads(got["documents"][0]) if got["ids"] else None


def published_ids(client: object, name: str) -> tuple[str, list[str]] | None:
    side = _sidecar(client, name)
    for _ in range(10):  # a publish may delete the parts we are about to read: follow the new head
        head = published_head(client, name) if side is not None else None
        if head is None:
            return None
        keys = [f"{head['digest']}-{k}" for k in range(head["parts"])]
        got = side.get(ids=keys, include=["documents"])
        if len(got["ids"]) == len(keys):
            by_key = dict(zip(got["ids"], got["documents"], strict=True))
            return head["digest"], [i for k in keys for i in json.loads(by_key[k])]
        time.sleep(0.1)
    raise CapacitiesError("La liste publiée des passages change sans cesse dans Chroma ; réessayez dans un instant.")


def stored_count(client: object, name: str) -> int:
    """How many chunks the collection ``name`` holds (0 when there is none)."""
    try:
        return client.get_collection(name).count()
    except Exception:  # noqa: BLE001 - chromadb raises NotFoundError or ValueError depending on the version
        return 0


def drop_collection(settings: Settings, client: object | None = None) -> None:
    client = client if client is not None else chroma_client(settings)
    for name in (settings.collection, settings.collection + PUBLISHED_SUFFIX):
        with contextlib.suppress(Exception):  # absent collection: nothing to drop
            client.delete_collection(name)


def _bm25(docs: list[list[str]]):  # noqa: ANN202 - bm25s.BM25
    import bm25s

    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index(docs, show_progress=False)
    return bm25


PREFIX_FOLDER = "prefix"  # the prefix field's BM25, inside the BM25 folder
LOAD_ATTEMPTS = 3  # readings of the BM25 folder before giving up on a folder that keeps changing
PREFIX_LETTERS = 6  # measured against 5 and 7 on the project's set (evals/reports/latest.md)


def _prefix_doc(c: Chunk) -> list[str]:
    return prefix_tokens(f"{c.section}\n{c.text}", PREFIX_LETTERS)


class LexicalIndex:
    """BM25 over the chunks, twice: on French stems (accent-folded, no stop words), and on the first
    letters of each word (``text.prefix_tokens``), where "écoconcevoir" meets "écoconception" and
    "dématérialiser" meets "dématérialisation"; plus the chunks themselves."""

    def __init__(self, chunks: list[Chunk], bm25: object | None, prefix: object | None = None) -> None:
        self.chunks = chunks
        self.by_id = {c.id: c for c in chunks}
        self.bm25 = bm25
        self.prefix = prefix if prefix is not None or not chunks else _bm25([_prefix_doc(c) for c in chunks])

    @classmethod
    def build(cls, chunks: list[Chunk]) -> LexicalIndex:
        chunks = sorted(chunks, key=lambda c: (c.source, c.index))
        if not chunks:
            return cls([], None)
        # title and section help a short chunk match the words of its heading
        return cls(chunks, _bm25([tokens(f"{c.section}\n{c.text}") for c in chunks]))

    @property
    def digest(self) -> str:
        return snapshot_digest(c.id for c in self.chunks)

    def save(self, folder: Path) -> None:
        """Write to a sibling folder, then swap it in (readers never see a half-written index)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.with_name(f"{folder.name}.new-{os.getpid()}")
        old = folder.with_name(f"{folder.name}.old-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir()
            if self.bm25 is not None:
                self.bm25.save(str(tmp), show_progress=False)
                self.prefix.save(str(tmp / PREFIX_FOLDER), show_progress=False)
            with (tmp / "chunks.json").open("w", encoding="utf-8") as f:
                json.dump([asdict(c) for c in self.chunks], f, ensure_ascii=False)
            (tmp / "snapshot.json").write_text(json.dumps({"digest": self.digest, "chunks": len(self.chunks)}))
            fsync_tree(tmp)  # on disk before the rename: a power cut never leaves an empty chunks.json
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # a full disk must not leave half a folder behind
            raise
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        faults.point("bm25")
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
        # left by a process killed mid-swap
        remove_stale(folder.parent, f"{folder.name}.*-*", lambda name: name.rsplit("-", 1)[-1])

    @staticmethod
    def _folder(folder: Path) -> Path | None:
        if (folder / "chunks.json").is_file():
            return folder
        # a swap interrupted between its two renames left the previous index aside
        olds = sorted(folder.parent.glob(f"{folder.name}.old*"), key=lambda p: p.stat().st_mtime, reverse=True)
        return next((o for o in olds if (o / "chunks.json").is_file()), None)

    @classmethod
    def local_digest(cls, folder: Path) -> str | None:
        """Digest of the snapshot saved in this folder (None if there is none)."""
        found = cls._folder(folder)
        if found is None:
            return None
        with contextlib.suppress(OSError, ValueError, KeyError):
            return json.loads((found / "snapshot.json").read_text())["digest"]
        stat = (found / "chunks.json").stat()  # saved before snapshot.json existed: cheap stand-in
        return f"{stat.st_mtime_ns}-{stat.st_size}"

    @classmethod
    def readable(cls, folder: Path) -> bool:
        """Whether the saved snapshot opens (a chunks.json left empty or cut short does not)."""
        found = cls._folder(folder)
        try:
            return found is not None and isinstance(json.loads((found / "chunks.json").read_bytes()), list)
        except (OSError, ValueError):
            return False

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The saved snapshot. Its files are read one by one: an ingestion that swaps the folder in the
        meantime leaves a mix of two snapshots, or no folder at all between its two renames; either is
        read again (``LOAD_ATTEMPTS``)."""
        for _ in range(LOAD_ATTEMPTS):
            before = cls.local_digest(folder)
            try:
                index = cls._load(folder)
            except FileNotFoundError:  # the folder moved aside while its files were read
                time.sleep(0.05)
                continue
            if cls.local_digest(folder) == before and index.consistent():
                return index
        raise CapacitiesError(
            f"L'index lexical ({folder}) change à chaque lecture ou ses fichiers ne concordent pas : relancez "
            "`capacities ingest`, qui le reconstruit."
        )

    def consistent(self) -> bool:
        """Whether both BM25 fields score exactly these chunks."""
        for index in (self.bm25, self.prefix):
            if index is not None:
                n, indices = index.scores["num_docs"], index.scores["indices"]
                if n != len(self.chunks) or int(indices.max(initial=-1)) >= n:
                    return False
        return True

    @classmethod
    def _load(cls, folder: Path) -> LexicalIndex:
        found = cls._folder(folder)
        if found is None:
            raise CapacitiesError(NO_INDEX)
        import bm25s

        from assistant.hostile import plain

        # titles and sections as plain words, even from an index built before they were cleaned at ingestion
        try:
            rows = json.loads((found / "chunks.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise  # moved aside by a swap since ``_folder`` saw it: ``load`` reads again
        except (OSError, ValueError):
            raise CapacitiesError(
                f"L'index lexical ({found}) est illisible (fichier vide ou abîmé) : relancez `capacities ingest`, "
                "qui le reconstruit."
            ) from None
        chunks = [Chunk(**(d | {"title": plain(d["title"]), "section": plain(d["section"])})) for d in rows]
        bm25 = bm25s.BM25.load(str(found)) if chunks else None
        # an index saved before the prefix field has it built now
        prefix = bm25s.BM25.load(str(found / PREFIX_FOLDER)) if chunks and (found / PREFIX_FOLDER).is_dir() else None
        return cls(chunks, bm25, prefix)

    def search(
        self, query: str, k: int, sources: list[str] | None = None, prefix: bool = False
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) pairs, best first; only chunks with a positive score. ``prefix``: on the
        words' first letters, without the question's framing ("comment", "notre commune"…)."""
        index = self.prefix if prefix else self.bm25
        if index is None:
            return []
        q = prefix_tokens(query, PREFIX_LETTERS, framing=False) if prefix else tokens(query)
        if not q:
            return []
        import numpy as np

        scores = index.get_scores(q)
        if sources:
            allowed = set(sources)
            mask = np.array([c.source in allowed for c in self.chunks])
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.chunks[i].id, float(scores[i])) for i in top if scores[i] > 0]


def open_lexical(settings: Settings, client: object | None = None) -> LexicalIndex:
    """The published snapshot for a reader: the local BM25 folder when it is current, else rebuilt.

    Embedded store: the local folder is the published snapshot (rebuilt from Chroma only if it is
    missing). Chroma server (``CAPACITIES_CHROMA_URL``): the published list in Chroma is the truth;
    the local folder is a cache, rebuilt from ``collection.get()`` when it is missing or stale, so
    every app process on every machine shows the same chunks.
    """
    folder = settings.bm25_dir
    has_local = LexicalIndex._folder(folder) is not None
    if has_local and not settings.chroma_url and client is None:
        return LexicalIndex.load(folder)
    if client is None:
        if not settings.chroma_url and not settings.chroma_dir.is_dir():
            raise CapacitiesError(NO_INDEX)
        client = chroma_client(settings)
    published = published_ids(client, settings.collection)
    if published is None:
        if has_local:
            return LexicalIndex.load(folder)
        raise CapacitiesError(NO_INDEX)
    digest, ids = published
    if has_local and LexicalIndex.local_digest(folder) == digest:
        return LexicalIndex.load(folder)
    store = DenseStore(settings, None, None, client=client)
    chunks = store.get_chunks(ids)
    if len(chunks) != len(ids):
        # an ingestion deleted them after publishing a newer list: read that one
        published = published_ids(client, settings.collection)
        chunks = store.get_chunks(published[1]) if published else []
    index = LexicalIndex.build(chunks)
    with contextlib.suppress(OSError):  # a read-only app folder: keep the index in memory only
        index.save(folder)
    return index


def published_stamp(settings: Settings, client: object | None = None) -> str | None:
    """A cheap value that changes when a new snapshot is published (for readers that reload)."""
    if settings.chroma_url or client is not None:
        head = published_head(client if client is not None else chroma_client(settings), settings.collection)
        return head["digest"] if head else None
    return LexicalIndex.local_digest(settings.bm25_dir)
