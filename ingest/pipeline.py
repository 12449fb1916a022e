"""load -> clean -> split -> embed -> store, incrementally, with progress and a report.

The manifest (``data/manifest.json``) lists every indexed document by content hash with its
chunk ids. A run goes: read and split what changed; embed and upsert new chunks into Chroma
(deterministic ids: re-upserting creates no duplicates), rewriting the manifest atomically after
each document; then **publish**: build the BM25 index from exactly the chunks the manifest names
and swap it in, record the same ids in Chroma (``DenseStore.publish``); only then delete chunks
nobody names any more. Readers only show chunks of the published snapshot, so during a run they
see the old index, after it the new one. A run stopped at any point (Ctrl-C, kill -9, full disk)
leaves the previous snapshot in service and the manifest ``dirty``; the next run finishes the job.
Fault points for tests: ``assistant/faults.py``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from assistant import faults
from assistant.blocks import decode as decode_blocks
from assistant.blocks import pack_vectors
from assistant.errors import CapacitiesError
from assistant.fetch import sha256_file
from assistant.hostile import InjectionScreen, screen_document
from assistant.models import Embedder, load_embedder
from assistant.settings import Settings
from assistant.store import Chunk, DenseStore, LexicalIndex, _alive, drop_collection, snapshot_digest
from ingest.glossary import build_glossary
from ingest.load import readable_stem
from ingest.split import split_document
from ingest.types import Document

SUFFIXES = {".pdf", ".md", ".markdown", ".txt"}
# attribution and licence files live beside the deliverables but are not deliverables
SKIP_PREFIXES = ("licen", "readme", "sources")
MANIFEST_VERSION = 1


@dataclass
class IngestReport:
    """What a run did; printed at the end and written to ``data/ingest_report.json``."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source -> French message
    documents: dict[str, dict] = field(default_factory=dict)  # source -> pages, chunks, warnings, stats
    pages: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks actually embedded (the others were already in the store)
    seconds: dict[str, float] = field(default_factory=lambda: {"load": 0.0, "split": 0.0, "embed": 0.0, "store": 0.0})
    interrupted: bool = False
    model_loaded: bool = False
    glossary_refused: list[str] = field(default_factory=list)  # acronyms whose definition speaks to an AI

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_json(self) -> dict:
        return asdict(self) | {"ok": self.ok}

    def summary(self) -> str:
        lines = [
            f"Documents : {len(self.added)} ajouté(s), {len(self.updated)} mis à jour, "
            f"{len(self.removed)} supprimé(s), {len(self.unchanged)} inchangé(s), {len(self.failed)} en échec.",
            f"Traités dans ce passage : {self.pages} page(s), {self.chunks} passage(s), "
            f"dont {self.embedded} calculé(s) par le modèle (les autres étaient déjà indexés).",
        ]
        for src, info in sorted(self.documents.items()):
            st = info.get("stats", {})
            extra = []
            if "long_token_ratio_before" in st:
                b, a = st["long_token_ratio_before"], st.get("long_token_ratio_after", st["long_token_ratio_before"])
                if b >= 0.02 or a >= 0.02:
                    extra.append(f"mots collés {b:.1%} → {a:.1%}")
            if st.get("pages_ocr"):
                extra.append(f"{int(st['pages_ocr'])} page(s) OCR")
            if st.get("pages_skipped"):
                extra.append(f"{int(st['pages_skipped'])} page(s) ignorée(s)")
            lines.append(
                f"  {src} : {info['pages']} p., {info['chunks']} passages" + (f" ({', '.join(extra)})" if extra else "")
            )
            lines += [f"    ⚠ {w}" for w in info.get("warnings", [])]
        if self.glossary_refused:
            refused = ", ".join(self.glossary_refused)
            lines.append(f"  ⚠ glossaire : sigle(s) écarté(s), leur définition s'adresse à une IA : {refused}.")
        for src, msg in sorted(self.failed.items()):
            lines.append(f"  ✗ {msg}" if msg.startswith(src) else f"  ✗ {src} : {msg}")
        if self.interrupted:
            lines.append(
                "Interrompu : l'index précédent reste utilisable ; relancez `capacities ingest` pour terminer."
            )
        t = self.seconds
        lines.append(
            f"Temps : lecture+nettoyage {t['load']:.1f} s, découpage {t['split']:.1f} s, "
            f"embeddings {t['embed']:.1f} s, stockage {t['store']:.1f} s."
        )
        return "\n".join(lines)


