"""Text from documents and models shown safely: Markdown escaped or defused, a conversation exported
as Markdown, an answer as JSON for another program, and a cited PDF page drawn with its passage
highlighted."""

from __future__ import annotations

import re
import time
from dataclasses import asdict
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.hostile import plain, strip_markup
from assistant.types import Answer, Passage

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~])")


_BARE_URL = re.compile(r"https?://[^\s<>()\[\]\\`\"]+[^\s<>()\[\]\\`\".,;:!?»’']")


def escape_markdown(text: str) -> str:
    """Text from a document shown as itself: no heading, link, emphasis or HTML taken from it. A web
    address stays one, shown as itself between angle brackets: escaped, its "-" and the ")" after it
    would become part of the address the browser opens ("…/referentiel%5C-general…")."""
    out, end = [], 0
    for m in _BARE_URL.finditer(text):
        out += [_MD_SPECIAL.sub(r"\\\1", text[end : m.start()]), f"<{m.group(0)}>"]
        end = m.end()
    return "".join(out) + _MD_SPECIAL.sub(r"\\\1", text[end:])


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
        hits = []
        for fragment in _fragments(passage):
            searcher = textpage.search(fragment, match_case=False, match_whole_word=False)
            hit = searcher.get_next()
            if hit:
                hits.append(hit)
            searcher.close()
        boxes = [
            (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
            for left, bottom, right, top in _line_boxes(textpage, _span(hits, len(passage)))
        ]
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


def _span(hits: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The characters to highlight: from the first fragment found to the end of the last one, as one run
    (the passage's sentences whole, not a patchwork of its fragments), unless the fragments lie far
    apart on the page (then each fragment alone)."""
    if not hits:
        return []
    start = min(h[0] for h in hits)
    end = max(h[0] + h[1] for h in hits)
    return [(start, end - start)] if end - start <= 2 * length + 200 else hits


def _line_boxes(textpage, runs: list[tuple[int, int]]) -> list[tuple[float, float, float, float]]:  # noqa: ANN001
    """One rectangle per line of text covered by the runs of characters (left, bottom, right, top)."""
    lines: list[list[float]] = []
    for start, count in runs:
        for i in range(start, start + count):
            left, bottom, right, top = textpage.get_charbox(i)
            if right <= left:
                continue  # a space or a line break
            last = lines[-1] if lines else None
            if last and min(top, last[3]) - max(bottom, last[1]) > 0.5 * (top - bottom) and left >= last[0] - 1:
                last[0], last[1], last[2], last[3] = (
                    min(last[0], left),
                    min(last[1], bottom),
                    max(last[2], right),
                    max(last[3], top),
                )
            else:
                lines.append([left, bottom, right, top])
    return [tuple(line) for line in lines]


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


def answer_json(answer: Answer) -> dict:
    """An answer for another program: no HTML or script address in any string."""
    return {
        "answer": strip_markup(answer.text),
        "mode": answer.mode,
        "backend": answer.backend,
        "abstained": answer.abstained,
        "citations": [
            {"n": i, "source": p.source, "page": p.page_start, "text": strip_markup(p.text)}
            for i, p in enumerate(answer.citations, 1)
        ],
        "suggestions": [asdict(x) for x in answer.suggestions],
        "warnings": [strip_markup(w) for w in answer.warnings],
    }
