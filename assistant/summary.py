"""Summary of one deliverable: its key points, quoted from body text only, spread over its parts."""

from __future__ import annotations

import re
from collections.abc import Callable
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
from assistant.plain import complete_sentence, noun_phrase, says_what_to_do, standalone, verbs
from assistant.readability import kandel_moles
from assistant.screening import expand_acronyms
from assistant.simplify import notice, plain_sentence
from assistant.text import content_words, sentences
from assistant.types import Answer, Passage

if TYPE_CHECKING:
    from assistant.retrieve import Retriever

POINTS = {"agent": 8, "elu": 5}
WORDS = {"agent": 45, "elu": 22}  # longest point, in words


def body_units(passages: list[Passage], mode: str, statements: bool = True) -> list[Unit]:
    """Sentences of paragraphs and list items, never a heading, a contents line, a running header, a
    questionnaire item, a table cell, a cross-reference or (``statements``) a noun phrase ("Contrôle de la
    mise en place des statistiques d'usage.", ``statement``); for élus, whole short sentences only."""
    out = []
    for i, p in enumerate(passages):
        for j, b in enumerate(passage_blocks(p)):
            if b.kind not in (B.PARAGRAPH, B.ITEM):
                continue
            for s in [b.text] if b.kind == B.ITEM else sentences(b.text):
                s = strip_citation_marks(s).strip()
                if B.non_advice(s) or not quotable(s) or gives_orders(s) or statements and not statement(s):
                    continue
                if mode == "elu" and not (complete_sentence(s) and standalone(s) and len(s.split()) <= WORDS["elu"]):
                    continue
                out.append(Unit(s, i, j, 0.0, content_words(s)))
    return out


# what a French sentence opens with, when it does not open with its subject noun bare ("Contrôle de…")
_OPENERS = set(
    re.findall(
        r"\S+",
        "le la les l un une des du de d ce cet cette ces il elle ils elles on nous vous je j tu chaque tout toute "
        "tous toutes si s en dans pour par avec sur sous à au aux afin lorsque quand depuis selon ainsi plus moins "
        "leur leurs son sa ses notre nos votre vos mon ma mes cela ceci certains certaines plusieurs aucun aucune "
        "entre dès après avant même c qu que quelle quel quels quelles ni mais et ou or donc car pas ne n y",
    )
)


def statement(s: str) -> bool:
    """Not a noun phrase ("Jeu de données du registre parcellaire bio.", "Moyens mis en œuvre côté serveur
    pour permettre…"): a conjugated verb, what to do, or an opening that a bare noun is not."""
    first = re.findall(r"[a-zà-ÿœæ]+", s.lower())[:1]
    return not noun_phrase(s) and (verbs(s) > 0 or says_what_to_do(s) or bool(first) and first[0] in _OPENERS)


def key_points(
    passages: list[Passage], mode: str, units_of: Callable[[list[Passage], str], list[Unit]] | None = None
) -> list[Unit]:
    """In each of ``POINTS`` equal parts of the document's body sentences (``units_of``, ``body_units`` by
    default), the one made of the words the document uses most (Luhn-style), never one that repeats a point
    already chosen; for élus, plainer sentences rank higher. In reading order. (Ranking by closeness to the
    mean of the document's block vectors was tried beside it on 2026-12-07 and gained on neither half of the
    summary set: see the README.)"""
    units_of = units_of or body_units
    freq: dict[str, int] = {}
    for p in passages:
        for t in content_words(p.text):
            freq[t] = freq.get(t, 0) + 1
    units = units_of(passages, mode) or (units_of(passages, "agent") if mode == "elu" else [])
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
    return sorted(chosen, key=lambda u: (u.passage, u.block))


def render(passages: list[Passage], chosen: list[Unit], mode: str, glossary: dict[str, str]) -> Answer:
    """The summary's answer: a title line, one cited line per key point (for élus, in plain French with
    acronyms spelled out), and where to read more."""
    source, title = passages[0].source, passages[0].title
    citer = Citer(passages)
    lines = [prompts.SUMMARY_TITLE.format(title=title, source=source)]
    points = [end_unit(trim_words(u.text, WORDS[mode])) for u in chosen]
    plain = [plain_sentence(t) for t in points] if mode == "elu" else points
    lines += [f"- {t} {citer.mark(u.passage)}" for t, u in zip(plain, chosen, strict=True)]
    body = "\n".join(lines)
    if mode == "elu":
        body = expand_acronyms(body, glossary)
    rewritten = sum(a != b for a, b in zip(points, plain, strict=True))
    return Answer(
        f"{body}\n\n{further_reading(citer.cited)}",
        mode,
        "extractive",
        False,
        citer.cited,
        notice(rewritten),
        question=source,
    )


def document_passages(retriever: Retriever, source: str) -> list[Passage]:
    """The indexed passages of one document, in reading order."""
    chunks = sorted((c for c in retriever.lexical.chunks if c.source == source), key=lambda c: c.index)
    if not chunks:
        known = ", ".join(retriever.sources[:20])
        raise CapacitiesError(f"Document inconnu : {source}. Documents indexés : {known}.")
    return [Passage(**vars(c)) for c in chunks]


def summarize(retriever: Retriever, source: str, mode: str = "agent", glossary: dict[str, str] | None = None) -> Answer:
    """Key points of one document, each quoted from its page (``key_points``). The élu version takes
    fewer, shorter and plainer sentences, said in plain French."""
    passages = document_passages(retriever, source)
    return render(passages, key_points(passages, mode), mode, glossary or {})
