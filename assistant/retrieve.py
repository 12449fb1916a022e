"""Hybrid retrieval of the question expanded from the corpus's words and glossary (``assistant.expansion``):
dense (Chroma), BM25 on stems and BM25 on word beginnings, fused by reciprocal
rank fusion, then a second stage (``second_stage``) that orders the best candidates by their fused rank,
their cosine, their page (another chunk of it among the candidates, and the whole page's own vector, embedded
at ingestion: ``page_cosines``) and their hubness (``hubness``: a passage close to the whole corpus, such as a
guide's overview page, comes first for many questions it does not answer).

Then diversity (at most ``max_per_page`` passages from the same page), an optional
cross-encoder rerank (settings name one; none ships offline, so it is off by default),
and merging a passage with the next chunk when a list runs over a page break.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from functools import cached_property

from assistant.blocks import BULLET, query_for_blocks, unpack_vectors
from assistant.errors import CapacitiesError, StorageFault, storage_errno
from assistant.expansion import Vocabulary, expand_query
from assistant.models import Embedder, load_embedder
from assistant.settings import Settings
from assistant.store import Chunk, DenseStore, LexicalIndex, chroma_client, open_lexical, unreadable_index
from assistant.text import overlap_join
from assistant.types import Passage

RESCORE_TOP = 20  # candidates the second stage re-scores
W_FUSED = 0.5  # second stage: weight of the fused rank (its score over the best one's)
W_DENSE = 1.0  # ... of the passage's cosine with the question
W_PAGE = 0.1  # ... of the second-best cosine of another chunk of the same page (a page that answers twice)
HUB_NEIGHBOURS = 100  # a passage's hubness: its mean cosine with this many nearest passages of the corpus
HUB_SAMPLE = 2000  # ... among at most this many published passages (all of them in the bundled corpus)
HUB_MIN_PASSAGES = 2 * HUB_NEIGHBOURS  # a smaller corpus has no neighbourhoods: a passage's nearest are all the
# others, and the correction would only push its main subject down (a test corpus of near-copies abstained)


def rrf(rankings: list[tuple[list[str], float]], k: int) -> dict[str, float]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank) over the rankings."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, cid in enumerate(ids, 1):
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank)
    return fused


def second_cosines(candidates: list[Passage]) -> dict[tuple[str, int], float]:
    """For each page with two candidates or more found by the dense search, its second-best cosine."""
    page: dict[tuple[str, int], list[float]] = {}
    for p in candidates:
        if p.dense is not None:
            page.setdefault((p.source, p.page_start), []).append(p.dense)
    return {key: sorted(v, reverse=True)[1] for key, v in page.items() if len(v) > 1}


def page_cosines(candidates: list[Passage], query_vector: list[float]) -> dict[tuple[str, int], float]:
    """The cosine of each candidate's whole page (its ``page_vector``, from ingestion) with the question;
    pages without a vector (an index built before them) are left out."""
    out: dict[tuple[str, int], float] = {}
    q = {}  # the question cut to each width met (one, in an index built by one model)
    for p in candidates:
        key = (p.source, p.page_start)
        if key not in out and (v := unpack_vectors(p.page_vector)) is not None:
            dim = v.shape[1]
            q[dim] = q[dim] if dim in q else query_for_blocks(query_vector, dim)
            out[key] = float(v[0] @ q[dim])
    return out


def hubness(vectors, reference, k: int = HUB_NEIGHBOURS):  # noqa: ANN001, ANN201 - numpy arrays
    """Each unit vector's mean cosine with its ``k`` nearest among the unit ``reference`` vectors, itself
    (and an exact copy) left out: how close a passage is to the corpus as a whole. Subtracted from its
    cosine with a question, it is the correction of cross-domain similarity local scaling (CSLS; Conneau
    et al., 2018) for "hubs", the passages that are among the nearest of everything."""
    import numpy as np

    sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(reference, dtype=np.float32).T
    sims[sims > 0.9999] = -1.0
    k = max(1, min(k, sims.shape[1] - 1))
    return np.mean(-np.sort(-sims, axis=1)[:, :k], axis=1)


def _unit_rows(vectors):  # noqa: ANN001, ANN202 - vectors -> numpy array of unit rows
    import numpy as np

    v = np.asarray(list(vectors), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def second_stage(
    candidates: list[Passage],
    weights: tuple[float, float, float] = (W_FUSED, W_DENSE, W_PAGE),
    hub: dict[str, float] | None = None,
    hub_weight: float = 0.0,
    pages: dict[tuple[str, int], float] | None = None,
    page_weight: float = 0.0,
) -> list[Passage]:
    """Second stage: the first ``RESCORE_TOP`` candidates ordered by their fused score, their own cosine
    with the question, and the cosine of another chunk of their page among the candidates (a page whose
    two chunks both match is more likely the one that answers than a page matched once). A candidate
    without a cosine (found by BM25 only) counts the lowest cosine of the others.

    ``weights``: of the fused score, the cosine and the page's second cosine. Measured on the project's set
    (``evals/reports/latest.md``); other weights, and a reranker learnt on more signals (the best block
    cosine inside each candidate among them), are compared in ``evals/reports/retrieval_probe.md``.
    ``hub``: the candidates' ``hubness``, taken ``hub_weight`` times (a candidate without one: the mean).
    ``pages``: the cosine of each candidate's whole page with the question (``page_cosines``), taken
    ``page_weight`` times (a candidate whose page has no vector: the mean of the others).
    """
    w_fused, w_dense, w_page = weights
    top = candidates[:RESCORE_TOP]
    if not top:
        return candidates
    best = max(p.score for p in top) or 1.0
    floor = min((p.dense for p in top if p.dense is not None), default=0.0)
    second = second_cosines(candidates)
    hub = hub or {}
    usual = sum(hub.values()) / len(hub) if hub else 0.0
    pages = pages or {}
    page_usual = sum(pages.values()) / len(pages) if pages else 0.0
    scored = [
        (
            w_fused * p.score / best
            + w_dense * (p.dense if p.dense is not None else floor)
            + w_page * second.get((p.source, p.page_start), 0.0)
            - hub_weight * hub.get(p.id, usual)
            + page_weight * pages.get((p.source, p.page_start), page_usual),
            p,
        )
        for p in top
    ]
    scored.sort(key=lambda x: -x[0])
    return [replace(p, score=sc) for sc, p in scored] + candidates[RESCORE_TOP:]


def per_page_cap(candidates: list[Passage], max_per_page: int, k: int) -> list[Passage]:
    """The first ``k`` candidates, with at most ``max_per_page`` from one page."""
    out: list[Passage] = []
    per_page: dict[tuple[str, int], int] = {}
    for p in candidates:
        key = (p.source, p.page_start)
        if per_page.get(key, 0) < max_per_page:
            per_page[key] = per_page.get(key, 0) + 1
            out.append(p)
            if len(out) == k:
                break
    return out


def load_glossary(settings: Settings) -> dict[str, str]:
    """The corpus's acronyms and their meanings (``glossary.json``, written by ingestion)."""
    try:
        return json.loads(settings.glossary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, or left empty by a power cut: answers go on without it
        return {}


class Retriever:
    """Loads the indexes once; ``search`` is cheap after that."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        client: object | None = None,
        lexical: LexicalIndex | None = None,
    ) -> None:
        self.settings = settings
        # the published snapshot; with a Chroma server, rebuilt from it when the local copy is missing or stale
        self.lexical = lexical or open_lexical(settings)
        self.embedder = embedder or load_embedder(settings)
        self.degraded = ""  # why answers come from BM25 alone, if they do (a French line for the user)
        try:
            client = client if client is not None else chroma_client(settings, reader=True)
            self.dense: DenseStore | None = DenseStore(settings, self.embedder.name, self.embedder.dim, client=client)
        except StorageFault as e:
            logging.getLogger("capacities").warning("vector index unavailable: BM25 only (%s)", e)
            self.dense, self.degraded = None, str(e)
        self._next: dict[tuple[str, int], Chunk] = {(c.source, c.index): c for c in self.lexical.chunks}
        self._vectors: dict[str, list[float]] = {}
        self._hub: dict[str, float] = {}  # passage id -> hubness (see ``hubness``)
        self._lock = threading.Lock()
        self.glossary = load_glossary(settings)
        self.reranker = None
        if settings.reranker:
            from sentence_transformers import CrossEncoder

            self.reranker = CrossEncoder(settings.reranker, device="cpu")

    @cached_property
    def _hub_reference(self):  # noqa: ANN202 - unit vectors (rows x dim), or None
        """Up to ``HUB_SAMPLE`` published passages' unit vectors, evenly spaced by id, read once; their
        own hubness is computed with them (then every search of this corpus only looks it up)."""
        ids = sorted(self.lexical.by_id)
        ids = ids[:: max(1, -(-len(ids) // HUB_SAMPLE))]
        got = self.dense.vectors(ids) if self.dense is not None and len(ids) >= HUB_MIN_PASSAGES else {}
        if len(got) < HUB_MIN_PASSAGES:
            return None
        rows, v = list(got), _unit_rows(got.values())
        for a in range(0, len(rows), 500):
            self._hub.update(zip(rows[a : a + 500], map(float, hubness(v[a : a + 500], v)), strict=True))
        return v

    def hubness(self, ids: list[str]) -> dict[str, float]:
        """``hubness`` of these passages against the reference sample, remembered per passage; {} when
        the store cannot tell (no vector index, or a read that failed: the second stage goes on without)."""
        try:
            reference = self._hub_reference
            if reference is None:
                return {}
            missing = [i for i in ids if i not in self._hub]
            got = self.dense.vectors(missing) if missing and self.dense is not None else {}
            if got:
                self._hub.update(zip(got, map(float, hubness(_unit_rows(got.values()), reference)), strict=True))
            return {i: self._hub[i] for i in ids if i in self._hub}
        except Exception as e:  # noqa: BLE001 - a store that fails here fails the dense search too, said there
            logging.getLogger("capacities").warning("hubness unavailable: second stage without it (%s)", e)
            return {}

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The published passages' words (for ``expand``), gathered at the first question."""
        return Vocabulary(c.text for c in self.lexical.chunks)

    def warm_up(self) -> None:
        """Pay now what the first question would: the corpus's vocabulary, the model's first forward
        pass and the vector index's first read (the app does it while its page loads)."""
        _ = self.vocabulary
        self.search("échauffement", k=1)  # reads the hubness reference too

    def expand(self, query: str, settings: Settings | None = None) -> str:
        """The question with the corpus's words for its unknown words and its acronyms' meanings."""
        if not (settings or self.settings).query_expansion:
            return query
        return expand_query(query, self.vocabulary, self.glossary)

    def query_vector(self, query: str) -> list[float]:
        """The (expanded) question's embedding, computed once for retrieval and for the answer's composer."""
        return self._embedding(self.expand(query))

    def _embedding(self, query: str) -> list[float]:
        with self._lock:
            vec = self._vectors.get(query)
        if vec is None:
            vec = self.embedder.embed_query(query)
            with self._lock:
                self._vectors[query] = vec
                while len(self._vectors) > 64:
                    self._vectors.pop(next(iter(self._vectors)))
        return vec

    def neighbour(self, source: str, index: int) -> Passage | None:
        """The chunk at ``index`` in ``source``, if it is in the published snapshot."""
        c = self._next.get((source, index))
        return Passage(**vars(c)) if c is not None else None

    @property
    def sources(self) -> list[str]:
        return sorted({c.source for c in self.lexical.chunks})

    def _dense(self, expanded: str, sources: list[str] | None, want: int) -> list[tuple[str, float]]:
        """The best published chunks by cosine for the expanded question. During an ingestion the store
        also holds its new, unpublished chunks: asked for that many more, so they never crowd the
        published ones out."""
        if self.dense is None:
            return []
        try:
            hits = self.dense.query(self._embedding(expanded), want, sources, published=len(self.lexical.by_id))
        except CapacitiesError:
            raise
        except Exception as e:  # noqa: BLE001 - a store a full disk left unable to read (Chroma's "Error in compaction")
            fault = storage_errno(e) is not None  # said to the user in French; anything else is logged whole
            logging.getLogger("capacities").warning("dense search failed: BM25 only (%s)", e, exc_info=not fault)
            if fault:
                self.degraded = unreadable_index(self.settings, during_search=True)
            return []
        self.degraded = ""  # the store answers again (space was freed)
        return [(i, d) for i, d in hits if i in self.lexical.by_id][:want]

    def search(
        self, query: str, k: int | None = None, sources: list[str] | None = None, settings: Settings | None = None
    ) -> list[Passage]:
        """The ``k`` best passages for the question. ``settings``: other retrieval settings for this search
        only (weights, candidates, second stage…: what evaluations compare), over the same indexes."""
        s = settings or self.settings
        k = k or s.top_k
        query = self.expand(query, s)  # once, for the embedder and both BM25 fields
        dense_hits = self._dense(query, sources, s.candidates) if s.dense_weight else []
        lex_hits = self.lexical.search(query, s.candidates, sources) if s.bm25_weight else []
        dense_score = dict(dense_hits)
        lex_score = dict(lex_hits)
        rankings = [([i for i, _ in dense_hits], s.dense_weight), ([i for i, _ in lex_hits], s.bm25_weight)]
        if s.prefix_weight:
            prefix_hits = self.lexical.search(query, s.candidates, sources, prefix=True)
            rankings.append(([i for i, _ in prefix_hits], s.prefix_weight))
        fused = rrf(rankings, s.rrf_k)
        ranked = sorted(fused, key=lambda i: -fused[i])
        # ids unknown to the published chunk list belong to an unfinished ingestion: skip them
        candidates = [
            Passage(**vars(self.lexical.by_id[i]), score=fused[i], dense=dense_score.get(i), lexical=lex_score.get(i))
            for i in ranked
            if i in self.lexical.by_id
        ]
        if s.rescore and dense_hits:
            top = candidates[:RESCORE_TOP]
            hub = self.hubness([p.id for p in top]) if s.hub_weight else None
            pages = page_cosines(top, self._embedding(query)) if s.page_weight else None
            candidates = second_stage(
                candidates, hub=hub, hub_weight=s.hub_weight, pages=pages, page_weight=s.page_weight
            )
        if self.reranker is not None and candidates:
            scores = self.reranker.predict([(query, p.text) for p in candidates[: s.candidates]])
            order = sorted(range(len(scores)), key=lambda j: -float(scores[j]))
            candidates = [replace(candidates[j], score=float(scores[j])) for j in order]
        # whether the corpus answers at all is the closest passage's call, whatever the second stage's order
        best = max((d for _, d in dense_hits), default=None)
        kept = per_page_cap(candidates, s.max_per_page, k)
        return [replace(self._merge_over_page_break(p), best_dense=best) for p in kept]

    def _merge_over_page_break(self, p: Passage) -> Passage:
        """A list that goes on over the page break is given its continuation (one chunk at most)."""
        nxt = self._next.get((p.source, p.index + 1))
        if nxt is None or nxt.page_end <= p.page_end:
            return p
        last_line = p.text.rstrip().rsplit("\n", 1)[-1]
        first_line = nxt.text.lstrip().split("\n", 1)[0]
        continues = BULLET.match(last_line) and BULLET.match(first_line)
        if not continues and not (first_line[:1].islower() and not p.text.rstrip().endswith((".", "!", "?"))):
            return p
        return replace(p, text=overlap_join(p.text, nxt.text), page_end=nxt.page_end)
