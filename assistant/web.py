"""What the Streamlit app needs that is not Streamlit: feedback storage, Markdown export, page images,
upload checks and the admin password. Kept here so it is tested without a browser."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.hostile import plain, strip_markup
from assistant.settings import Settings
from assistant.types import Answer, Passage

MAX_UPLOAD_MB = 50  # also .streamlit/config.toml server.maxUploadSize
UPLOAD_FOLDERS = {".pdf": "pdf", ".md": "markdown", ".markdown": "markdown", ".txt": "markdown"}

# --------------------------------------------------------------------------- rendering text safely

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~])")


def escape_markdown(text: str) -> str:
    """Text from a document shown as itself: no heading, link, emphasis or HTML taken from it."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def quote(text: str) -> str:
    """A passage as a Markdown blockquote, escaped line by line."""
    return "\n".join(f"> {escape_markdown(line)}" if line.strip() else ">" for line in text.splitlines())


_MD_IMAGE = re.compile(r"!\[((?:[^\[\]]|\[[^\]]*\])*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://)[^)]*\)")
_MD_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:.*$", re.MULTILINE)


def safe_markdown(text: str) -> str:
    """Model or document text rendered as Markdown (Streamlit never renders its raw HTML): no image
    at all (no request to an address chosen by a document or a model: every "![" is escaped, inline
    or by reference), no link reference definitions, and links other than http(s) become text."""
    text = _MD_REF_DEF.sub("", _MD_IMAGE.sub(r"\1", text)).replace("![", "!\\[")
    return _MD_LINK.sub(r"\1", text)


def citation_label(n: int, p: Passage) -> str:
    """A source card's label, as Markdown: the title is a document's words, shown as text (a title
    holding an image or a link fetches or links nothing)."""
    return escape_markdown(f"[{n}] {plain(p.title)} — {p.pages_label}")


# --------------------------------------------------------------------------- conversation export


def export_markdown(turns: list[dict]) -> str:
    """A conversation as Markdown: each question, its answer, then its sources with the quoted passages."""
    lines = ["# Conversation avec l'assistant CAPACities", "", f"Exportée le {time.strftime('%d/%m/%Y à %H:%M')}.", ""]
    for i, t in enumerate(turns, 1):
        answer: Answer = t["answer"]
        lines += [f"## Question {i}", "", escape_markdown(_entities(t["question"])), ""]
        lines += [f"### Réponse ({_mode_label(answer.mode)})", "", export_text(answer.text), ""]
        if answer.citations:
            lines += ["### Sources", ""]
            for n, p in enumerate(answer.citations, 1):
                label = escape_markdown(f"{plain(p.title)} ({p.source}), {p.pages_label}")
                lines += [f"**[{n}]** {label}", "", quote(p.text), ""]
    return "\n".join(lines).rstrip() + "\n"


def export_text(text: str) -> str:
    """An answer as Markdown for any viewer: no HTML (what is left of a tag is shown, not run), no
    image, no script address; its lists and citations stay."""
    return _entities(safe_markdown(strip_markup(text)))


def _entities(text: str) -> str:
    """ "<" and ">" as HTML entities: shown as such by any Markdown viewer, never read as a tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mode_label(mode: str) -> str:
    return "résumé pour élus" if mode == "elu" else "étapes pour agents"


# --------------------------------------------------------------------------- feedback (SQLite)


class FeedbackStore:
    """Thumbs up/down with an optional comment, kept with the question, the answer and the cited pages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, created TEXT NOT NULL,"
                " rating INTEGER NOT NULL, comment TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,"
                " mode TEXT NOT NULL, backend TEXT NOT NULL, abstained INTEGER NOT NULL, pages TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: Answer, rating: int, comment: str = "") -> int:
        if rating not in (0, 1):
            raise ValueError("rating: 0 (pouce en bas) ou 1 (pouce en haut)")
        pages = [{"source": p.source, "page": p.page_start} for p in answer.citations]
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, rating, comment, question, answer, mode, backend, abstained, pages)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.strftime("%Y-%m-%d %H:%M:%S"),
                    rating,
                    comment.strip()[:2000],
                    question,
                    answer.text,
                    answer.mode,
                    answer.backend,
                    int(answer.abstained),
                    json.dumps(pages, ensure_ascii=False),
                ),
            )
            return int(cur.lastrowid)

    def update(self, feedback_id: int, rating: int | None = None, comment: str | None = None) -> None:
        """Change the rating (the user clicked the other thumb) or add the comment of a stored feedback."""
        with self._connect() as db:
            if rating is not None:
                db.execute("UPDATE feedback SET rating = ? WHERE id = ?", (int(rating), feedback_id))
            if comment is not None:
                db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip()[:2000], feedback_id))

    def latest(self, rating: int | None = 0, limit: int = 50) -> list[dict]:
        """The latest feedback, thumbs-down only by default (what maintainers need to look at)."""
        where, args = ("WHERE rating = ?", (rating, limit)) if rating is not None else ("", (limit,))
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(f"SELECT * FROM feedback {where} ORDER BY id DESC LIMIT ?", args).fetchall()
        return [dict(r) | {"pages": json.loads(r["pages"])} for r in rows]

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            up, down = db.execute(
                "SELECT COALESCE(SUM(rating), 0), COALESCE(SUM(1 - rating), 0) FROM feedback"
            ).fetchone()
        return {"up": int(up), "down": int(down)}


