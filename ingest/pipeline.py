"""Ingestion: load -> clean -> screen -> split -> embed -> store, incrementally, with progress and a report.

A run (``run_ingest``) plans what changed since the manifest (``ingest/manifest.py``: every indexed
document by content hash, with its chunk ids), reads and splits those documents, then embeds and
upserts their new chunks into Chroma (deterministic ids: re-upserting creates no duplicates), each with the
vector of its whole page (embedded again only when a chunk of the page is new: ``page_vectors``),
rewriting the manifest atomically after each document, and last publishes the new snapshot
(``ingest/publish.py``). A run stopped at any point (Ctrl-C, kill -9, full disk) leaves the previous
snapshot in service and the manifest ``dirty``; the next run finishes the job. Fault points for
tests: ``assistant/faults.py``.
"""

from __future__ import annotations

import errno
import hashlib
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from assistant import faults
from assistant.blocks import decode as decode_blocks
from assistant.blocks import pack_vectors
from assistant.errors import CapacitiesError, storage_errno
from assistant.fetch import sha256_file
from assistant.files import read_json
from assistant.hostile import InjectionScreen, screen_document
from assistant.models import Embedder, load_embedder
from assistant.settings import Settings
from assistant.store import Chunk, DenseStore, LexicalIndex, drop_collection
from assistant.text import overlap_join
from assistant.types import Document
from ingest.corpus import curated_titles, discover, screen_files
from ingest.load import check_extractor, load_document
from ingest.manifest import DocumentEntry, Manifest, ingest_lock
from ingest.pdf import page_count
from ingest.publish import publish
from ingest.report import MIN_MEASURED, IngestReport, estimate_line, previous_rates
from ingest.split import split_document
from ingest.titles import readable_stem


def embed_title(chunk: Chunk) -> str:
    """What the embedder is told about where a passage comes from."""
    if chunk.section and chunk.section != chunk.title:
        return f"{chunk.title} — {chunk.section}"
    return chunk.title


def embed_chunks(embedder: Embedder, chunks: list[Chunk]) -> tuple[list[list[float]], list[Chunk]]:
    """Vectors of the chunks, and the chunks with the vectors of their blocks when the embedder can
    pool them from the same forward pass (``embed_blocks``: no second pass)."""
    texts, titles = [c.text for c in chunks], [embed_title(c) for c in chunks]
    if not hasattr(embedder, "embed_blocks"):
        return embedder.embed_documents(texts, titles), chunks
    spans = [[(b.start, b.end) for b in decode_blocks(c.text, c.blocks)] for c in chunks]
    vectors, per_block = embedder.embed_blocks(texts, titles, spans)
    return vectors, [replace(c, block_vectors=pack_vectors(v)) for c, v in zip(chunks, per_block, strict=True)]


PAGE_CHARS = 6_000  # a page is embedded whole, up to this many characters, for its page vector
PAGE_VECTORS = "page-vectors-1"  # in the fingerprint: an index built before them gets them at its next run


def page_texts(chunks: list[Chunk]) -> dict[int, tuple[str, str]]:
    """Each page's text (its chunks joined where they overlap) and what the embedder is told about it,
    by page number; a chunk that runs over a page break counts for the page it starts on."""
    out: dict[int, tuple[str, str]] = {}
    for c in sorted(chunks, key=lambda c: c.index):
        if c.page_start in out:
            text, title = out[c.page_start]
            out[c.page_start] = (overlap_join(text, c.text), title)
        else:
            out[c.page_start] = (c.text, embed_title(c))
    return out


def pages_to_embed(chunks: list[Chunk], fresh: set[str], stored: dict[str, str]) -> list[int]:
    """The pages whose vector is embedded (again): those with a chunk embedded now (``fresh``), or with a
    chunk stored without a page vector (``stored``: chunk id -> its stored page vector)."""
    return sorted({c.page_start for c in chunks if c.id in fresh or not stored.get(c.id)})


def page_vectors(embedder: Embedder, texts: dict[int, tuple[str, str]], pages: list[int]) -> dict[int, str]:
    """The vectors of these pages of a document (``texts``: from ``page_texts``), packed as stored with each of
    their chunks: the second stage of retrieval weighs a passage by its page's cosine with the question."""
    vectors = embedder.embed_documents([texts[p][0][:PAGE_CHARS] for p in pages], [texts[p][1] for p in pages])
    return {page: pack_vectors([v], dim=len(v)) for page, v in zip(pages, vectors, strict=True)}


