"""Structure-aware chunks that keep their document, pages and section, with deterministic ids."""

from __future__ import annotations

import bisect
import hashlib
import re

from assistant import blocks as typed_blocks
from assistant.store import Chunk
from assistant.text import fold
from assistant.types import Document

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_NUMBERED_HEADING = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[IVX]{1,4}\.|[A-Z]\.)\s+[A-ZÀ-Ý]")


def heading_of(line: str) -> str | None:
    """The heading a line stands for, or None: Markdown '#', numbered titles, short capitalised lines."""
    s = line.strip()
    m = _MD_HEADING.match(s)
    if m:
        return m.group(1).strip()
    if not s[:1].isalnum():
        return None  # "→ Base IMPACTS® ADEME", "• …": references and bullets, not titles
    if not (3 <= len(s) <= 90) or typed_blocks.BULLET.match(s) and not _NUMBERED_HEADING.match(s):
        return None
    if s[-1] in ".,;:!?)»" or s.count(" ") > 12:
        return None
    letters = [c for c in s if c.isalpha()]
    if len(letters) < 3:
        return None
    if _NUMBERED_HEADING.match(s):
        return s
    upper = sum(c.isupper() for c in letters) / len(letters)
    return s if upper > 0.8 and len(letters) >= 5 else None


def running_lines(pages: list[str], min_pages: int = 3) -> frozenset[str]:
    """Accent-folded lines printed at the top or bottom of ``min_pages`` pages or more: running headers
    and footers that cleaning kept (they vary a little from page to page, or sit among other lines)."""
    seen: dict[str, int] = {}
    for text in pages:
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        for line in {*lines[:2], *lines[-2:]}:
            if len(line) <= 100:
                key = fold(line).strip()
                seen[key] = seen.get(key, 0) + 1
    return frozenset(k for k, n in seen.items() if n >= min_pages)


def _splitter(chunk_size: int, chunk_overlap: int):  # noqa: ANN202
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # paragraphs first, then lines (list items), then sentences, then words
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def chunk_id(source: str, page: int, text: str, seen: set[str], context: str = "") -> str:
    """Hash of location, content and context (the title and section the embedder is shown, so a
    stored vector is reused only for the same input); a repeat on the same page gets a suffix."""
    base = hashlib.sha256(f"{source}\x00{page}\x00{context}\x00{text}".encode()).hexdigest()[:24]
    cid, n = base, 1
    while cid in seen:
        cid, n = f"{base}-{n}", n + 1
    seen.add(cid)
    return cid


def split_document(
    doc: Document, chunk_size: int = 1000, chunk_overlap: int = 150, within_pages: bool = True
) -> list[Chunk]:
    """Split a cleaned document into chunks; each knows its pages (start, end) and section.

    ``within_pages``: a chunk never crosses a page break, so a citation names the page that
    holds the words (the retriever joins a list that runs over a page break back together).
    """
    parts: list[str] = []
    page_starts: list[int] = []  # offset of each page in the joined text
    page_numbers: list[int] = []
    headings: list[tuple[int, str]] = []  # (offset, heading)
    offset = 0
    for page in doc.pages:
        text = page.text.strip()
        if not text:
            continue
        page_starts.append(offset)
        page_numbers.append(page.page)
        line_offset = offset
        for line in text.split("\n"):
            h = heading_of(line)
            if h:
                headings.append((line_offset, h))
            line_offset += len(line) + 1
        parts.append(text)
        offset += len(text) + 2
    full = "\n\n".join(parts)
    if not full.strip():
        return []
    # a "heading" printed on many pages is a running label, not the title of what follows
    pages_of: dict[str, set[int]] = {}
    for off, h in headings:
        pages_of.setdefault(h, set()).add(bisect.bisect_right(page_starts, off))
    headings = [(off, h) for off, h in headings if len(pages_of[h]) < 3]
    heading_offsets = [h[0] for h in headings]

    def page_at(pos: int) -> int:
        return page_numbers[max(0, bisect.bisect_right(page_starts, pos) - 1)]

    running = running_lines(parts)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    splitter = _splitter(chunk_size, chunk_overlap)
    if within_pages:
        pieces = [
            (p0 + int(d.metadata["start_index"]), d.page_content)
            for p0, part in zip(page_starts, parts, strict=True)
            for d in splitter.create_documents([part])
        ]
    else:
        pieces = [(int(d.metadata["start_index"]), d.page_content) for d in splitter.create_documents([full])]
    for i, (start, text) in enumerate(pieces):
        end = start + max(len(text) - 1, 0)
        # the section is the last heading before the chunk, or the first one inside its opening lines
        j = bisect.bisect_right(heading_offsets, start + min(200, len(text) // 3)) - 1
        section = headings[j][1] if j >= 0 else doc.title
        p_start, p_end = page_at(start), page_at(end)
        spans = typed_blocks.encode(typed_blocks.parse_blocks(text, running))
        chunks.append(
            Chunk(
                # the blocks are in the id: their vectors come from the embedding pass, so new blocks, new pass
                id=chunk_id(doc.source, p_start, text, seen, context=f"{doc.title}\x00{section[:200]}\x00{spans}"),
                text=text,
                source=doc.source,
                title=doc.title,
                page_start=p_start,
                page_end=p_end,
                section=section[:200],
                index=i,
                blocks=spans,
            )
        )
    return chunks