def discover(corpus_dir: Path) -> dict[str, Path]:
    """Deliverables under the corpus folder, by source path relative to it."""
    if not corpus_dir.is_dir():
        raise CapacitiesError(f"Dossier du corpus introuvable : {corpus_dir}. Indiquez-le avec --corpus.")
    out = {}
    for p in sorted(corpus_dir.rglob("*")):
        rel = p.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        if p.suffix.lower() in SUFFIXES and not p.name.lower().startswith(SKIP_PREFIXES):
            out[rel.as_posix()] = p
    return out


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable_name(name: str) -> str:
    """A file name fit for a terminal, a report or a web page: control characters shown as \\xNN."""
    return _UNSAFE_NAME.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


def screen_files(files: dict[str, Path], corpus_dir: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """(files to read, refused files -> French message): names with control characters, two names that
    differ only by their Unicode form (NFC and NFD "général.md"), links leaving the corpus. (A name
    that speaks to an AI is refused when the file is read: judging it may need the model.)"""
    root = corpus_dir.resolve()
    ok, refused = {}, {}
    by_form: dict[str, str] = {}
    # the composed (NFC) spelling first: it is the one kept when a twin exists
    for src, path in sorted(
        files.items(),
        key=lambda kv: (unicodedata.normalize("NFC", kv[0]), kv[0] != unicodedata.normalize("NFC", kv[0])),
    ):
        shown = printable_name(src)
        form = unicodedata.normalize("NFC", src)
        if shown != src:
            refused[shown] = (
                f"{shown} : nom de fichier avec des caractères de contrôle ou invisibles ; "
                "renommez le fichier (lettres, chiffres, tirets) puis relancez l'ingestion."
            )
        elif form in by_form:
            refused[src] = (
                f"{ascii(src)[1:-1]} : même nom que « {by_form[form]} », écrit avec d'autres caractères Unicode "
                "(accents composés ou décomposés, NFC/NFD) ; gardez un seul des deux fichiers."
            )
        elif not path.resolve().is_relative_to(root):
            refused[src] = (
                f"{src} : lien vers un fichier hors du dossier du corpus, ignoré ; copiez le document dans le corpus."
            )
        else:
            ok[src] = path
            by_form[form] = src
    return dict(sorted(ok.items())), refused


def curated_titles(corpus_dir: Path) -> dict[str, str]:
    """Titles set by hand in the ``title`` column of ``SOURCES.tsv`` (path relative to the corpus),
    for documents whose own title is missing or poor (a cover in capitals, a page heading)."""
    import csv

    path = corpus_dir / "SOURCES.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {
            r["file"]: " ".join(r["title"].split()) for r in rows if r.get("file") and (r.get("title") or "").strip()
        }


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