def by_length(texts: dict[int, tuple[str, str]], pages: list[int]) -> list[int]:
    """Pages shortest first: a batch of pages of like lengths pads little (a document's pages run from a
    title line to 5,000 characters; a batch padded to its longest cost 1.7 times the same text in passages)."""
    return sorted(pages, key=lambda p: len(texts[p][0]))


def pipeline_fingerprint(settings: Settings) -> str:
    """Changes when the code or the settings that turn a file into chunks change."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in (
        "load.py",
        "pdf.py",
        "titles.py",
        "clean.py",
        "split.py",
        "types.py",
        "../assistant/blocks.py",
        "../assistant/hostile.py",
        "../assistant/injection_bank.py",
        "../assistant/injection_weights.json",
    ):
        h.update((here / name).read_bytes() if (here / name).is_file() else b"")
    h.update(f"{settings.chunk_size}/{settings.chunk_overlap}/{settings.chunk_within_pages}/{settings.ocr}".encode())
    h.update(settings.pdf_extractor.encode())
    h.update(f"{settings.screen_meaning}".encode())
    h.update(PAGE_VECTORS.encode())
    return h.hexdigest()[:16]


def _too_big(src: str, size: str, limit: int, setting: str) -> str:
    """The French line for a document over a size limit (its previous version, if any, stays indexed)."""
    size, shown = size.replace(",", "\u202f"), f"{limit:,}".replace(",", "\u202f")
    return (
        f"{src} : document trop volumineux ({size} ; limite {shown}, CAPACITIES_MAX_DOC_{setting}) ; "
        "découpez-le en plusieurs fichiers ou relevez la limite."
    )


ProgressCallback = Callable[[str, int, int, str], None]  # (stage, done, total, current document)


class _CallbackBar:
    """The slice of tqdm's interface the pipeline uses, reporting to a callback (e.g. a Streamlit bar)."""

    def __init__(self, total: int, desc: str, callback: ProgressCallback) -> None:
        self.total, self.desc, self.callback, self.n, self.label = total, desc, callback, 0, ""
        callback(desc, 0, total, "")

    def set_postfix_str(self, label: str) -> None:
        self.label = label
        self.callback(self.desc, self.n, self.total, label)

    def update(self, n: int = 1) -> None:
        self.n += n
        self.callback(self.desc, self.n, self.total, self.label)

    def close(self) -> None:
        pass


def _progress(iterable_total: int, desc: str, unit: str, enabled: bool | ProgressCallback):  # noqa: ANN202
    if callable(enabled):
        return _CallbackBar(iterable_total, desc, enabled)
    from tqdm import tqdm

    return tqdm(total=iterable_total, desc=desc, unit=unit, disable=not enabled, leave=False, dynamic_ncols=True)


def run_ingest(
    settings: Settings,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    embedder_factory: Callable[[Settings], Embedder] = load_embedder,
    client: object | None = None,
    progress: bool | ProgressCallback = True,
    loader: Callable[..., Document] | None = None,
) -> IngestReport:
    """Bring the indexes in line with the corpus folder and return what was done."""
    try:
        with ingest_lock(settings):
            return _Run(settings, embedder, embedder_factory, client, progress, loader).run(rebuild)
    except CapacitiesError:
        raise
    except Exception as e:
        code = storage_errno(e)
        if code is None:
            raise
        what = e if isinstance(e, OSError) else OSError(code, "erreur d'écriture de Chroma")
        raise CapacitiesError(storage_message(settings, what)) from None


def storage_message(settings: Settings, e: OSError) -> str:
    """What to tell the user when the data folder cannot be written (French, one line)."""
    where = settings.data_dir
    if e.errno in (errno.ENOSPC, errno.EDQUOT) or _nearly_full(where):
        what = f"disque plein dans {where}"
        todo = "libérez de la place"
    elif e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        what = f"dossier de données en lecture seule ou sans droit d'écriture ({where})"
        todo = "donnez les droits d'écriture ou choisissez un autre CAPACITIES_DATA_DIR"
    else:
        what = f"écriture impossible dans {where} ({e.strerror or type(e).__name__})"
        todo = "vérifiez le dossier"
    return (
        f"Ingestion arrêtée : {what}. L'index précédent reste en service, intact ; "
        f"{todo} puis relancez `capacities ingest`."
    )


