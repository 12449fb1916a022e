"""Structure-aware chunks that keep their document, pages and section, with deterministic ids."""

from __future__ import annotations

import bisect
import hashlib
import re

from assistant import blocks as typed_blocks
from assistant.store import Chunk
from assistant.text import fold, reads_as_sentence
from assistant.types import Document

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
# "4.2.1", "III.", "B.", and a template's article "X.1.2" (the chapter of the buyer's own CCTP left as X)
_NUMBERED_HEADING = re.compile(
    r"^\s*(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[IVX]{1,4}\.|[A-Z]\.|X(?:\.\d{1,2}){1,3}\.?)\s+[A-ZÀ-Ý]"
)


def heading_of(line: str) -> str | None:
    """The heading a line stands for, or None: Markdown '#', numbered titles, short capitalised lines."""
    s = line.strip()
    m = _MD_HEADING.match(s)
    if m:  # a '#' line written as a sentence is body text: it names nothing, and it is screened as such
        return None if reads_as_sentence(m.group(1)) else m.group(1).strip()
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
    # brackets, bars and signs title nothing: a library call number ("D – PRISME – [0 84.75 TRIB r]")
    return s if typed_blocks.in_capitals(s) and len(letters) >= 5 and not re.search(r"[\[\]{}|@=<>]", s) else None


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


# the name of a part of any document, opening a page in plain case ("Glossaire", "Synthèse")
_PART_NAME = re.compile(
    r"^(?:glossaire|synth[èe]se|introduction|conclusion|pr[ée]ambule|pr[ée]face|avant-propos|annexes?|"
    r"bibliographie(?: s[ée]lective)?|webographie|remerciements|r[ée]sum[ée])\s*:?$",
    re.IGNORECASE,
)
_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,2}\.?$")  # "4", "4.2": a section's number on its own line


def _title_like(line: str) -> bool:
    """A short line that could title a part: it starts with a letter or digit and ends no sentence."""
    s = line.strip()
    if not (2 <= len(s) <= 90 and s[:1].isalnum() and s[:1] == s[:1].upper() and s[-1] not in ".,;:"):
        return False
    return not typed_blocks.ends_on_linking_word(s)


def _chapter_title(line: str) -> bool:
    """A first line that may be a chapter's running title: not the document's running header
    ("GUIDE ACHATS NUMÉRIQUE RESPONSABLE | GLOSSAIRE") nor "Table des matières"."""
    return _title_like(line) and typed_blocks.non_advice(line) != "running" and not typed_blocks.TOC_TITLE.match(line)


def page_headings(lines: list[str], running_top: bool) -> list[tuple[int, str, bool]]:
    """The headings of one page, as (line number, heading, titles the whole page).

    Besides ``heading_of``'s lines:
    - ``running_top``: the page's first line is the running title of its chapter ("Mesure et évaluation",
      printed at the top of each page of the chapter); it titles the page;
    - a section number opening the page on a line of its own, its title on the next line ("4" then
      "UX/UI"; lower down, such a number is a footnote's);
    - a dotted number closing the page after a question ("…la lecture automatique est désactivée ?" then
      "4.2"): the reference's criterion, printed at the foot of its page, titles that page;
    - a good practice's title with its code glued ("Optimiser la gestion du parc des équipementsf.1"),
      wherever the text layer puts it, titles its page ("f.1 Optimiser la gestion du parc des équipements");
    - the name of a part of any document opening the page in plain case ("Glossaire", "Synthèse");
    - a heading in capitals broken over lines is one heading ("HOP HALTE À L’OBSOLESCENCE" / "PROGRAMMÉE"), and
      the rest of a line that titles nothing is no heading ("→ UN RÉFÉRENTIEL … DU NUMÉRIQUE" / "RESPONSABLE").
    A question put to whoever fills the form in ("5.1. Pouvez-vous décrire…") is a questionnaire's item, not
    a heading. Table-of-contents lines ("8. Hébergement 81") are not headings, nor is anything on a page that opens
    with "Sommaire": the last of them would otherwise be the section of the pages after the contents."""
    out: list[tuple[int, str, bool]] = []
    if any(typed_blocks.TOC_TITLE.match(x.strip()) for x in lines[:3]):
        return out  # "Sommaire" then its entries, their page numbers on lines of their own: it titles no part
    toc = sum(typed_blocks.toc_like(x.strip()) for x in lines) >= 3
    # a page made mostly of numbered lines is an agenda ("1. Dinum : …", "2. CGDD : …") or a table's rows
    # ("80 Plus Titanium 90 % 94 % 96 % 94 %"): they title no part of the document
    numbered = sum(bool(_NUMBERED_HEADING.match(x) and heading_of(x)) for x in lines)
    listing = numbered >= 3 and numbered >= len([x for x in lines if x.strip()]) / 2
    if running_top and not toc:
        out.append((0, lines[0].strip(), True))
    for n, line in enumerate(lines):
        s = line.strip()
        if _SECTION_NUMBER.match(s):
            if n == 0 and len(lines) > 1 and _title_like(lines[1]) and not _SECTION_NUMBER.match(lines[1].strip()):
                out.append((n, f"{s} {lines[1].strip()}", False))
            elif "." in s.rstrip(".") and n == len(lines) - 1 and n > 0 and lines[n - 1].rstrip().endswith("?"):
                first = n - 1
                while first > max(0, n - 4) and not lines[first - 1].rstrip().endswith((".", "?", ":", "!")):
                    first -= 1
                question = " ".join(x.strip() for x in lines[first:n])
                if len(question) <= 200 and question[:1].isupper():
                    out.append((n, f"{s} {question}", True))
            continue
        if n == 0 and _PART_NAME.match(s):
            out.append((n, s.rstrip(" :"), False))
            continue
        sheet = typed_blocks.SHEET_TITLE.match(s)
        if sheet:
            out.append((n, f"{sheet['code']} {sheet['title']}", True))
            continue
        # the next line of a heading in capitals: "HOP HALTE À…" / "PROGRAMMÉE"
        if n and typed_blocks.heading_goes_on(lines[n - 1], s):
            if out and out[-1][0] == n - 1 and not out[-1][2] and len(out[-1][1]) + len(s) <= 150:
                out[-1] = (n, f"{out[-1][1]} {s}", False)
            continue  # else it goes on a line that titles nothing ("→ UN RÉFÉRENTIEL … DU NUMÉRIQUE")
        h = heading_of(line)
        if not h or typed_blocks.TOC_TITLE.match(h) or toc and typed_blocks.toc_like(s):
            continue  # "Table des matières" and its lines title no part of the document
        if typed_blocks.non_advice(h) == "running" or _ASKS_THE_READER.search(h):
            continue  # the page's running header; a questionnaire's item ("5.1. Pouvez-vous décrire…")
        if listing and _NUMBERED_HEADING.match(s) or out and (n, h) == (0, out[0][1]):
            continue  # a row of a listing, or the running title already taken
        out.append((n, h, False))
    return out


