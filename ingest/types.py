"""Data passed between the ingestion stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """The text of one page of a document; ``page`` is 1-based (Markdown/text: 1)."""

    source: str  # path relative to the corpus folder, with "/" separators, e.g. "pdf/x.pdf"
    page: int
    text: str


@dataclass
class Document:
    """A loaded document: its pages, its title, and what went wrong page by page."""

    source: str
    title: str
    pages: list[Page]
    warnings: list[str] = field(default_factory=list)  # French, one line each
    stats: dict[str, float] = field(default_factory=dict)  # e.g. long_token_ratio_before/after, pages_ocr
    sha256: str = ""  # of the bytes this Document was read from (a file may change while it is read)