def pipeline_fingerprint(settings: Settings) -> str:
    """Changes when the code or the settings that turn a file into chunks change."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in (
        "load.py",
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
    h.update(f"{settings.screen_meaning}".encode())
    return h.hexdigest()[:16]


def _too_big(src: str, size: str, limit: int, setting: str) -> str:
    """The French line for a document over a size limit (its previous version, if any, stays indexed)."""
    size, shown = size.replace(",", "\u202f"), f"{limit:,}".replace(",", "\u202f")
    return (
        f"{src} : document trop volumineux ({size} ; limite {shown}, CAPACITIES_MAX_DOC_{setting}) ; "
        "découpez-le en plusieurs fichiers ou relevez la limite."
    )


def _readable_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


def _check_model(manifest: dict, model_name: str) -> None:
    if manifest.get("embed_model") not in (None, model_name):
        raise CapacitiesError(
            f"L'index a été construit avec « {manifest['embed_model']} » et le modèle configuré est "
            f"« {model_name} ». Relancez avec --rebuild."
        )


def read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == MANIFEST_VERSION:
            return data
    except (OSError, ValueError):
        pass
    return {"version": MANIFEST_VERSION, "embed_model": None, "documents": {}}


def write_json_atomic(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise
    faults.point("manifest")
    os.replace(tmp, path)
    for left in path.parent.glob(f".{path.name}.*.tmp"):  # left by a process killed before its rename
        pid = left.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _alive(int(pid)):
            left.unlink(missing_ok=True)


@contextlib.contextmanager
def ingest_lock(data_dir: Path) -> Iterator[None]:
    """One ingestion at a time per data folder; the lock goes away with the process."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".ingest.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CapacitiesError(
                "Une autre ingestion est en cours sur ce dossier de données ; attendez qu'elle finisse."
            ) from None
        yield


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
        with ingest_lock(settings.data_dir):
            return _run(settings, rebuild, embedder, embedder_factory, client, progress, loader)
    except OSError as e:
        raise CapacitiesError(storage_message(settings, e)) from None
    except CapacitiesError:
        raise
    except Exception as e:
        msg = str(e).lower()
        # Chroma reports SQLite's own words for a full disk or a read-only folder
        if any(
            k in msg for k in ("disk is full", "no space left", "os error 28", "readonly", "read-only", "read only")
        ):
            code = errno.ENOSPC if any(k in msg for k in ("full", "space", "error 28")) else errno.EROFS
            raise CapacitiesError(storage_message(settings, OSError(code, msg))) from None
        if "compaction" in msg:  # Chroma's own words when its log could not be written (a full disk, mostly)
            raise CapacitiesError(
                storage_message(settings, OSError(errno.EIO, "erreur d'écriture de Chroma"))
            ) from None
        raise


def storage_message(settings: Settings, e: OSError) -> str:
    """What to tell the user when the data folder cannot be written (French, one line)."""
    where = settings.data_dir
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
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


