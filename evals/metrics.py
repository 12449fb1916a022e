"""Metric functions of the evaluation, kept free of models and indexes so they can be unit-tested.

Retrieval, page level: a passage is relevant if its document is a gold ``file`` and its pages
(``page_start``..``page_end``) meet the gold ``pages``. Document level: if its document is a gold
``file``. ``hit@k`` = share of questions with a relevant passage in the first k; ``MRR@10`` =
mean of 1/rank of the first relevant passage (0 beyond 10); ``nDCG@10`` with binary gains, where
a passage gains 1 only if it brings a gold page (or document) not already brought by a passage
ranked above it, and the ideal ranking brings min(number of gold pages, 10) of them first.

Answer points, lexical coverage: a point counts as covered when at least half of its content
stems (``assistant.text.content_words``: accent-folded, stop words removed, Snowball French
stems of 3+ letters, no numbers) appear among the stems of the answer's body (the text before
« Pour aller plus loin »). Numbers in a point (« 79 », « 300 € ») are checked separately: at
least half of them must appear verbatim in the answer. A question's coverage is the share of its
points covered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from assistant.text import content_words


def gold_file(entry: dict) -> str:
    """The gold document of an ``expected`` entry (key ``file``; ``source`` is the older name)."""
    return entry.get("file") or entry["source"]


def _pages(p) -> set[int]:  # noqa: ANN001
    return set(range(p.page_start, p.page_end + 1))


def is_gold_page(p, expected: list[dict]) -> bool:  # noqa: ANN001
    return any(p.source == gold_file(e) and _pages(p) & set(e["pages"]) for e in expected)


def is_gold_doc(p, expected: list[dict]) -> bool:  # noqa: ANN001
    return any(p.source == gold_file(e) for e in expected)


def first_rank(flags: Iterable[bool]) -> int | None:
    """1-based rank of the first True, None if there is none."""
    return next((r for r, f in enumerate(flags, 1) if f), None)


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float:
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def ndcg_at(gains: Sequence[float], n_relevant: int, k: int = 10) -> float:
    """Normalised discounted cumulative gain of a ranked list of gains (position 1 = undiscounted)."""
    if n_relevant <= 0:
        return 0.0
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(n_relevant, k)))
    return dcg / idcg


def page_gains(passages, expected: list[dict]) -> tuple[list[float], int]:  # noqa: ANN001
    """Binary gains (1 = brings a gold page not seen above) and the number of gold pages."""
    gold = {(gold_file(e), pg) for e in expected for pg in e["pages"]}
    seen: set[tuple[str, int]] = set()
    gains = []
    for p in passages:
        new = {(p.source, pg) for pg in _pages(p)} & gold - seen
        seen |= new
        gains.append(1.0 if new else 0.0)
    return gains, len(gold)


def doc_gains(passages, expected: list[dict]) -> tuple[list[float], int]:  # noqa: ANN001
    gold = {gold_file(e) for e in expected}
    seen: set[str] = set()
    gains = []
    for p in passages:
        new = p.source in gold and p.source not in seen
        seen.add(p.source)
        gains.append(1.0 if new else 0.0)
    return gains, len(gold)


def retrieval_summary(
    ranks: Sequence[int | None], ndcgs: Sequence[float] | None = None, ks: Sequence[int] = (1, 3, 5, 10)
) -> dict[str, float]:
    out = {f"hit@{k}": round(hit_at(ranks, k), 3) for k in ks}
    out["mrr@10"] = round(mrr_at(ranks, 10), 3)
    if ndcgs is not None:
        out["ndcg@10"] = round(sum(ndcgs) / len(ndcgs), 3) if ndcgs else 0.0
    return out


# --------------------------------------------------------------------------- answers

_MARKER = re.compile(r"\[(\d{1,3})\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_STEP = re.compile(r"^\s*(\d{1,2})[.)]\s+\S", re.M)


def answer_body(text: str) -> str:
    """The answer without its « Pour aller plus loin : » list of documents (cut where the app cuts it: a
    step may itself begin « Pour aller plus loin, … »)."""
    from assistant.prompts import FURTHER

    return text.split(f"\n\n{FURTHER}")[0]


def markers(text: str) -> list[int]:
    """Every ``[n]`` citation marker of an answer, in order."""
    return [int(m) for m in _MARKER.findall(text)]


def markers_resolved(text: str, n_citations: int) -> tuple[int, int]:
    """(markers that point to one of the ``n_citations`` shown passages, all markers)."""
    ms = markers(text)
    return sum(1 for m in ms if 1 <= m <= n_citations), len(ms)


def ordered_steps(text: str) -> int:
    """Number of steps if the answer is a numbered list 1., 2., 3.… in order (at least 2), else 0."""
    nums = [int(n) for n in _STEP.findall(answer_body(text))]
    if len(nums) >= 2 and nums == list(range(1, len(nums) + 1)):
        return len(nums)
    return 0


def point_covered(point: str, answer: str, share: float = 0.5) -> bool:
    """At least ``share`` of the point's content stems, and of its numbers, appear in the answer."""
    want, have = content_words(point), content_words(answer)
    nums = set(_NUMBER.findall(point))
    ok_words = not want or len(want & have) / len(want) >= share
    ok_nums = not nums or len(nums & set(_NUMBER.findall(answer))) / len(nums) >= share
    return bool(want or nums) and ok_words and ok_nums


