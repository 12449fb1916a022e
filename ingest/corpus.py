"""What counts as a deliverable, and the corpus folder's life: discovery of the files (formats,
reserved names), screening of their names, the titles curated in ``SOURCES.tsv``, and the uploads,
replacements and deletions made from the app (a removed or replaced file goes to the trash, never
destroyed)."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.settings import Settings
from assistant.text import CONTROL

# the formats read, and the corpus folder an upload of each goes to
FOLDERS = {".pdf": "pdf", ".md": "markdown", ".markdown": "markdown", ".txt": "markdown"}
SUFFIXES = tuple(FOLDERS)
PDF_SUFFIXES = (".pdf",)
MARKDOWN_SUFFIXES = (".md", ".markdown")
# attribution and licence files live beside the deliverables but are not deliverables
SKIP_PREFIXES = ("licen", "readme", "sources")
MAX_UPLOAD_MB = 50  # also .streamlit/config.toml server.maxUploadSize


def is_deliverable(name: str) -> bool:
    """Whether a file of this name is read as a deliverable (by its format, and not a reserved name)."""
    return name.lower().endswith(SUFFIXES) and not name.lower().startswith(SKIP_PREFIXES)


def discover(corpus_dir: Path) -> dict[str, Path]:
    """Deliverables under the corpus folder, by source path relative to it."""
    if not corpus_dir.is_dir():
        raise CapacitiesError(f"Dossier du corpus introuvable : {corpus_dir}. Indiquez-le avec --corpus.")
    out = {}
    for p in sorted(corpus_dir.rglob("*")):
        rel = p.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        if is_deliverable(p.name):
            out[rel.as_posix()] = p
    return out


def printable_name(name: str) -> str:
    """A file name fit for a terminal, a report or a web page: control characters shown as \\xNN."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


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


@dataclass(frozen=True)
class Upload:
    """A checked upload: where it goes in the corpus, and whether it replaces a document."""

    target: Path
    source: str  # path relative to the corpus folder
    replaces: bool


def sanitize_filename(name: str) -> str:
    """A plain file name: no folder, no control character, no leading dot, only letters, digits and ._- ."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").split("/")[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._-")[:120]
    ext = re.sub(r"[^\w]", "", ext).lower()
    if not stem or not ext:
        raise CapacitiesError(f"Nom de fichier invalide : « {name[:80]} ». Utilisez un nom comme guide_donnees.pdf.")
    return f"{stem}.{ext}"


def check_upload(name: str, data: bytes, corpus_dir: Path, replace: bool = False) -> Upload:
    """Check an uploaded deliverable before anything is written: name, type, size and content."""
    clean = sanitize_filename(name)
    ext = "." + clean.rsplit(".", 1)[1]
    if ext not in FOLDERS:
        raise CapacitiesError(f"Type de fichier refusé : {ext}. Formats acceptés : PDF, Markdown (.md), texte (.txt).")
    if not data:
        raise CapacitiesError(f"Le fichier {clean} est vide.")
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise CapacitiesError(f"Le fichier {clean} dépasse la taille maximale de {MAX_UPLOAD_MB} Mo.")
    if ext in PDF_SUFFIXES:
        from ingest.pdf import check_pdf

        check_pdf(data, clean)  # what ingestion would refuse, refused before anything is written
    else:
        if b"\x00" in data[:8192]:
            raise CapacitiesError(f"{clean} n'est pas un fichier texte (il contient des octets binaires).")
    if not is_deliverable(clean):
        raise CapacitiesError(
            f"Un fichier nommé {clean} ne serait pas indexé (les noms LICENCE*, README*, SOURCES* sont réservés "
            "aux fichiers d'attribution) : renommez-le."
        )
    source = f"{FOLDERS[ext]}/{clean}"
    target = (corpus_dir / source).resolve()
    if not target.is_relative_to(corpus_dir.resolve()):
        raise CapacitiesError("Chemin de destination refusé.")
    existing = discover(corpus_dir) if corpus_dir.is_dir() else {}
    elsewhere = [src for src in existing if Path(src).name == clean and src != source]
    if elsewhere:
        raise CapacitiesError(
            f"Un document du même nom existe déjà : {elsewhere[0]}. Retirez-le d'abord (onglet « Documents ») "
            "ou renommez le fichier."
        )
    exists = target.exists()
    if exists and not replace:
        raise CapacitiesError(
            f"Un document {source} existe déjà. Cochez « Remplacer le document existant » pour le remplacer."
        )
    return Upload(target, source, exists)


def save_upload(upload: Upload, data: bytes, settings: Settings) -> Path | None:
    """Write the file into the corpus atomically; a replaced file is kept in data/trash. Returns the kept copy.
    The new file is fully written before the old one moves: a full disk leaves the corpus as it was."""
    upload.target.parent.mkdir(parents=True, exist_ok=True)
    tmp = upload.target.with_name(f".{upload.target.name}.part")
    try:
        tmp.write_bytes(data)
        kept = _to_trash(upload.target, settings, copy=True) if upload.replaces else None
        os.replace(tmp, upload.target)
    finally:
        tmp.unlink(missing_ok=True)
    return kept


def delete_document(source: str, settings: Settings) -> Path:
    """Take a deliverable out of the corpus (the next ingestion removes it from both indexes).
    The file is moved to data/trash, not destroyed."""
    target = (settings.corpus_dir / source).resolve()
    if not target.is_relative_to(settings.corpus_dir.resolve()) or not target.is_file():
        raise CapacitiesError(f"Document introuvable dans le corpus : {source}.")
    return _to_trash(target, settings)


def _to_trash(path: Path, settings: Settings, copy: bool = False) -> Path:
    """Keep a copy of ``path`` in data/trash (moved, or copied when ``copy``); names never collide."""
    import shutil
    import uuid

    trash = settings.trash_dir
    trash.mkdir(parents=True, exist_ok=True)
    kept = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}-{path.name}"
    if copy:
        shutil.copy2(path, kept)
    else:
        shutil.move(path, kept)  # a rename on the same disk, a copy then delete otherwise
    return kept
