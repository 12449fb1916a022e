"""Titles of deliverables when nobody curated one: a PDF's metadata title if it means something, else
the title block of the cover, else the file name made readable."""

from __future__ import annotations

import re

from assistant.types import Page
from ingest.clean import is_garbage

_PLACEHOLDER_TITLES = re.compile(
    r"^(?:présentation powerpoint|powerpoint presentation|untitled|sans titre|document\d*|titre|title|diapositive \d+)$"
    r"|^microsoft (?:word|powerpoint|excel) - |\.(?:docx?|pptx?|xlsx?|odt|odp|pdf|indd|rtf)$",
    re.I,
)
TITLE_MAX_CHARS = 150
_URL_RE = re.compile(r"^(?:[a-z]+://|www\.|[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/)", re.I)
TITLE_BLOCK_LINE = 90  # a longer line on a cover is body text, not part of the title
TITLE_BLOCK_LINES = 4  # a cover title spans at most this many lines


def meaningful_title(title: str | None) -> bool:
    if not title:
        return False
    title = title.strip()
    letters = sum(1 for c in title if c.isalpha())
    return letters >= 4 and not _PLACEHOLDER_TITLES.search(title) and not is_garbage(title)


def _title_line(line: str) -> str:
    """A line without the URLs and Markdown marks that clutter cover pages."""
    return " ".join(w for w in line.strip().lstrip("#").split() if not _URL_RE.match(w))


def first_heading(pages: list[Page]) -> str | None:
    """The title block of the first page: its first short lines of words, joined, until the style changes.

    Cover pages split a title over several short lines ("Référentiel général / d'écoconception / de services
    numériques"); the block stops at a long line, a sentence, a line without words, or a switch between
    capitals and lower case (a subtitle or a "GUIDE" stamp).
    """
    if not pages:
        return None
    block: list[str] = []
    for raw in pages[0].text.splitlines()[:20]:
        line = _title_line(raw)
        letters = [c for c in line if c.isalpha()]
        if len(letters) < 3 or len(line) > TITLE_BLOCK_LINE:
            if block:
                break
            continue
        upper = all(c.isupper() for c in letters)
        if block and (
            line.endswith((".", "!"))
            or upper != all(c.isupper() for c in block[0] if c.isalpha())
            or len(block) == TITLE_BLOCK_LINES
        ):
            break
        block.append(line)
    return shorten(" ".join(block)) if block else None


def shorten(title: str) -> str:
    if len(title) <= TITLE_MAX_CHARS:
        return title
    return title[: TITLE_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"


def readable_stem(stem: str) -> str:
    words = re.sub(r"[_\-]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem
