"""PDF deliverables: refusing what is unsafe or unusable (no header, decompression bomb, damaged or
encrypted file), reading each page's text with pypdf or PDFium (the other one re-reads the pages
that come out glued or broken), OCR with Tesseract for pages without a usable text layer, and the
title in the PDF's metadata."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

from assistant.errors import CapacitiesError
from assistant.types import Document, Page
from ingest.clean import clean_document_pages, is_garbage, long_token_ratio
from ingest.titles import first_heading, meaningful_title, readable_stem, shorten

# pypdf logs recoverable oddities ("Ignoring wrong pointing object", missing fontTools) as warnings; they
# say nothing a user can act on and would drown the ingest output.
logging.getLogger("pypdf").setLevel(logging.ERROR)

Extractor = Literal["pypdf", "pdfium"]
# Which library reads PDF text first; the other one is asked only for pages that come out broken.
# Measured on the corpus (540 pages, 2 cores): pypdf ~25 s, PDFium ~1.5 s, and PDFium's words are as good
# or better on every document. Retrieval over a PDFium-built index (2026-12-03, evals.retrieval_probe): page
# hit@1 0.725 on the project's set, as with pypdf, but 0.708 against 0.729 on the four held-out sets, so pypdf
# stays the default; ``CAPACITIES_PDF_EXTRACTOR=pdfium`` chooses PDFium.
DEFAULT_EXTRACTOR: Extractor = "pypdf"
GLUED_PAGE_RATIO = 0.0  # a page with any 20+-letter token gets a second extraction (the less glued one is kept)
FRAGMENTED_MIN_LINES = 20  # pypdf sometimes emits one word per line; judged on pages with this many lines...
FRAGMENTED_WORDS_PER_LINE = 2.0  # ...whose lines hold fewer words than this on average
MARGIN_BAND = 0.10  # top and bottom share of the page height where running headers/footers live
OCR_DPI = 200  # enough for body text; higher costs time without better French recognition here
OCR_MAX_PIXELS = 3500  # cap on the rendered image's longer side (posters, A3 pages)
OCR_TIMEOUT_S = 180  # per page
OCR_MIN_LETTERS = 30  # an OCR result with fewer letters is noise from pictures, not text
OCR_INSTALL_HINT = "installez tesseract-ocr et tesseract-ocr-fra"
BLANK_SCALE = 0.1  # a page rendered this small (7 dpi) is enough to tell a blank page, which is not OCRed
BLANK_MIN_GREY = 245  # ...when its darkest pixel is lighter than this
MAX_INFLATED_STREAM = 200 * 1024 * 1024  # bytes one compressed PDF stream may inflate to (decompression bombs)


def check_pdf(data: bytes, source: str) -> None:
    """Refuse up front what ingestion would refuse in a PDF (no header, decompression bomb, damaged or
    encrypted file, no page): e.g. before an uploaded deliverable is written into the corpus."""
    _check_container(data, source)
    reader = _open_pypdf(data, source)
    if (len(reader.pages) if reader is not None else len(_open_pdfium(data, source, required=True))) == 0:
        raise CapacitiesError(f"{source} : le PDF ne contient aucune page.")


def _check_container(data: bytes, source: str) -> None:
    # The PDF spec lets a few bytes of junk precede the header; readers accept it within the first 1024.
    if b"%PDF-" not in data[:1024]:
        raise CapacitiesError(
            f"{source} : ce n'est pas un PDF (en-tête %PDF- absent) ; vérifiez le fichier ou son extension."
        )
    _refuse_decompression_bomb(data, source)


def load_pdf(data: bytes, source: str, stem: str, ocr: bool, extractor: str) -> Document:
    _check_container(data, source)
    warnings: list[str] = []
    both = _Extractors(data, source, extractor, warnings)
    pdf, page_count = both.pdf, both.page_count
    primary, secondary = (both.pypdf, both.pdfium) if extractor == "pypdf" else (both.pdfium, both.pypdf)
    stats: dict[str, float] = {"pages": float(page_count)}
    raw: list[str] = []  # the primary extractor's text, for the "before" measure
    texts: list[str] = []  # the text kept for each page
    margins: list[str] = []  # PDFium's text in each page's header/footer bands
    reextracted = 0
    try:
        for i in range(page_count):
            first = primary(i)
            text = first or ""
            # Ask the other extractor only when the text looks glued, one word per line, or failed.
            if first is None or _needs_second_look(first):
                second = secondary(i)
                if second is not None and (first is None or _badness(second) < _badness(first)):
                    text = second
                    reextracted += first is not None
            raw.append(first if first is not None else text)
            texts.append(text)
            margins.append(_pdfium_margin_text(pdf, i) if pdf is not None else "")
        texts, unreadable = _replace_unreadable(texts, pdf, ocr, warnings, stats)
        meta_title = _metadata_title(pdf, both.reader, stem)
    finally:
        if pdf is not None:
            pdf.close()
    stats["pages_reextracted"] = float(reextracted)
    stats["long_token_ratio_before"] = long_token_ratio("\n".join(raw))
    pages = clean_document_pages(
        [Page(source, i + 1, t) for i, t in enumerate(texts)], margins=margins, reflow=True, stats=stats
    )
    pages = [p for p in pages if p.text.strip()]
    if not pages:
        raise CapacitiesError(no_text_message(source, unreadable))
    stats["long_token_ratio_after"] = long_token_ratio("\n".join(p.text for p in pages))
    stats["pages_text"] = float(len(pages))
    title = meta_title or first_heading(pages) or readable_stem(stem)
    return Document(source=source, title=title, pages=pages, warnings=warnings, stats=stats)


_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")


def page_count(path: os.PathLike) -> int | None:
    """How many pages the PDF says it has, without reading them (None when it cannot be opened: the
    reading then says why)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception:  # noqa: BLE001 - damaged, encrypted: judged when the file is read
        return None
    try:
        return len(pdf)
    finally:
        pdf.close()


def _refuse_decompression_bomb(data: bytes, source: str) -> None:
    """Inflate every zlib stream of the file in bounded steps, keeping nothing; refuse one that grows too big.

    pypdf caps what it inflates, PDFium does not: a few MB of Flate data can expand to gigabytes of
    memory. Streams that are not zlib data (JPEG images, damaged streams) stop at their first bytes.
    """
    step = 1 << 20
    for m in _STREAM_START.finditer(data):
        inflater = zlib.decompressobj()
        total, pos = 0, m.end()
        try:
            while not inflater.eof and pos < len(data):
                out = inflater.decompress(data[pos : pos + 65536], step)
                pos += 65536
                total += len(out)
                while inflater.unconsumed_tail and not inflater.eof and total <= MAX_INFLATED_STREAM:
                    total += len(inflater.decompress(inflater.unconsumed_tail, step))
                if total > MAX_INFLATED_STREAM:
                    raise CapacitiesError(
                        f"{source} : PDF refusé, un de ses flux compressés dépasse "
                        f"{MAX_INFLATED_STREAM // 2**20} Mo une fois décompressé (bombe de décompression ?) ; "
                        "exportez à nouveau le document."
                    )
        except zlib.error:
            continue  # not zlib data, or damaged: the PDF readers will judge


class _Extractors:
    """pypdf and PDFium on the same bytes; the one that is only a second opinion opens on first use."""

    def __init__(self, data: bytes, source: str, extractor: str, warnings: list[str]) -> None:
        self.data, self.source, self.warnings = data, source, warnings
        self.reader: Any = None
        self._pypdf_opened = extractor == "pypdf"
        if extractor == "pypdf":
            self.reader = _open_pypdf(data, source)
            self.pdf: Any = _open_pdfium(data, source, required=self.reader is None)
        else:
            self.pdf = _open_pdfium(data, source, required=True)
        self.page_count = len(self.reader.pages) if self.reader is not None else len(self.pdf)

    def pypdf(self, index: int) -> str | None:
        if not self._pypdf_opened:  # pypdf is ~20x slower: only pay for it when PDFium's text is broken
            self._pypdf_opened = True
            try:
                self.reader = _open_pypdf(self.data, self.source)
            except CapacitiesError:
                self.reader = None
        return _pypdf_page_text(self.reader, index, self.warnings) if self.reader is not None else None

    def pdfium(self, index: int) -> str | None:
        return _pdfium_page_text(self.pdf, index, self.warnings) if self.pdf is not None else None


