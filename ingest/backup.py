"""Back up and restore the index (and the corpus) as one archive, through Chroma's own API.

    capacities backup sauvegarde.tar.gz [--no-corpus]
    capacities restore sauvegarde.tar.gz [--force]

(or ``scripts/backup.sh`` / ``scripts/restore.sh``). Works the same with the embedded store and with
a Chroma server (``CAPACITIES_CHROMA_URL``): the archive holds the published chunks with their
texts, metadata and vectors (``chunks.jsonl`` + ``embeddings.npy``), the collection's settings, the
manifest and the glossary, and by default the corpus files. The BM25 index is not saved: it is
rebuilt from the chunks on restore. Both commands take the ingestion lock, so no ingestion runs
meanwhile; a backup is refused while the last ingestion is unfinished (its chunks are not published).
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.files import write_json_atomic
from assistant.settings import Settings
from assistant.store import DenseStore, LexicalIndex, chroma_client, drop_collection, stored_count
from ingest.corpus import discover
from ingest.manifest import Manifest, ingest_lock

FORMAT = 1
MANIFEST, GLOSSARY = "manifest.json", "glossary.json"  # the archive's copies of the data folder's files


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(time.time())
    tar.addfile(info, io.BytesIO(data))


def create(settings: Settings, archive: Path, corpus: bool = True) -> dict:
    """Write the archive; returns what it holds."""
    import numpy as np

    with ingest_lock(settings):
        manifest = Manifest.read(settings.manifest_path)
        if manifest.dirty:
            raise CapacitiesError(
                "La dernière ingestion n'est pas allée au bout : relancez `capacities ingest` avant de sauvegarder."
            )
        if not manifest.documents:
            raise CapacitiesError("Index vide : rien à sauvegarder (lancez d'abord `capacities ingest`).")
        store = DenseStore(settings, None, None)
        published = store.published()
        ids = sorted(published[1]) if published else sorted(i for d in manifest.documents.values() for i in d.ids or [])
        rows, vectors = store.export_rows(ids)
        if len(rows) != len(ids):
            raise CapacitiesError("Des passages publiés manquent dans Chroma : relancez `capacities ingest`.")
        buf = io.BytesIO()
        empty = np.zeros((0, store.dim or 0), dtype=np.float32)
        np.save(buf, np.asarray(vectors, dtype=np.float32) if vectors else empty)
        info = {
            "format": FORMAT,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "collection": settings.collection,
            "embed_model": store.model_name,
            "embed_dim": store.dim,
            "chunks": len(rows),
            "documents": len(manifest.documents),
        }
        tmp = archive.with_name(archive.name + ".part")
        try:
            archive.parent.mkdir(parents=True, exist_ok=True)
            _write(tar_path=tmp, settings=settings, info=info, manifest=manifest, rows=rows, buf=buf, corpus=corpus)
            tmp.replace(archive)
        except OSError as e:
            tmp.unlink(missing_ok=True)  # never a .part left behind
            raise CapacitiesError(
                f"Sauvegarde impossible dans {archive} : {_why(e)} ; l'index n'est pas modifié."
            ) from None
        return info


def _why(e: OSError) -> str:
    import errno

    if e.errno == errno.ENOSPC:
        return "disque plein, libérez de la place ou choisissez un autre emplacement"
    if isinstance(e, PermissionError) or e.errno in (errno.EACCES, errno.EROFS):
        return "écriture refusée (droits ou disque en lecture seule), choisissez un autre emplacement"
    return e.strerror or type(e).__name__


def _write(
    tar_path: Path, settings: Settings, info: dict, manifest: Manifest, rows: list, buf: io.BytesIO, corpus: bool
) -> None:
    """The archive's members, in the order a reader of the archive finds them useful."""
    with tarfile.open(tar_path, "w:gz") as tar:
        _add_bytes(tar, "backup.json", json.dumps(info, ensure_ascii=False, indent=1).encode())
        _add_bytes(tar, MANIFEST, json.dumps(manifest.to_json(), ensure_ascii=False).encode())
        glossary = settings.glossary_path
        _add_bytes(tar, GLOSSARY, glossary.read_bytes() if glossary.is_file() else b"{}")
        _add_bytes(tar, "chunks.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode())
        _add_bytes(tar, "embeddings.npy", buf.getvalue())
        if corpus and settings.corpus_dir.is_dir():
            for src, path in discover(settings.corpus_dir).items():
                tar.add(path, arcname=f"corpus/{src}")


def _read_archive(archive: Path, root: Path, settings: Settings) -> tuple[dict, list[dict], object]:
    """Extract and check the whole archive before anything is touched: its description, its chunks and
    vectors (as many as it says, of the dimension it says), the configured model. French errors."""
    import numpy as np

    broken = f"Sauvegarde illisible ({archive.name}) : archive tronquée ou abîmée ; l'index actuel n'a pas été touché."
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(root, filter="data")  # refuses absolute paths, "..", links out of the folder
    except tarfile.FilterError as e:
        raise CapacitiesError(
            f"Sauvegarde refusée ({archive.name}) : elle contient un chemin hors de son dossier ou un lien "
            f"({e.tarinfo.name}) ; l'index actuel n'a pas été touché."
        ) from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise CapacitiesError(broken) from e
    try:
        info = json.loads((root / "backup.json").read_text(encoding="utf-8"))
        if info.get("format") != FORMAT:
            raise CapacitiesError(f"Format de sauvegarde inconnu ({info.get('format')}) : {archive}.")
        lines = (root / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line]
        vectors = np.load(root / "embeddings.npy", allow_pickle=False)
        for name in (MANIFEST, GLOSSARY):
            json.loads((root / name).read_text(encoding="utf-8"))
    except CapacitiesError:
        raise
    except (OSError, ValueError, KeyError) as e:
        raise CapacitiesError(broken) from e
    if not all(isinstance(r, dict) and {"id", "text", "metadata"} <= r.keys() for r in rows):
        raise CapacitiesError(broken)
    if vectors.ndim != 2 or len(rows) != vectors.shape[0] or len(rows) != info.get("chunks"):
        raise CapacitiesError(
            f"Sauvegarde incohérente ({archive.name}) : {len(rows)} passages, {vectors.shape[0]} vecteurs, "
            f"{info.get('chunks')} annoncés ; l'index actuel n'a pas été touché."
        )
    if vectors.shape[1] != info.get("embed_dim"):
        raise CapacitiesError(
            f"Sauvegarde incohérente ({archive.name}) : vecteurs de dimension {vectors.shape[1]}, "
            f"{info.get('embed_dim')} annoncée ; l'index actuel n'a pas été touché."
        )
    model = str(info.get("embed_model") or "").split("+")[0]
    if model != Path(settings.embed_model).name:
        raise CapacitiesError(
            f"La sauvegarde a été faite avec le modèle « {model} » et le modèle configuré est "
            f"« {Path(settings.embed_model).name} » (CAPACITIES_EMBED_MODEL) : les recherches échoueraient ; "
            "l'index actuel n'a pas été touché."
        )
    return info, rows, vectors


def restore(settings: Settings, archive: Path, force: bool = False) -> dict:
    """Put the archive's index back (and the corpus files that are missing); returns its description.

    The whole archive is checked first; the vectors go into a collection beside the current one, which
    is replaced only once the new one holds every passage. A bad archive leaves the index as it was."""
    import dataclasses

    if not archive.is_file():
        raise CapacitiesError(f"Sauvegarde introuvable : {archive}.")
    with ingest_lock(settings), tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        info, rows, vectors = _read_archive(archive, root, settings)
        client = chroma_client(settings)
        existing = stored_count(client, settings.collection)
        if existing and not force:
            raise CapacitiesError(
                f"La collection « {settings.collection} » contient déjà {existing} passages ; "
                "ajoutez --force pour la remplacer par la sauvegarde."
            )
        beside = dataclasses.replace(settings, collection=f"{settings.collection}-restore")
        drop_collection(beside, client)
        staged = DenseStore(beside, info["embed_model"], info["embed_dim"], client=client)
        staged.import_rows(rows, vectors)
        if staged.count() != len(rows):
            drop_collection(beside, client)
            raise CapacitiesError(
                "La restauration n'a pas pu écrire tous les passages ; l'index actuel n'a pas été touché."
            )
        # complete: the switch (the old collection goes, the new one takes its name)
        drop_collection(settings, client)
        staged.rename(settings.collection)
        store = DenseStore(settings, info["embed_model"], info["embed_dim"], client=client)
        store.publish(r["id"] for r in rows)
        chunks = store.get_chunks(r["id"] for r in rows)
        LexicalIndex.build(chunks).save(settings.bm25_dir)
        write_json_atomic(settings.glossary_path, json.loads((root / GLOSSARY).read_text()))
        write_json_atomic(settings.manifest_path, json.loads((root / MANIFEST).read_text()))
        restored = 0
        corpus = root / "corpus"
        if corpus.is_dir():
            for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
                target = settings.corpus_dir / path.relative_to(corpus)
                if not target.exists():  # never overwrite a document already there
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(path.read_bytes())
                    restored += 1
        return info | {"corpus_files_restored": restored}