def feedback_store(settings: Settings) -> FeedbackStore:
    return FeedbackStore(settings.data_dir / "feedback.sqlite")


# --------------------------------------------------------------------------- the cited page, as an image


def render_page(pdf_path: Path, page: int, passage: str, scale: float = 1.6):  # noqa: ANN201
    """The PDF page as a PIL image, with the passage's sentences found on it highlighted.

    Returns (image, found): ``found`` says whether any part of the passage was located on the page
    (the cleaned text may differ from the PDF's own, e.g. after OCR or re-joined words).
    """
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        if not 1 <= page <= len(pdf):
            raise CapacitiesError(f"La page {page} n'existe pas dans {pdf_path.name} ({len(pdf)} pages).")
        pg = pdf[page - 1]
        image = pg.render(scale=scale).to_pil().convert("RGB")
        height = pg.get_height()
        textpage = pg.get_textpage()
        boxes = []
        for fragment in _fragments(passage):
            searcher = textpage.search(fragment, match_case=False, match_whole_word=False)
            hit = searcher.get_next()
            if hit:
                start, count = hit
                for i in range(start, start + count):
                    left, bottom, right, top = textpage.get_charbox(i)
                    if right > left:
                        boxes.append((left * scale, (height - top) * scale, right * scale, (height - bottom) * scale))
            searcher.close()
        textpage.close()
    finally:
        pdf.close()
    if boxes:
        overlay = image.copy()
        draw = ImageDraw.Draw(overlay)
        for b in boxes:
            draw.rectangle(b, fill=(255, 221, 87))
        from PIL import Image

        image = Image.blend(image, overlay, 0.45)
    return image, bool(boxes)


def _fragments(passage: str, words: int = 6) -> list[str]:
    """Short runs of words from each sentence of the passage: short enough to survive differences
    between the cleaned text and the PDF's text layer (hyphenation, ligatures, line breaks)."""
    out = []
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n+", passage):
        toks = [t for t in sentence.split() if t.strip("•-–*")]
        starts = list(range(0, len(toks) - words + 1, words))
        if starts and starts[-1] + words < len(toks):
            starts.append(len(toks) - words)  # the sentence's last words too
        out += [" ".join(toks[i : i + words]) for i in starts]
    return out[:40]


# --------------------------------------------------------------------------- uploads


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
    if ext not in UPLOAD_FOLDERS:
        raise CapacitiesError(f"Type de fichier refusé : {ext}. Formats acceptés : PDF, Markdown (.md), texte (.txt).")
    if not data:
        raise CapacitiesError(f"Le fichier {clean} est vide.")
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise CapacitiesError(f"Le fichier {clean} dépasse la taille maximale de {MAX_UPLOAD_MB} Mo.")
    if ext == ".pdf":
        from ingest.load import check_pdf

        check_pdf(data, clean)  # what ingestion would refuse, refused before anything is written
    else:
        if b"\x00" in data[:8192]:
            raise CapacitiesError(f"{clean} n'est pas un fichier texte (il contient des octets binaires).")
    from ingest.pipeline import SKIP_PREFIXES, discover

    if clean.lower().startswith(SKIP_PREFIXES):
        raise CapacitiesError(
            f"Un fichier nommé {clean} ne serait pas indexé (les noms LICENCE*, README*, SOURCES* sont réservés "
            "aux fichiers d'attribution) : renommez-le."
        )
    source = f"{UPLOAD_FOLDERS[ext]}/{clean}"
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

    trash = settings.data_dir / "trash"
    trash.mkdir(parents=True, exist_ok=True)
    kept = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}-{path.name}"
    if copy:
        shutil.copy2(path, kept)
    else:
        shutil.move(path, kept)  # a rename on the same disk, a copy then delete otherwise
    return kept


# --------------------------------------------------------------------------- admin password


def admin_secret(secrets: object | None = None) -> str:
    """The maintainer's password: CAPACITIES_ADMIN_PASSWORD, else Streamlit secrets' admin_password. No default."""
    value = os.environ.get("CAPACITIES_ADMIN_PASSWORD", "")
    if not value and secrets is not None:
        try:
            value = str(secrets.get("admin_password", "") or "")  # type: ignore[attr-defined]
        except Exception:  # no secrets.toml: Streamlit raises when it is read
            value = ""
    return value


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison (of digests, so the length of the secret does not leak either)."""
    if not expected:
        return False
    a = hashlib.sha256(given.encode("utf-8")).digest()
    b = hashlib.sha256(expected.encode("utf-8")).digest()
    return hmac.compare_digest(a, b)


class Throttle:
    """Failed logins slow down, per client: after n failures the client's next attempt waits
    base * 2**(n-1) seconds (capped). The lock guards the counts only: nobody waits for another
    client's delay, so an attacker slows himself, not every maintainer."""

    def __init__(self, base: float = 1.0, cap: float = 30.0) -> None:
        import threading

        self.base, self.cap = base, cap
        self.failures: dict[str, int] = {}
        self.lock = threading.Lock()

    def delay(self, client: str = "") -> float:
        with self.lock:
            n = self.failures.get(client, 0)
        return 0.0 if n == 0 else min(self.cap, self.base * 2 ** (n - 1))

    def failed(self, client: str = "") -> None:
        with self.lock:
            self.failures[client] = self.failures.get(client, 0) + 1

    def succeeded(self, client: str = "") -> None:
        with self.lock:
            self.failures.pop(client, None)
