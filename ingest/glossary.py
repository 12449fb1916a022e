"""Acronyms defined in the corpus ("RGESN (Référentiel général ...)"), collected at ingest time.

The plain-language mode spells out an acronym only with a definition found in the
deliverables themselves; nothing is guessed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from assistant.hostile import gives_orders, plain
from assistant.text import fold

ACRO = r"[A-Z][A-Z0-9&]{1,9}s?"
_ACRO_THEN_LONG = re.compile(rf"\b({ACRO})\s*\(([^()\n]{{6,120}})\)")
_LONG_THEN_ACRO = re.compile(rf"([A-Za-zÀ-ÿ'’\- ]{{6,140}})\(\s*({ACRO})\s*\)")
_GLOSSARY_LINE = re.compile(rf"^\s*(?:[-•→]\s*)?({ACRO})\s*[:–]\s*([^\n,;.()«»\"“”]{{6,120}})", re.MULTILINE)
GLOSSARY_WEIGHT = 2  # a line of a document's own glossary ("CCTP : cahier des clauses…") counts as this many uses
SMALL_WORDS = {  # joining words an acronym skips ("Référentiel Général d'Écoconception")
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "l",
    "d",
    "et",
    "en",
    "a",
    "au",
    "aux",
    "pour",
    "sur",
    "un",
    "une",
}


def _strip_elision(word: str) -> str:
    return re.sub(r"^(?:[dlqjnms]|qu)['’]", "", word)


def _initials_match(acro: str, words: list[str]) -> bool:
    """True when every word starts with the next letter of the acronym and the letters run out
    exactly at the last word; a word may also give further letters from inside it
    ("NUMérique" in DINUM, "écoConception" in RGESN)."""
    letters = [c for c in fold(acro.rstrip("s")) if c.isalnum()]
    ws = [fold(_strip_elision(w)) for w in words if _strip_elision(w)]
    if not letters or not ws or len(ws) > len(letters):
        return False

    def match(li: int, wi: int) -> bool:
        if wi == len(ws):
            return li == len(letters)
        w = ws[wi]
        if li >= len(letters) or w[:1] != letters[li]:
            return False
        # take the initial, then 0..n more letters found in order inside the word
        pos, li2 = 1, li + 1
        if match(li2, wi + 1):
            return True
        while li2 < len(letters):
            found = w.find(letters[li2], pos)
            if found < 0:
                return False
            pos, li2 = found + 1, li2 + 1
            if match(li2, wi + 1):
                return True
        return False

    return match(0, 0)


def _long_form_before(acro: str, before: str) -> str | None:
    """The words just before "(ACRO)" that spell it: one initial per word if possible
    ("Déchets d'Équipements Électriques et Électroniques"), else the shortest tail that does."""
    words = re.findall(r"[A-Za-zÀ-ÿ'’\-]+", before)
    n = len(acro.rstrip("s"))
    tails = []
    for start in range(len(words) - 1, max(-1, len(words) - 2 * n - 4), -1):
        tail = words[start:]
        content = [w for w in tail if fold(w) not in SMALL_WORDS]
        if fold(tail[0]) in SMALL_WORDS or len(content) < (n + 1) // 2:
            continue
        if _initials_match(acro, content):
            tails.append((len(content) == n, -len(tail), tail))
    if not tails:
        return None
    return " ".join(max(tails)[2])


def _tidy(long: str) -> str:
    """No leading article; a long form in capitals is written in ordinary case."""
    long = re.sub(r"^(?:l['’]|la |le |les |d['’]|des |du )", "", long.strip(), flags=re.IGNORECASE)
    letters = [c for c in long if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        long = long[0] + long[1:].lower()
    return long


def _spells(acro: str, long: str, strict: bool = False) -> bool:
    """Do the long form's words give the acronym's letters (``strict``: one word per letter)?"""
    words = [w for w in re.findall(r"[A-Za-zÀ-ÿ'’\-]+", long) if fold(w) not in SMALL_WORDS]
    n = len(acro.rstrip("s"))
    return (len(words) == n if strict else len(words) >= (n + 1) // 2) and _initials_match(acro, words)


def build_glossary(texts: Iterable[str]) -> dict[str, str]:
    """Acronym -> long form, keeping the most frequent definition of each acronym, whatever its case (a
    heading in capitals and a sentence give the same one), a line of a document's own glossary weighing
    ``GLOSSARY_WEIGHT`` uses: the purchasing guide's headings say "cahier des charges techniques
    particulières" three times, its glossary and its text "cahier des clauses…", the term of the code."""
    seen: dict[str, Counter] = defaultdict(Counter)
    forms: dict[str, str] = {}  # each long form's key -> its way with the fewest capitals after the first

    def count(acro: str, long: str, weight: int = 1) -> None:
        key = fold(long).lower()
        if key not in forms or sum(map(str.isupper, long[1:])) < sum(map(str.isupper, forms[key][1:])):
            forms[key] = long
        seen[acro][key] += weight

    for text in texts:
        for m in _GLOSSARY_LINE.finditer(text):
            # a line that only spells its acronym one word per letter, as a glossary does ("RSO : Responsabilité
            # Sociétale" is half of one; "COP : pour « Coefficient of Performance »" is a gloss)
            long = m.group(2).strip()
            if long[:1].isalpha() and fold(long.split()[0]) not in SMALL_WORDS and _spells(m.group(1), long, True):
                count(m.group(1), long, GLOSSARY_WEIGHT)
        flat = re.sub(r"\s+", " ", text)
        for m in _ACRO_THEN_LONG.finditer(flat):
            acro, long = m.group(1), m.group(2).strip(" ,;:")
            if _spells(acro, long):
                count(acro, long)
        for m in _LONG_THEN_ACRO.finditer(flat):
            acro = m.group(2)
            long = _long_form_before(acro, m.group(1))
            if long:
                count(acro, long)
    out = {a: _tidy(forms[c.most_common(1)[0][0]]) for a, c in sorted(seen.items())}
    # an élu answer spells these out: never a long form that speaks to an AI or carries markup
    return {a: long for a, long in out.items() if not gives_orders(long) and plain(long) == long}