def _nearly_full(folder: Path) -> bool:
    """Less than 16 MB left where the data folder is: Chroma's write errors then mean a full disk."""
    try:
        return shutil.disk_usage(folder if folder.exists() else folder.parent).free < 16 * 2**20
    except OSError:
        return False


class _Run:
    """One run: plan what changed, read it, embed and store it, publish (``run``)."""

    def __init__(self, settings, embedder, embedder_factory, client, progress, loader) -> None:  # noqa: ANN001
        self.settings, self.client, self.progress = settings, client, progress
        check_extractor(settings.pdf_extractor)  # before any work, not once per document
        self.loader = loader or partial(load_document, extractor=settings.pdf_extractor)
        self.factory, self.embedder = embedder_factory, embedder
        self.report = IngestReport(embed_rates=previous_rates(settings))
        self.assistant = None  # over the new snapshot, once published
        encode = self._screen_encode if settings.screen_meaning else None
        self.screen = InjectionScreen(encode, Path(settings.embed_model).name)

    def model(self) -> Embedder:
        """The model, loaded once: by the screening of sentences that may speak to an AI, or to embed."""
        if self.embedder is None:
            self.embedder = self.factory(self.settings)
            self.report.model_loaded = True
        return self.embedder

    def _screen_encode(self, texts: list[str]) -> list[list[float]] | None:
        encode = getattr(self.model(), "embed_for_screening", None)
        return encode(texts) if encode else None

    def run(self, rebuild: bool) -> IngestReport:
        s, report = self.settings, self.report
        self._read_parcours()  # a file made unusable is said even by a run with nothing else to do
        files, refused = screen_files(discover(s.corpus_dir), s.corpus_dir)
        report.failed.update(refused)
        if rebuild:
            drop_collection(s, self.client)
            s.manifest_path.unlink(missing_ok=True)
        manifest = Manifest.read(s.manifest_path)
        todo, removed = self._plan(files, manifest)
        # an empty or cut-short BM25 snapshot or glossary (a power cut, a full disk) is rebuilt, not trusted
        settled = (
            LexicalIndex.readable(s.bm25_dir) and read_json(s.glossary_path, None) is not None and not manifest.dirty
        )
        if not todo and not removed and settled:
            return report  # nothing to do: the model is not even loaded
        prepared = self._read(files, todo)
        if not prepared and not removed and settled:
            return report  # only failures: the index stays as it was, the model is not loaded
        store = self._embed_and_store(manifest, prepared, removed)
        if not report.interrupted:
            t0 = time.perf_counter()
            publish(s, store, manifest, report, self.screen)
            report.seconds["store"] += time.perf_counter() - t0
            self._answer_parcours()
            self._recheck_gaps()
        return report

    def _read_parcours(self) -> None:
        from assistant import parcours

        s = self.settings
        try:
            self.parcours, warning = parcours.load(s.parcours_path, s.roadmaps_path)
            self.report.parcours_warning = warning or ""
        except CapacitiesError as e:
            self.parcours, self.report.parcours_warning = None, str(e)

    def _answer_parcours(self) -> None:
        """The parcours's guiding questions answered on the snapshot just published (the page opens
        instantly); only the questions whose retrieved passages changed are answered again."""
        from assistant import parcours

        s, report, chosen = self.settings, self.report, self.parcours
        if chosen is None:
            return
        assistant = self._reader()
        previous = parcours.Roadmaps.read(s.roadmaps_path)
        roadmaps, report.parcours_changed = parcours.build(
            assistant, chosen, assistant.retriever.lexical.digest, previous
        )
        roadmaps.save(s.roadmaps_path)

    def _reader(self):  # noqa: ANN202
        """An assistant over the snapshot just published (for the parcours and the recorded gaps)."""
        from assistant.answer import Assistant
        from assistant.retrieve import Retriever

        if self.assistant is None:
            s = self.settings
            self.assistant = Assistant.load(s, Retriever(s, embedder=self.model(), client=self.client))
        return self.assistant

    def _recheck_gaps(self) -> None:
        """The loop closes: the questions recorded as uncovered are asked again on the new snapshot; those
        now answered are marked as covered by the deliverable that answers them."""
        from assistant.gaps import gap_store, recheck

        s, report = self.settings, self.report
        if not s.gaps_path.is_file() or not (report.added or report.updated):
            return
        store = gap_store(s)
        if store.gaps(open_only=True):
            report.gaps_covered = [src for _, src in recheck(store, self._reader(), report.added + report.updated)]

    def _plan(self, files: dict[str, Path], manifest: Manifest) -> tuple[list[str], list[str]]:
        """(documents to read, documents to remove). A document is read again when it is new, its file
        changed or its curated title did, or when the code or settings that turn a file into chunks
        changed (then only the chunks whose text changed are embedded again)."""
        docs = manifest.documents
        self.hashes = {src: sha256_file(p) for src, p in files.items()}
        self.fingerprint = pipeline_fingerprint(self.settings)
        code_changed = manifest.pipeline not in (None, self.fingerprint)
        self.titles = curated_titles(self.settings.corpus_dir)
        todo = [
            src
            for src in files
            if code_changed
            or src not in docs
            or docs[src].sha256 != self.hashes[src]
            or (src in self.titles and docs[src].title != self.titles[src])  # a title set or changed by hand
        ]
        self.report.unchanged = [src for src in files if src not in todo]
        return todo, [src for src in docs if src not in files]

    def _read(self, files: dict[str, Path], todo: list[str]) -> list[tuple[str, Document, list[Chunk]]]:
        """Read, clean, screen and split what changed (fast; OCR aside), before anything is embedded."""
        prepared = []
        bar = _progress(len(todo), "Lecture", "doc", self.progress)
        for src in todo:
            bar.set_postfix_str(src[-40:])
            got = self._read_one(src, files[src])
            if isinstance(got, str):
                self.report.failed[src] = got
            else:
                prepared.append((src, *got))
            bar.update()
        bar.close()
        return prepared

    def _read_one(self, src: str, path: Path) -> tuple[Document, list[Chunk]] | str:
        """The document and its chunks, or why it is refused (a French line; its previous version stays)."""
        s, t0 = self.settings, time.perf_counter()
        size = path.stat().st_size
        if path.suffix.lower() != ".pdf" and size > 4 * s.max_doc_chars:  # no need to read it to know
            return _too_big(src, f"{size:,} octets", s.max_doc_chars, "CHARS")
        if path.suffix.lower() == ".pdf" and (pages := page_count(path) or 0) > s.max_doc_pages:
            return _too_big(src, f"{pages:,} pages", s.max_doc_pages, "PAGES")
        if self.screen.hostile([readable_stem(Path(src).stem)])[0]:  # only for what is read: a no-op run loads no model
            return (
                f"{src} : nom de fichier contenant une consigne adressée à une IA ; renommez le fichier "
                "(son sujet, en quelques mots) puis relancez l'ingestion."
            )
        try:
            doc = self.loader(path, s.corpus_dir, ocr=s.ocr)
        except CapacitiesError as e:
            return str(e)
        except Exception as e:  # noqa: BLE001 - one bad file must not stop the others
            return f"{src} : lecture impossible ({type(e).__name__} : {e})."
        if doc.stats.get("chars", 0) > s.max_doc_chars:
            return _too_big(src, f"{int(doc.stats['chars']):,} caractères", s.max_doc_chars, "CHARS")
        if src in self.titles:
            doc.title = self.titles[src]
        doc = screen_document(doc, self.screen, readable_stem(Path(src).stem))
        t1 = time.perf_counter()
        chunks = split_document(doc, s.chunk_size, s.chunk_overlap, s.chunk_within_pages)
        self.report.seconds["load"] += t1 - t0
        self.report.seconds["split"] += time.perf_counter() - t1
        faults.point("parse")
        if not chunks:
            return f"{src} : aucun texte exploitable (document vide ou scanné sans OCR)."
        if len(chunks) > s.max_doc_passages:
            return _too_big(src, f"{len(chunks):,} passages", s.max_doc_passages, "PASSAGES")
        return doc, chunks

    def _open_store(self, manifest: Manifest, need_model: bool) -> DenseStore:
        """The dense store, with the model when it is loaded or needed (a new index is created with it;
        an existing one is opened without it)."""
        if need_model or self.embedder is not None:
            emb = self.model()
            manifest.check_model(emb.name)
            return DenseStore(self.settings, emb.name, emb.dim, client=self.client)
        return DenseStore(self.settings, None, None, client=self.client)

    def _embed_and_store(self, manifest: Manifest, prepared: list, removed: list[str]) -> DenseStore:
        """Embed and store document by document, committing the manifest after each. Chunks whose id
        (content + location) is already stored are not embedded again; a document's previous chunks
        stay until the new snapshot is published (readers use them)."""
        s, report, docs = self.settings, self.report, manifest.documents
        store = self._open_store(manifest, need_model=manifest.embed_model is None and bool(prepared))
        existing = {src: store.ids_for_source(src) for src, _, _ in prepared}
        to_embed = {src: [c for c in chunks if c.id not in existing[src]] for src, _, chunks in prepared}
        # a page keeps the vector stored with its chunks unless one of them is new (or it has none yet)
        stored = {
            src: {c.id: c.page_vector for c in store.get_chunks(existing[src] & {c.id for c in chunks})}
            for src, _, chunks in prepared
        }
        pages = {src: pages_to_embed(chunks, {c.id for c in to_embed[src]}, stored[src]) for src, _, chunks in prepared}
        if self.embedder is None and (any(to_embed.values()) or any(pages.values())):
            store = self._open_store(manifest, need_model=True)
        manifest.embed_model, manifest.pipeline = store.model_name, self.fingerprint
        manifest.dirty = True  # cleared once the BM25 index matches the dense store
        manifest.write(s.manifest_path)
        batch = max(1, s.embed_batch_size)
        self._announce(to_embed, store.model_name)
        bar = _progress(
            sum((len(c) + batch - 1) // batch for c in [*to_embed.values(), *pages.values()]),
            "Embeddings",
            "lot",
            self.progress,
        )
        try:
            for src, doc, chunks in prepared:
                bar.set_postfix_str(src[-40:])
                texts, vectors_of = page_texts(chunks), {}
                todo_pages = by_length(texts, pages[src])
                for i in range(0, len(todo_pages), batch):  # the pages' vectors first: chunks are stored with them
                    t0 = time.perf_counter()
                    vectors_of |= page_vectors(self.embedder, texts, todo_pages[i : i + batch])
                    report.seconds["embed"] += time.perf_counter() - t0
                    bar.update()
                    faults.point("embed")
                chunks = [
                    replace(c, page_vector=vectors_of.get(c.page_start) or stored[src].get(c.id, "")) for c in chunks
                ]
                fresh = {c.id for c in to_embed[src]}
                todo = [c for c in chunks if c.id in fresh]
                for i in range(0, len(todo), batch):
                    t0 = time.perf_counter()
                    vectors, part = embed_chunks(self.embedder, todo[i : i + batch])
                    t1 = time.perf_counter()
                    store.upsert(part, vectors)
                    report.seconds["embed"] += t1 - t0
                    report.seconds["store"] += time.perf_counter() - t1
                    bar.update()
                    faults.point("embed")
                t0 = time.perf_counter()
                store.update_metadata([c for c in chunks if c.id in existing[src]])  # same input, maybe new index
                report.seconds["store"] += time.perf_counter() - t0
                faults.point("store")
                (report.updated if src in docs else report.added).append(src)
                docs[src] = DocumentEntry(
                    # what was read, not what was hashed before: a file changed mid-read is read again next time
                    sha256=doc.sha256 or self.hashes[src],
                    title=doc.title,
                    pages=len(doc.pages),
                    chunks=len(chunks),
                    embedded=len(todo),
                    warnings=doc.warnings,
                    stats=doc.stats,
                    ids=sorted(c.id for c in chunks),
                    ingested_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                )
                report.documents[src] = {
                    "pages": len(doc.pages),
                    "chunks": len(chunks),
                    "warnings": doc.warnings,
                    "stats": doc.stats,
                }
                report.pages += len(doc.pages)
                report.chunks += len(chunks)
                report.embedded += len(todo)
                manifest.write(s.manifest_path)
            for src in removed:
                del docs[src]
                report.removed.append(src)
            if removed:
                manifest.write(s.manifest_path)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            bar.close()
        spent = report.seconds["embed"] + report.seconds["store"]
        if report.embedded >= MIN_MEASURED and spent > 0:  # the next long run's estimate
            report.embed_rates[store.model_name] = round(report.embedded / spent, 2)
        return store

    def _announce(self, to_embed: dict[str, list[Chunk]], model: str) -> None:
        """Before a long run: how many passages, and about how long on this machine."""
        n = sum(len(c) for c in to_embed.values())
        line = estimate_line(n, sum(bool(c) for c in to_embed.values()), self.report.embed_rates.get(model))
        if not line:
            return
        self.report.estimate = line
        if callable(self.progress):
            self.progress("Estimation", 0, n, line)
        elif self.progress:
            print(line, file=sys.stderr, flush=True)
