"""The previous extractive composer (before the structure-aware one of ``assistant.compose``), kept
unchanged as a row of the evaluation: sentences and list items found again by regular expressions and
picked one by one by shared stems. Not used by the assistant."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.compose import Citer as _Citer
from assistant.hostile import gives_orders, strip_citation_marks
from assistant.readability import kandel_moles
from assistant.screening import GENERIC_WORDS as _QUESTION_WORDS
from assistant.screening import expand_acronyms, is_procedure_question
from assistant.text import content_words
from assistant.text import sentences as _sentences
from assistant.types import Answer, Passage

_BULLET = re.compile(r"^\s*(?:[-•▪●◦*–➢►✓]|\(?\d{1,2}[.)°]|[a-h][.)])\s+")
_SENT_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=[«\"(]?[A-ZÀ-ÝÉ0-9])")
_STEP_WORDS = re.compile(
    r"\b([ée]tape|d'abord|ensuite|puis|enfin|premi[eè]rement|deuxi[eè]mement|il (?:faut|convient|est recommand[ée])|"
    r"veiller|pr[ée]voir|s'assurer|doi(?:t|vent)|recommand)\w*",
    re.IGNORECASE,
)
_VERB_START = re.compile(r"^(?:[A-ZÀ-Ý][a-zà-ÿ]+(?:er|ir|re|ez)|[ÉE]tablir|Faire|Mettre|Prendre|Construire)\b")
_NOT_VERBS = set(
    [
        "premier",
        "dernier",
        "entre",
        "notre",
        "votre",
        "cahier",
        "autre",
        "contre",
        "titre",
        "chiffre",
        "centre",
        "lettre",
        "ordre",
        "nombre",
        "cadre",
        "membre",
        "libre",
        "propre",
        "quatre",
        "outre",
        "chez",
        "assez",
        "offre",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
        "hier",
        "filière",
        "matière",
        "manière",
        "première",
        "dossier",
        "fichier",
        "calendrier",
        "papier",
        "métier",
        "plusieurs",
        "leur",
        "leurs",
        "pour",
        "sur",
        "par",
        "alors",
    ]
)


def _is_step_like(text: str, is_list: bool) -> float:
    first = text.split(" ", 1)[0].strip('«"(').lower()
    if text.endswith("?") or first == "voici":
        return -1.0  # a question or an announcement ("Voici les étapes…") is not a step
    score = 0.0
    if is_list:
        score += 0.3
    if _VERB_START.match(text.lstrip('«"( ')) and first not in _NOT_VERBS:
        score += 0.5
    if _STEP_WORDS.search(text):
        score += 0.3
    return score


def _continues(previous: str, line: str) -> bool:
    """Is ``line`` the rest of a sentence wrapped from ``previous`` (not a new block after a heading)?"""
    if line[:1].islower():
        return True
    return not previous.endswith((".", ":", "!", "?", ";")) and len(previous) > 60


def _units(text: str) -> list[tuple[str, bool, int]]:
    """(unit, is_list_item, position) for the sentences and list items of a passage."""
    blocks: list[tuple[list[str], bool]] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            blocks.append(([], False))
            continue
        m = _BULLET.match(line)
        if m:
            blocks.append(([line[m.end() :].strip()], True))
        elif blocks and blocks[-1][0] and _continues(blocks[-1][0][-1], line):
            blocks[-1][0].append(line)  # a wrapped line goes on the previous block
        else:
            blocks.append(([line], False))
    out: list[tuple[str, bool, int]] = []
    for lines, is_list in blocks:
        if not lines:
            continue
        joined = re.sub(r"\s+", " ", " ".join(lines)).strip()
        pieces = [joined] if is_list else _sentences(joined)
        for piece in pieces:
            piece = strip_citation_marks(piece).strip(" -–•→►▪")
            letters = sum(c.isalpha() for c in piece)
            if len(piece) >= 25 and letters >= 0.6 * len(piece) and not gives_orders(piece):
                out.append((piece, is_list, len(out)))
    return out


PLAIN_WEIGHT = 0.006  # how much readability counts against relevance when writing for elected officials
_WHY = re.compile(r"\b(pourquoi|int[ée]r[êe]t|enjeux?|b[ée]n[ée]fices?|avantages?|à quoi sert)\b", re.IGNORECASE)
_REASON = re.compile(
    r"\b(car|parce que|permet|r[ée]dui|[ée]vite|impact|[ée]conomi|[ée]mission|principal|majorit|\d+ ?%)", re.IGNORECASE
)


def _sentence(text: str) -> str:
    """A list item quoted inside prose gets its full stop."""
    return text if text.endswith((".", "!", "?", "…", "]", ")")) else text + "."


def _trim(text: str, limit: int = 360) -> str:
    """Lightly trim a long unit at a clause boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in ("; ", ", ", " "))
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + " […]"


@dataclass
class _Candidate:
    text: str
    passage: int  # index in the passages list
    position: float
    relevance: float
    step: float
    stems: set[str]


def _candidates(question: str, passages: list[Passage], clauses: bool = False) -> list[_Candidate]:
    """Sentences and list items of the passages, scored against the question.

    ``clauses``: also offer the clauses of long sentences (cut at ';' or ':'), for plain language.
    """
    q = content_words(question) - _QUESTION_WORDS or content_words(question)
    out = []
    for rank, p in enumerate(passages):
        # the section title counts a little: a list item under "Rédiger le cahier des charges" is on topic
        section = 0.3 * len(q & content_words(p.section)) / max(1, len(q)) if q else 0.0
        for text, is_list, pos in _units(p.text):
            pieces = [text]
            if clauses and len(text.split()) > 25:
                pieces += [part for part in re.split(r"\s*[;:]\s+", text) if len(part) >= 40 and part != text]
            for k, piece in enumerate(pieces):
                stems = content_words(piece)
                shared = len(q & stems) / max(1, len(q)) if q else 0.0
                step = _is_step_like(piece, is_list)
                out.append(_Candidate(piece, rank, pos + 0.01 * k, shared + section + 0.15 / (1 + rank), step, stems))
    return out


def _pick(cands: list[_Candidate], n: int, key, min_relevance: float) -> list[_Candidate]:  # noqa: ANN001
    chosen: list[_Candidate] = []
    for c in sorted(cands, key=key, reverse=True):
        if c.relevance < min_relevance:
            continue
        if any(len(c.stems & o.stems) / max(1, len(c.stems | o.stems)) > 0.6 for o in chosen):
            continue  # consecutive chunks overlap: the same sentence comes twice
        chosen.append(c)
        if len(chosen) == n:
            break
    return chosen


def further_reading(cited: list[Passage]) -> str:
    lines = ["Pour aller plus loin :"]
    for n, p in enumerate(cited, 1):
        section = f" — {p.section}" if p.section and p.section != p.title else ""
        lines.append(f"- [{n}] {p.title} ({p.source}), {p.pages_label}{section}")
    return "\n".join(lines)


def _undefined_acronyms(text: str, glossary: dict[str, str]) -> int:
    return sum(1 for a in re.findall(r"\b[A-Z]{2,}[0-9]*\b", text) if a not in glossary)


def legacy_answer(question: str, passages: list[Passage], mode: str, glossary: dict[str, str]) -> Answer | None:
    """Compose the answer from the passages' own sentences and list items, each with its citation."""
    cands = _candidates(question, passages, clauses=mode == "elu")
    citer = _Citer(passages)
    parts: list[str] = []
    if mode == "elu":
        why = bool(_WHY.search(question))

        # short, plain sentences first; for "pourquoi", sentences that give a reason or an effect;
        # sentences with unexplained acronyms last
        def plain(c: _Candidate) -> float:
            words = len(c.text.split())
            score = c.relevance - 0.02 * max(0, words - 15) - 0.2 * _undefined_acronyms(c.text, glossary)
            score += PLAIN_WEIGHT * (kandel_moles(c.text) - 50)  # easier sentences first (index ~50 = hard)
            return score + (0.15 if why and _REASON.search(c.text) else 0.0)

        summary = _pick(cands, 3, plain, 0.2)
        summary.sort(key=lambda c: (c.passage, c.position))
        parts.append("En bref :")
        parts.append(" ".join(f"{_sentence(_trim(c.text, 240))} {citer.mark(c.passage)}" for c in summary))
        used = {id(c) for c in summary}
        impl = [
            c
            for c in cands
            if id(c) not in used
            and re.search(r"collectivit|commune|territoir|élu|doi(?:t|vent)|obligat|permet", c.text)
        ]
        impl = _pick(impl, 2, plain, 0.25)
        if impl:
            parts.append("Ce que cela implique pour votre collectivité :")
            parts.extend(f"- {_trim(c.text, 240)} {citer.mark(c.passage)}" for c in impl)
        body = expand_acronyms("\n".join(parts), glossary)
    elif is_procedure_question(question):
        steps = _pick([c for c in cands if c.step >= 0], 6, lambda c: c.relevance + c.step, 0.15)
        # document order inside each document; documents in the order retrieval ranked them
        first_rank: dict[str, int] = {}
        for i, p in enumerate(passages):
            first_rank.setdefault(p.source, i)
        steps.sort(key=lambda c: (first_rank[passages[c.passage].source], passages[c.passage].index, c.position))
        parts.append("Voici comment procéder, d'après les livrables :")
        parts.extend(f"{n}. {_trim(c.text)} {citer.mark(c.passage)}" for n, c in enumerate(steps, 1))
        body = "\n".join(parts)
    else:
        facts = _pick(cands, 3, lambda c: c.relevance, 0.2)
        facts.sort(key=lambda c: (c.passage, c.position))
        parts.append("D'après les livrables :")
        parts.extend(f"- {_trim(c.text)} {citer.mark(c.passage)}" for c in facts)
        body = "\n".join(parts)
    if not citer.keys:
        return None
    cited = citer.cited
    text = f"{body}\n\n{further_reading(cited)}"
    return Answer(text=text, mode=mode, backend="extractive", abstained=False, citations=cited, question=question)
