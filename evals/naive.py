"""The naive baseline: the pipeline a user would write from the LangChain RAG tutorial.

- PyPDFLoader-style loading: one document per PDF page, ``PdfReader(...).pages[i].extract_text()``
  with pypdf, no cleaning at all (no ligature, hyphenation, header or glued-word repair, no OCR);
  Markdown and text files are read whole (TextLoader-style, one "page");
- ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` from langchain_text_splitters;
- a Chroma collection (langchain-chroma) and ``similarity_search(query, k)``;
- the same embedder as the assistant (EmbeddingGemma loaded offline by ``assistant.models``, with its
  query and document prompts), wrapped as a LangChain ``Embeddings``; no titles, no BM25, no fusion,
  no diversity.

The collection is built once and cached in ``data/naive/<key>``, where the key hashes the corpus
files, the embedder's name and this module's version: a changed corpus gets a new collection.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

NAIVE_VERSION = "1"
CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200


@dataclass(frozen=True)
class NaiveHit:
    """What the naive retriever returns, with the fields the metrics read (pages from 1)."""

    source: str
    page_start: int
    page_end: int
    text: str


def corpus_files(corpus_dir: Path) -> dict[str, Path]:
    from ingest.pipeline import discover

    return discover(corpus_dir)


def corpus_key(corpus_dir: Path, embedder_name: str) -> str:
    h = hashlib.sha256(f"naive-{NAIVE_VERSION}|{embedder_name}|{CHUNK_SIZE}|{CHUNK_OVERLAP}".encode())
    for rel, path in sorted(corpus_files(corpus_dir).items()):
        h.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def load_pages(corpus_dir: Path) -> list:
    """LangChain ``Document`` objects, one per PDF page (metadata ``page`` from 0, as PyPDFLoader)."""
    from langchain_core.documents import Document
    from pypdf import PdfReader

    docs = []
    for rel, path in corpus_files(corpus_dir).items():
        if path.suffix.lower() == ".pdf":
            try:
                reader = PdfReader(str(path))
                for i, page in enumerate(reader.pages):
                    docs.append(Document(page_content=page.extract_text() or "", metadata={"source": rel, "page": i}))
            except Exception as e:  # noqa: BLE001 - a tutorial pipeline just skips what it cannot read
                print(f"naive: {rel} illisible ({e})", file=sys.stderr)
        else:
            docs.append(Document(page_content=path.read_text(encoding="utf-8"), metadata={"source": rel, "page": 0}))
    return docs


def split_pages(docs: list) -> list:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return [d for d in splitter.split_documents(docs) if d.page_content.strip()]


def lc_embeddings(embedder):  # noqa: ANN001, ANN201
    """The project's embedder seen as a LangChain ``Embeddings`` (document prompt, query prompt)."""
    from langchain_core.embeddings import Embeddings

    class _Adapter(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(list(texts))

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text)

    return _Adapter()


class NaiveRAG:
    """Chroma similarity search over naive chunks; ``search`` returns ``NaiveHit`` objects."""

    def __init__(self, store) -> None:  # noqa: ANN001
        self.store = store

    def search(self, query: str, k: int = 10) -> list[NaiveHit]:
        out = []
        for d in self.store.similarity_search(query, k=k):
            page = int(d.metadata.get("page", 0)) + 1
            out.append(NaiveHit(d.metadata["source"], page, page, d.page_content))
        return out


def _chroma(folder: Path | None, name: str, embeddings, client=None):  # noqa: ANN001, ANN202
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    if client is not None:
        return Chroma(collection_name=name, embedding_function=embeddings, client=client)
    return Chroma(
        collection_name=name,
        embedding_function=embeddings,
        persist_directory=str(folder),
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True, persist_directory=str(folder)),
    )


def build_naive(
    corpus_dir: Path, naive_dir: Path | None, embedder, client=None, batch: int = 64, progress: bool = True
) -> tuple[NaiveRAG, dict]:  # noqa: ANN001
    """The naive index of ``corpus_dir``: reused from ``naive_dir/<key>`` when already built.

    With ``client`` (e.g. an ephemeral Chroma client in tests) nothing is written to disk.
    """
    key = corpus_key(corpus_dir, embedder.name)
    name = f"naive-{key}"
    emb = lc_embeddings(embedder)
    info = {"key": key, "built": False}
    folder = Path(naive_dir) / key if naive_dir is not None and client is None else None
    if folder is not None and (folder / "DONE").is_file():
        store = _chroma(folder, name, emb)
        info |= {"chunks": len(store.get(include=[])["ids"]), "folder": str(folder)}
        return NaiveRAG(store), info
    t0 = time.perf_counter()
    pages = load_pages(corpus_dir)
    chunks = split_pages(pages)
    tmp = None
    todo = chunks
    if folder is not None:
        # an interrupted build left its folder: resume it (the chunks already stored are skipped)
        partial = (
            sorted(folder.parent.glob(f"{key}.tmp-*"), key=lambda p: p.stat().st_mtime)
            if folder.parent.is_dir()
            else []
        )
        tmp = partial[-1] if partial else folder.with_name(f"{key}.tmp-{uuid.uuid4().hex[:6]}")
        store = _chroma(tmp, name, emb)
        got = store.get(include=["documents", "metadatas"])
        stored = Counter((m["source"], m["page"], d) for d, m in zip(got["documents"], got["metadatas"], strict=True))
        todo = []
        for c in chunks:
            k = (c.metadata["source"], c.metadata["page"], c.page_content)
            if stored[k]:
                stored[k] -= 1
            else:
                todo.append(c)
    else:
        store = _chroma(None, f"{name}-{uuid.uuid4().hex[:6]}", emb, client=client)
    for i in range(0, len(todo), batch):
        store.add_documents(todo[i : i + batch])
        if progress:
            done = min(i + batch, len(todo))
            rate = done / (time.perf_counter() - t0)
            print(
                f"\r  index naïf : {len(chunks) - len(todo) + done}/{len(chunks)} passages ({rate:.1f}/s)",
                end="",
                file=sys.stderr,
                flush=True,
            )
    if progress:
        print(file=sys.stderr)
    info |= {"built": True, "pages": len(pages), "chunks": len(chunks), "build_s": round(time.perf_counter() - t0, 1)}
    if tmp is not None:
        (tmp / "DONE").write_text(f"{len(chunks)}\n", encoding="utf-8")
        del store  # release the client before moving its folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(folder)
        store = _chroma(folder, name, emb)
        info["folder"] = str(folder)
    return NaiveRAG(store), info


if __name__ == "__main__":  # build (or check) the cached naive index of the project's corpus
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.models import load_embedder
    from assistant.settings import Settings

    s = Settings.from_env()
    rag, meta = build_naive(s.corpus_dir, s.naive_dir, load_embedder(s))
    print(meta)
    for h in rag.search("Comment publier des données sur data.gouv.fr ?", k=3):
        print(h.source, h.page_start, h.text[:80].replace("\n", " "))