def _encrypted_message(source: str) -> str:
    return (
        f"{source} : PDF chiffré (protégé par mot de passe), impossible à lire ; fournissez une version non protégée."
    )


def _corrupt_message(source: str) -> str:
    return f"{source} : PDF tronqué ou corrompu, impossible à lire ; téléchargez-le ou exportez-le à nouveau."


def _open_pypdf(data: bytes, source: str) -> Any:
    """A pypdf reader, or None when only the optional AES dependency is missing (PDFium can still read it)."""
    import pypdf
    from pypdf.errors import DependencyError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise CapacitiesError(_encrypted_message(source))
        len(reader.pages)  # walks the page tree: a damaged one fails here, not halfway through
        return reader
    except CapacitiesError:
        raise
    except DependencyError:
        return None
    except Exception as exc:  # pypdf raises many types on damaged files; all mean "corrupt" to the user
        raise CapacitiesError(_corrupt_message(source)) from exc


def _open_pdfium(data: bytes, source: str, required: bool) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if not required:
            return None  # pypdf could read it: go on without PDFium's help
        encrypted = "password" in str(exc).lower()
        raise CapacitiesError(_encrypted_message(source) if encrypted else _corrupt_message(source)) from exc


def _metadata_title(pdf: Any, reader: Any, stem: str) -> str | None:
    """The /Title entry if a person wrote it: not empty, not a tool's default, not just the file name."""
    title = None
    try:
        if pdf is not None:
            title = pdf.get_metadata_dict().get("Title")
        elif reader is not None and reader.metadata:
            title = reader.metadata.title
    except Exception:  # a damaged /Info dictionary must not fail an otherwise readable PDF
        return None
    if not isinstance(title, str) or not meaningful_title(title):
        return None
    if re.sub(r"[\W_]+", "", title).lower() == re.sub(r"[\W_]+", "", stem).lower():
        return None  # exporters (Pillow, some scanners) copy the file name into /Title
    return shorten(" ".join(title.split()))


def _pypdf_page_text(reader: Any, index: int, warnings: list[str]) -> str | None:
    try:
        return reader.pages[index].extract_text() or ""
    except Exception as exc:  # one broken page (bad font, bad stream) must not lose the others
        warnings.append(f"page {index + 1} : extraction pypdf en échec ({type(exc).__name__}).")
        return None


def _pdfium_page_text(pdf: Any, index: int, warnings: list[str]) -> str | None:
    try:
        page = pdf[index]
        try:
            return page.get_textpage().get_text_range()
        finally:
            page.close()
    except Exception as exc:  # same as pypdf: lose the page, not the document
        warnings.append(f"page {index + 1} : extraction PDFium en échec ({type(exc).__name__}).")
        return None