def _run(settings, rebuild, embedder, embedder_factory, client, progress, loader) -> IngestReport:  # noqa: ANN001, PLR0912, PLR0915
    if loader is None:
        from ingest.load import load_document

        loader = load_document
    report = IngestReport()
    # the model, loaded once: by the screening of sentences that may speak to an AI, or to embed
    loaded: list[Embedder] = [embedder] if embedder is not None else []

    def model() -> Embedder:
        if not loaded:
            loaded.append(embedder_factory(settings))
            report.model_loaded = True
        return loaded[0]

    def screen_encode(texts: list[str]) -> list[list[float]] | None:
        encode = getattr(model(), "embed_for_screening", None)
        return encode(texts) if encode else None

    screen = InjectionScreen(screen_encode if settings.screen_meaning else None, Path(settings.embed_model).name)
    files, refused = screen_files(discover(settings.corpus_dir), settings.corpus_dir)
    report.failed.update(refused)
    if rebuild:
        drop_collection(settings, client)
        settings.manifest_path.unlink(missing_ok=True)
    manifest = read_manifest(settings.manifest_path)
    docs_state: dict = manifest["documents"]
    hashes = {src: sha256_file(p) for src, p in files.items()}
    fingerprint = pipeline_fingerprint(settings)
    # the code or settings that turn a file into chunks changed: every document is read again
    # (only chunks whose text changed are embedded again)
    code_changed = manifest.get("pipeline") not in (None, fingerprint)
    titles = curated_titles(settings.corpus_dir)
    todo = [
        s
        for s in files
        if code_changed
        or docs_state.get(s, {}).get("sha256") != hashes[s]
        or (s in titles and docs_state.get(s, {}).get("title") != titles[s])  # a title set or changed by hand
    ]
    removed = [s for s in docs_state if s not in files]
    report.unchanged = [s for s in files if s not in todo]
    # an empty or cut-short BM25 snapshot or glossary (a power cut, a full disk) is rebuilt, not trusted
    bm25_ok = LexicalIndex.readable(settings.bm25_dir) and _readable_json(settings.data_dir / "glossary.json")
    if not todo and not removed and bm25_ok and not manifest.get("dirty"):
        return report  # nothing to do: the model is not even loaded

    # 1. read, clean, screen and split what changed (fast; OCR aside), before embedding
    prepared: list[tuple[str, Document, list[Chunk]]] = []
    bar = _progress(len(todo), "Lecture", "doc", progress)
    for src in todo:
        bar.set_postfix_str(src[-40:])
        t0 = time.perf_counter()
        size = files[src].stat().st_size
        if files[src].suffix.lower() != ".pdf" and size > 4 * settings.max_doc_chars:  # no need to read it to know
            report.failed[src] = _too_big(src, f"{size:,} octets", settings.max_doc_chars, "CHARS")
            bar.update()
            continue
        if screen.hostile([readable_stem(Path(src).stem)])[0]:  # only for what is read: a no-op run loads no model
            report.failed[src] = (
                f"{src} : nom de fichier contenant une consigne adressée à une IA ; renommez le fichier "
                "(son sujet, en quelques mots) puis relancez l'ingestion."
            )
            bar.update()
            continue
        try:
            doc = loader(files[src], settings.corpus_dir, ocr=settings.ocr)
        except CapacitiesError as e:
            report.failed[src] = str(e)
            bar.update()
            continue
        except Exception as e:  # noqa: BLE001 - one bad file must not stop the others
            report.failed[src] = f"{src} : lecture impossible ({type(e).__name__} : {e})."
            bar.update()
            continue
        if doc.stats.get("chars", 0) > settings.max_doc_chars:
            report.failed[src] = _too_big(
                src, f"{int(doc.stats['chars']):,} caractères", settings.max_doc_chars, "CHARS"
            )
            bar.update()
            continue
        if src in titles:
            doc.title = titles[src]
        doc = screen_document(doc, screen, readable_stem(Path(src).stem))
        t1 = time.perf_counter()
        chunks = split_document(doc, settings.chunk_size, settings.chunk_overlap, settings.chunk_within_pages)
        report.seconds["load"] += t1 - t0
        report.seconds["split"] += time.perf_counter() - t1
        if not chunks:
            report.failed[src] = f"{src} : aucun texte exploitable (document vide ou scanné sans OCR)."
        elif len(chunks) > settings.max_doc_passages:
            report.failed[src] = _too_big(src, f"{len(chunks):,} passages", settings.max_doc_passages, "PASSAGES")
        else:
            prepared.append((src, doc, chunks))
        bar.update()
        faults.point("parse")
    bar.close()

    if not prepared and not removed and bm25_ok and not manifest.get("dirty"):
        return report  # only failures: the index stays as it was, the model is not loaded

    # 2. embed and store document by document, committing the manifest after each.
    # Chunks whose id (content + location) is already stored are not embedded again.
    def with_model(emb: Embedder | None) -> tuple[Embedder, DenseStore]:
        emb = emb or model()
        _check_model(manifest, emb.name)
        return emb, DenseStore(settings, emb.name, emb.dim, client=client)

    # a new index needs the model to be created; an existing one is opened without it
    embedder = embedder or (loaded[0] if loaded else None)
    if embedder is not None or (manifest.get("embed_model") is None and prepared):
        embedder, store = with_model(embedder)
    else:
        store = DenseStore(settings, None, None, client=client)
    existing = {src: store.ids_for_source(src) for src, _, _ in prepared}
    to_embed = {src: [c for c in chunks if c.id not in existing[src]] for src, _, chunks in prepared}
    if embedder is None and any(to_embed.values()):
        embedder, store = with_model(None)
    manifest["embed_model"] = store.model_name
    manifest["pipeline"] = fingerprint
    manifest["dirty"] = True  # cleared once the BM25 index matches the dense store
    write_json_atomic(settings.manifest_path, manifest)
    batch = max(1, settings.embed_batch_size)
    total_batches = sum((len(c) + batch - 1) // batch for c in to_embed.values())
    bar = _progress(total_batches, "Embeddings", "lot", progress)
    try:
        for src, doc, chunks in prepared:
            bar.set_postfix_str(src[-40:])
            todo_chunks = to_embed[src]
            for i in range(0, len(todo_chunks), batch):
                part = todo_chunks[i : i + batch]
                t0 = time.perf_counter()
                vectors, part = embed_chunks(embedder, part)
                t1 = time.perf_counter()
                store.upsert(part, vectors)
                report.seconds["embed"] += t1 - t0
                report.seconds["store"] += time.perf_counter() - t1
                bar.update()
                faults.point("embed")
            t0 = time.perf_counter()
            store.update_metadata([c for c in chunks if c.id in existing[src]])  # same input, maybe new index
            # the document's previous chunks stay until the new snapshot is published (readers use them)
            report.seconds["store"] += time.perf_counter() - t0
            faults.point("store")
            (report.updated if src in docs_state else report.added).append(src)
            docs_state[src] = {
                # what was read, not what was hashed before: a file changed mid-read is read again next time
                "sha256": doc.sha256 or hashes[src],
                "title": doc.title,
                "pages": len(doc.pages),
                "chunks": len(chunks),
                "embedded": len(todo_chunks),
                "warnings": doc.warnings,
                "stats": doc.stats,
                "ids": sorted(c.id for c in chunks),
                "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            report.documents[src] = {k: docs_state[src][k] for k in ("pages", "chunks", "warnings", "stats")}
            report.pages += len(doc.pages)
            report.chunks += len(chunks)
            report.embedded += len(todo_chunks)
            write_json_atomic(settings.manifest_path, manifest)
        for src in removed:
            del docs_state[src]
            report.removed.append(src)
        if removed:
            write_json_atomic(settings.manifest_path, manifest)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        bar.close()
    if report.interrupted:
        return report

    t0 = time.perf_counter()
    publish(settings, store, manifest, report, screen)
    report.seconds["store"] += time.perf_counter() - t0
    return report


def publish(
    settings: Settings, store: DenseStore, manifest: dict, report: IngestReport, screen: InjectionScreen | None = None
) -> None:
    """3. Publish exactly the chunks the manifest names, then delete the chunks nobody names.

    BM25 snapshot swapped in with a rename, the same ids recorded in Chroma, the glossary; only
    then the garbage collection of old chunks, and the manifest marked clean last.
    """
    docs_state: dict = manifest["documents"]
    wanted: dict[str, set[str]] = {}
    for src, d in docs_state.items():
        ids = d.get("ids")  # manifests written before ids were recorded: ask the store
        wanted[src] = set(ids) if ids is not None else store.ids_for_source(src)
    chunks = store.get_chunks(set().union(*wanted.values()) if wanted else set())
    got = {c.id for c in chunks}
    lost = sorted(src for src, ids in wanted.items() if not ids <= got)
    for src in lost:  # the store was wiped or restored from elsewhere: read the document again next time
        del docs_state[src]
        report.failed[src] = (
            f"{src} : passages absents de Chroma (index effacé ou restauré ?) ; relancez `capacities ingest`."
        )
    chunks = [c for c in chunks if c.source not in lost]
    published = {c.id for c in chunks}
    LexicalIndex.build(chunks).save(settings.bm25_dir)
    faults.point("publish")
    store.publish(published)
    glossary = build_glossary(c.text for c in chunks)
    # an élu answer spells out these acronyms: a definition that speaks to an AI never gets there
    flags = (screen or InjectionScreen()).hostile(list(glossary.values()))
    report.glossary_refused = sorted(a for a, f in zip(glossary, flags, strict=True) if f)
    write_json_atomic(
        settings.data_dir / "glossary.json", {a: g for a, g in glossary.items() if a not in report.glossary_refused}
    )
    faults.point("gc")
    stray = store.all_ids() - published  # old versions, removed documents, runs stopped midway
    store.delete_ids(stray)
    manifest["dirty"] = False
    manifest["published"] = snapshot_digest(published)
    write_json_atomic(settings.manifest_path, manifest)


def save_report(settings: Settings, report: IngestReport) -> Path:
    path = settings.data_dir / "ingest_report.json"
    write_json_atomic(path, report.to_json())
    return path
