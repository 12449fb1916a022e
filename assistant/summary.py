"""Summary of one deliverable: its key points, quoted from body text only, spread over its parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant import blocks as B
from assistant import prompts
from assistant.compose import (
    Citer,
    Unit,
    end_unit,
    further_reading,
    passage_blocks,
    quotable,
    trim_words,
)
from assistant.errors import CapacitiesError
from assistant.hostile import gives_orders, strip_citation_marks
from assistant.plain import complete_sentence, standalone
from assistant.readability import kandel_moles
from assistant.screening import expand_acronyms
from assistant.simplify import notice, plain_sentence
from assistant.text import content_words, sentences
from assistant.types import Answer, Passage

if TYPE_CHECKING:
    from assistant.retrieve import Retriever

POINTS = {"agent": 8, "elu": 5}
WORDS = {"agent": 45, "elu": 22}  # longest point, in words


def _body_units(passages: list[Passage], mode: str) -> list[Unit]:
    """Sentences of paragraphs and list items, never a heading, a contents line, a running header, a
    questionnaire item, a table cell or a cross-reference; for élus, whole short sentences only."""
    out = []
    for i, p in enumerate(passages):
        for j, b in enumerate(passage_blocks(p)):
            if b.kind not in (B.PARAGRAPH, B.ITEM):
                continue
            for s in [b.text] if b.kind == B.ITEM else sentences(b.text):
                s = strip_citation_marks(s).strip()
                if B.non_advice(s) or not quotable(s) or gives_orders(s):
                    continue
                if mode == "elu" and not (complete_sentence(s) and standalone(s) and len(s.split()) <= WORDS["elu"]):
                    continue
                out.append(Unit(s, i, j, 0.0, content_words(s)))
    return out


def summarize(retriever: Retriever, source: str, mode: str = "agent", glossary: dict[str, str] | None = None) -> Answer:
    """Key points of one document, each quoted from its page: in each part of the document (equal runs of
    its body sentences), the sentence whose words the document uses most (Luhn-style), in reading order.
    The élu version takes fewer, shorter and plainer sentences, said in plain French."""
    glossary = glossary or {}
    chunks = sorted((c for c in retriever.lexical.chunks if c.source == source), key=lambda c: c.index)
    if not chunks:
        known = ", ".join(retriever.sources[:20])
        raise CapacitiesError(f"Document inconnu : {source}. Documents indexés : {known}.")
    passages = [Passage(**vars(c)) for c in chunks]
    freq: dict[str, int] = {}
    for c in chunks:
        for t in content_words(c.text):
            freq[t] = freq.get(t, 0) + 1
    units = _body_units(passages, mode)
    if not units and mode == "elu":
        units = _body_units(passages, "agent")
    for u in units:
        u.relevance = sum(freq.get(t, 0) for t in u.stems) / max(1, len(u.stems)) ** 0.7
        if mode == "elu":
            u.relevance *= 1 + 0.02 * (kandel_moles(u.text) - 50)
    n = POINTS[mode]
    units = [u for u in units if len(u.stems) >= 4]  # in reading order
    bounds = [round(k * len(units) / n) for k in range(n + 1)]
    chosen: list[Unit] = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        for u in sorted(units[lo:hi], key=lambda u: -u.relevance):
            if all(len(u.stems & o.stems) / len(u.stems | o.stems) <= 0.5 for o in chosen):
                chosen.append(u)
                break
    chosen.sort(key=lambda u: (u.passage, u.block))
    citer = Citer(passages)
    lines = [prompts.SUMMARY_TITLE.format(title=chunks[0].title, source=source)]
    points = [end_unit(trim_words(u.text, WORDS[mode])) for u in chosen]
    plain = [plain_sentence(t) for t in points] if mode == "elu" else points
    lines += [f"- {t} {citer.mark(u.passage)}" for t, u in zip(plain, chosen, strict=True)]
    body = "\n".join(lines)
    if mode == "elu":
        body = expand_acronyms(body, glossary)
    cited = citer.cited
    rewritten = sum(a != b for a, b in zip(points, plain, strict=True))
    return Answer(
        f"{body}\n\n{further_reading(cited)}", mode, "extractive", False, cited, notice(rewritten), question=source
    )
