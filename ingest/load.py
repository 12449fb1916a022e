"""Load PDF, Markdown and text files into cleaned Documents of 1-based pages, with French warnings and stats."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import get_args

from assistant.errors import CapacitiesError
from assistant.types import Document, Page
from ingest.clean import clean_document_pages, long_token_ratio
from ingest.corpus import MARKDOWN_SUFFIXES, PDF_SUFFIXES, SUFFIXES
from ingest.pdf import DEFAULT_EXTRACTOR, Extractor, load_pdf, no_text_message
from ingest.titles import first_heading, readable_stem, shorten


def check_extractor(extractor: str) -> None:
    """A French line (CapacitiesError) for a PDF reader other than pypdf or pdfium."""
    if extractor not in get_args(Extractor):
        raise CapacitiesError(
            f"Extracteur PDF inconnu « {extractor} » (CAPACITIES_PDF_EXTRACTOR) ; valeurs possibles : "
            f"{', '.join(get_args(Extractor))}."
        )


def load_document(path: Path, root: Path, ocr: bool = True, *, extractor: Extractor = DEFAULT_EXTRACTOR) -> Document:
    """Read one file into a cleaned Document; raise CapacitiesError (one French line) if it cannot be used.

    ``source`` is ``path`` relative to ``root`` with "/" separators. ``ocr``: allow Tesseract for pages whose
    text layer is missing or unreadable (slow: seconds per page). ``extractor``: which library reads PDF
    text first ("pypdf" or "pdfium"); the other one re-reads only the pages that come out glued or broken.
    """
    check_extractor(extractor)
    path = Path(path)
    source = _source_name(path, Path(root))
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        accepted = ", ".join(SUFFIXES)
        raise CapacitiesError(
            f"{source} : format non pris en charge ({suffix or 'sans extension'}) ; formats acceptés : {accepted}."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = "permission refusée" if isinstance(exc, PermissionError) else (exc.strerror or type(exc).__name__)
        raise CapacitiesError(f"{source} : fichier illisible ({reason}) ; vérifiez le fichier et ses droits.") from exc
    if not data:
        raise CapacitiesError(f"{source} : fichier vide (0 octet) ; remplacez-le par le document complet.")

    if suffix in PDF_SUFFIXES:
        doc = load_pdf(data, source, path.stem, ocr, extractor)
    else:
        doc = _load_text(data, source, path.stem, markdown=suffix in MARKDOWN_SUFFIXES)
    if not doc.pages:
        raise CapacitiesError(no_text_message(source))
    doc.stats["chars"] = float(sum(len(p.text) for p in doc.pages))
    doc.sha256 = hashlib.sha256(data).hexdigest()
    return doc


# --- Markdown and plain text ---------------------------------------------------------------------

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_YAML_TITLE_RE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.M)  # top level only: nested keys are indented


def _decode(data: bytes, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append("encodage non UTF-8 : fichier lu en Windows-1252, vérifiez les accents.")
        return data.decode("cp1252", errors="replace")


_MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_WEB_ADDRESS = re.compile(r"(?:https?|mailto):", re.I)  # any other scheme (javascript:, data:…) is dropped


def _load_text(data: bytes, source: str, stem: str, markdown: bool) -> Document:
    warnings: list[str] = []
    text = _decode(data, warnings)
    title = None
    if markdown:
        front = _FRONT_MATTER_RE.match(text)
        if front:
            match = _YAML_TITLE_RE.search(front.group(1))
            if match:
                title = match.group(1).strip().strip("\"'").strip() or None
            text = text[front.end() :]
        # images say nothing to a reader of the answer; a link keeps its words and its address
        text = _MD_IMAGE_RE.sub("", text)
        text = _MD_LINK_RE.sub(lambda m: f"{m[1]} ({m[2]})" if _WEB_ADDRESS.match(m[2]) else m[1], text)
    stats: dict[str, float] = {"pages": 1.0, "long_token_ratio_before": long_token_ratio(text)}
    # Markdown and text files carry their own line structure: clean characters and spacing, never reflow.
    pages = clean_document_pages([Page(source, 1, text)], reflow=False, stats=stats)
    pages = [p for p in pages if p.text.strip()]
    stats["long_token_ratio_after"] = long_token_ratio("\n".join(p.text for p in pages))
    stats["pages_text"] = float(len(pages))
    if title is None:
        title = first_heading(pages) if markdown else None
    if title is None and pages:
        first = next((line.strip() for line in pages[0].text.splitlines() if line.strip()), "")
        title = shorten(first.lstrip("#").strip()) or None
    return Document(source=source, title=title or readable_stem(stem), pages=pages, warnings=warnings, stats=stats)


def _source_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name  # outside the corpus folder: the file name is still a useful citation