# a question put to whoever fills the form in: an item of a questionnaire, not the title of a part
_ASKS_THE_READER = re.compile(r"\b\w+-vous\b", re.IGNORECASE)


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
    page_starts: list[int] = []  # offset of each page in the joined text
    page_numbers: list[int] = []
    headings: list[tuple[int, str]] = []  # (offset, heading)
    chapters: list[tuple[int, str]] = []  # (offset, heading) of those that title a whole page
    pages = [page for page in doc.pages if page.text.strip()]
    parts = [page.text.strip() for page in pages]
    running = running_lines(parts)
    # a chapter's running title: the first line of pages, printed on several, and not the same everywhere
    firsts = [part.split("\n", 1)[0].strip() for part in parts]
    tops = {fold(f).strip() for f in firsts if _chapter_title(f)} & running
    on_top = [len(tops) >= 2 and fold(f).strip() in tops for f in firsts]  # the page opens on a running title
    offset = 0
    for k, (page, text) in enumerate(zip(pages, parts, strict=True)):
        page_starts.append(offset)
        page_numbers.append(page.page)
        lines = text.split("\n")
        starts = [offset]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        found = page_headings(lines, on_top[k])
        if len(tops) >= 2 and chapters and not any(whole for _, _, whole in found):
            # a page without a running title: the opening page of the chapter whose title runs from the
            # next page on, or a page out of any chapter (a slide of another part)
            nxt = firsts[k + 1] if k + 1 < len(parts) and on_top[k + 1] else None
            found.insert(0, (0, nxt if nxt and nxt != chapters[-1][1] else doc.title, True))
        for n, h, whole_page in found:
            if not whole_page:
                headings.append((starts[n], h))
            elif not chapters or chapters[-1][1] != h:  # within a chapter, its finer headings carry on
                chapters.append((offset, h))
        offset += len(text) + 2
    full = "\n\n".join(parts)
    if not full.strip():
        return []
    # a "heading" printed on many pages is a running label, not the title of what follows
    pages_of: dict[str, set[int]] = {}
    for off, h in headings:
        pages_of.setdefault(h, set()).add(bisect.bisect_right(page_starts, off))
    # at the same offset, a page's title wins over a heading on its first line, a sheet over its chapter
    headings = sorted([(off, h) for off, h in headings if len(pages_of[h]) < 3] + chapters, key=lambda x: x[0])
    heading_offsets = [h[0] for h in headings]

    def page_at(pos: int) -> int:
        return page_numbers[max(0, bisect.bisect_right(page_starts, pos) - 1)]

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