def _pdfium_margin_text(pdf: Any, index: int) -> str:
    """Text in the top and bottom bands of the page, where running headers and footers sit."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        top = textpage.get_text_bounded(0, height * (1 - MARGIN_BAND), width, height)
        bottom = textpage.get_text_bounded(0, 0, width, height * MARGIN_BAND)
        return f"{top}\n{bottom}"
    finally:
        page.close()


def _words_per_line(text: str) -> float:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < FRAGMENTED_MIN_LINES:
        return float("inf")
    return sum(len(line.split()) for line in lines) / len(lines)


def _needs_second_look(text: str) -> bool:
    return (
        not text.strip()
        or long_token_ratio(text) > GLUED_PAGE_RATIO
        or _words_per_line(text) < FRAGMENTED_WORDS_PER_LINE
    )


def _badness(text: str) -> tuple[bool, bool, float]:
    """Order extractions: empty is worst, then one word per line, then the share of glued tokens."""
    return (not text.strip(), _words_per_line(text) < FRAGMENTED_WORDS_PER_LINE, long_token_ratio(text))


# --- Unreadable pages: OCR or skip ---------------------------------------------------------------


def _replace_unreadable(
    texts: list[str], pdf: Any, ocr: bool, warnings: list[str], stats: dict[str, float]
) -> tuple[list[str], str | None]:
    """OCR the pages whose text layer is garbage (or every page of a scan); blank them when OCR cannot help.

    Returns the texts and, if pages were blanked, why (French, for the error when nothing is left).
    """
    scanned = all(not t.strip() for t in texts)
    todo = [i for i, t in enumerate(texts) if scanned or is_garbage(t)]
    stats["pages_garbage"] = float(0 if scanned else len(todo))
    stats["pages_ocr"] = 0.0
    stats["pages_skipped"] = 0.0
    if not todo:
        return texts, None
    out = list(texts)
    problem = "aucune couche texte (PDF scanné ?)" if scanned else "couche texte illisible"
    tesseract = shutil.which("tesseract")
    if not ocr:
        unavailable = "OCR désactivé"
    elif tesseract is None:
        unavailable = f"OCR indisponible ({OCR_INSTALL_HINT})"
    elif pdf is None:
        unavailable = "rendu de la page impossible (PDFium n'a pas pu ouvrir le fichier)"
    else:
        unavailable = None
    if unavailable is not None:
        for i in todo:
            out[i] = ""
            if not scanned:  # a scan gets one line for the whole file, not one per page
                warnings.append(f"page {i + 1} : {problem}, {unavailable} ; page ignorée.")
        if scanned:
            warnings.append(f"{problem}, {unavailable} ; document ignoré.")
        stats["pages_skipped"] = float(len(todo))
        return out, f"{problem}, {unavailable}"

    reason = None
    blank = [i for i in todo if _is_blank(pdf, i)]  # nothing to read: no need to run Tesseract
    for i in blank:
        out[i] = ""
    stats["pages_blank"] = float(len(blank))
    stats["pages_skipped"] = float(len(blank))
    if blank:
        reason = f"{len(blank)} page(s) blanche(s)"
        if len(blank) < len(todo):
            warnings.append(f"{len(blank)} page(s) blanche(s) ignorée(s).")
    todo = [i for i in todo if i not in set(blank)]
    for i, (text, error) in (_ocr_pages(pdf, todo, tesseract) if todo else {}).items():
        if error is None and sum(1 for c in text if c.isalpha()) >= OCR_MIN_LETTERS and not is_garbage(text):
            out[i] = text
            stats["pages_ocr"] += 1
            continue
        reason = f"{problem}, OCR en échec ({error})" if error else f"{problem}, OCR sans texte exploitable"
        warnings.append(f"page {i + 1} : {reason} ; page ignorée.")
        out[i] = ""
        stats["pages_skipped"] += 1
    return out, reason


def _ocr_pages(pdf: Any, indexes: list[int], tesseract: str) -> dict[int, tuple[str, str | None]]:
    """Render pages with PDFium (not thread-safe: main thread) and run Tesseract on them in parallel."""
    workers = max(1, min(len(indexes), os.cpu_count() or 1))
    futures: dict[int, Future[tuple[str, str | None]]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i in indexes:
            futures[i] = pool.submit(_run_tesseract, tesseract, _render_png(pdf, i))
        return {i: f.result() for i, f in futures.items()}


def _is_blank(pdf: Any, index: int) -> bool:
    page = pdf[index]
    try:
        lightest_dark = page.render(scale=BLANK_SCALE, grayscale=True).to_pil().getextrema()[0]
    except Exception:  # noqa: BLE001 - a page that cannot be rendered is left to the OCR step to report
        return False
    finally:
        page.close()
    return lightest_dark >= BLANK_MIN_GREY


def _render_png(pdf: Any, index: int) -> bytes:
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = min(OCR_DPI / 72, OCR_MAX_PIXELS / max(width, height, 1))
        image = page.render(scale=scale, grayscale=True).to_pil()
    finally:
        page.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _run_tesseract(tesseract: str, png: bytes) -> tuple[str, str | None]:
    # One thread per Tesseract process: we already run one process per core.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            [tesseract, "stdin", "stdout", "-l", "fra"],
            input=png,
            capture_output=True,
            timeout=OCR_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "", type(exc).__name__
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = first[0][:120] if first else f"code {done.returncode}"
        if "fra" in reason:
            reason += f" ; {OCR_INSTALL_HINT}"
        return "", reason
    return done.stdout.decode("utf-8", "replace"), None


def no_text_message(source: str, reason: str | None = None) -> str:
    if reason:
        return f"{source} : aucun texte exploitable ({reason})."
    return f"{source} : aucun texte exploitable ; fournissez une version avec du texte sélectionnable."