def points_coverage(points: Sequence[str], answer: str, share: float = 0.5) -> float | None:
    """Share of ``points`` covered by the answer's body; None when there are no points."""
    if not points:
        return None
    body = answer_body(answer)
    return sum(point_covered(p, body, share) for p in points) / len(points)


# --------------------------------------------------------------------------- the form of an answer

_LIST_LINE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-•*])\s+")
_LABEL = re.compile(r"^\s*\*\*[^*]+\*\*\s*:?\s*$")


def body_words(text: str) -> int:
    """Words of the answer's body, without citation markers."""
    return len(_MARKER.sub(" ", answer_body(text)).split())


def answer_units(text: str) -> list[tuple[str, bool]]:
    """What an answer shows as advice, as (unit, under a lead-in): each step or bullet, and each sentence
    of its prose. Labels (``**…**``), lines that announce what follows (ending with ':'), the "[…]" line
    that says where a list goes on and the acronyms spelled out under the steps are the answer's frame,
    not units. A line ending with ':' introduces the items below it, up to the next blank line; a step
    ending with ':' introduces the items nested under it."""
    from assistant import prompts
    from assistant.text import sentences

    frame = {
        prompts.INTRO_STEPS,
        prompts.INTRO_FACTS,
        prompts.COMPLEMENTS,
        "Voici comment procéder, d'après les livrables :",
    }
    frame |= {
        "D'après les livrables :",
        "En bref :",
        "Ce que cela implique pour votre collectivité :",
    }  # previous composer
    out: list[tuple[str, bool]] = []
    lead = nested = False
    for raw in answer_body(text).split("\n"):
        line = raw.strip()
        if not line:
            lead = False
            continue
        if _LABEL.match(line) or line.startswith(("[…]", prompts.ACRONYMS)) or line in frame:
            lead = False  # the answer's own frame introduces no list: its items must stand alone
            continue
        m = _LIST_LINE.match(line)
        if nested and not raw[:1].isspace():
            lead = nested = False  # the items nested under a step end at the next step
        if m and _MARKER.sub("", line).strip().endswith(":"):
            lead = nested = True  # a step that leads the items nested under it
            continue
        if m:
            out.append((line[m.end() :], lead))
            continue
        body = _MARKER.sub("", line).strip()
        if body.endswith(":"):
            lead = True
            continue
        out += [(s, False) for s in sentences(body) if s.strip()]
    return out


def non_advice_units(text: str) -> list[tuple[str, str]]:
    """(unit, reason) for every unit of the answer that ``assistant.blocks.non_advice`` rejects."""
    from assistant.blocks import non_advice

    out = []
    for unit, in_list in answer_units(text):
        reason = non_advice(unit, in_list=in_list)
        if reason:
            out.append((unit, reason))
    return out


def orphan_openers(text: str) -> list[str]:
    """Steps and bullets that open on a sentence leaning on one the answer does not show just before it
    ("Il s’agit ensuite…", "… peuvent y contribuer.") — first in the answer, after a label, or after a step
    cited to another passage (``assistant.plain.opens_alone``)."""
    from assistant.plain import opens_alone

    out, before = [], None  # the citation of the step shown just before
    for line in answer_body(text).splitlines():
        step = _LIST_LINE.match(line)
        if not step:
            before = None if line.strip() else before  # a label or a lead-in line breaks the thread
            continue
        unit = line[step.end() :]
        marks = _MARKER.findall(unit)
        cited = marks[-1] if marks else None
        if not opens_alone(_MARKER.sub("", unit).strip()) and cited != before:
            out.append(unit)
        before = cited
    return out


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", _MARKER.sub("", s)).strip().lower()


def list_integrity(text: str, passages) -> tuple[int, int]:  # noqa: ANN001
    """(lists quoted whole from their first item on, lists quoted at all) over the cited passages' lists.

    A list is quoted when one of its items (3+ words) appears in the answer's body; it is intact when
    the quoted items are its first k items, in order, with none left out between them.
    """
    from assistant.blocks import ITEM, decode

    body = _norm(answer_body(text))
    intact = quoted = 0
    for p in passages:
        groups: dict[int, list[str]] = {}
        for b in decode(p.text, getattr(p, "blocks", "")):
            if b.kind == ITEM and b.group >= 0 and len(b.text.split()) >= 3:
                groups.setdefault(b.group, []).append(_norm(b.text.rstrip(" ;.,")))
        for items in groups.values():
            where = [body.find(t) if t else -1 for t in items]
            hit = [i for i, w in enumerate(where) if w >= 0]
            if not hit:
                continue
            quoted += 1
            positions = [where[i] for i in hit]
            intact += hit == list(range(len(hit))) and positions == sorted(positions)
    return intact, quoted
