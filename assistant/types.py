"""What retrieval and answering hand to their callers (CLI, app, evals)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Chunk:
    """A piece of a document, with everything a citation needs."""

    id: str
    text: str
    source: str  # path relative to the corpus folder, e.g. "pdf/x.pdf"
    title: str
    page_start: int
    page_end: int
    section: str
    index: int  # position of the chunk in its document (for merging neighbours)
    blocks: str = ""  # typed blocks of the text as spans (assistant.blocks.encode); "" = parse on read
    block_vectors: str = ""  # one vector per block, pooled from the chunk's own forward pass (blocks.pack_vectors)
    page_vector: str = ""  # the vector of its whole page (every chunk of the page carries it; blocks.pack_vectors)

    def metadata(self) -> dict[str, str | int]:
        d = asdict(self)
        del d["id"], d["text"]
        return d


@dataclass(frozen=True)
class Passage(Chunk):
    """A retrieved chunk, with its scores."""

    score: float = 0.0  # fused score (reciprocal rank fusion)
    dense: float | None = None  # cosine similarity to the question, when the dense retriever found it
    lexical: float | None = None  # BM25 score, when the lexical retriever found it
    best_dense: float | None = None  # the best cosine of its whole search (the corpus's closest passage)

    @property
    def page(self) -> int:
        return self.page_start

    @property
    def pages_label(self) -> str:
        if self.page_end != self.page_start:
            return f"p. {self.page_start}-{self.page_end}"
        return f"p. {self.page_start}"


@dataclass(frozen=True)
class Suggestion:
    """A next question offered under an answer: a section heading of a cited page or of its neighbours."""

    label: str  # what the button says, e.g. "Rédiger le cahier des charges (p. 52)"
    question: str  # what is asked when it is chosen
    source: str  # the deliverable it comes from (the question is asked there)


@dataclass(frozen=True)
class Answer:
    """An answer whose ``[n]`` markers point into ``citations`` (1-based)."""

    text: str
    mode: str
    backend: str
    abstained: bool
    citations: list[Passage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # French, e.g. citations removed, fallback used
    question: str = ""  # the question as retrieval saw it (after resolving a follow-up)
    suggestions: list[Suggestion] = field(default_factory=list)  # next questions (extractive answers)


@dataclass(frozen=True)
class Page:
    """Read by ingestion: the text of one page of a document; ``page`` is 1-based (Markdown/text: 1)."""

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
