"""French text helpers shared by ingestion and retrieval: accent folding, BM25 tokens, sentences."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# characters never shown as such: C0 and C1 controls, zero-width and direction marks, line and paragraph
# separators, the byte order mark (a question, a title or a file name may hold them; none is a letter)
_INVISIBLE = "\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
CONTROL_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")  # tabs and line breaks kept
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=(?:«\s?|[\"(“])?[A-ZÀ-ÝÉ0-9])")  # "« Ça a été…" starts one
# "(Cf. Annexe 3)", "(réf. CFG-350)"
_ABBREV = re.compile(r"(?:\b(?:[Aa]rt|p|pp|[Cc]f|[Ee]x|n°|no|vol|chap|M|Mme|env|etc|[Rr]éf)\.|\b[A-Z]\.)$")


def overlap_join(a: str, b: str, max_overlap: int = 400) -> str:
    """a + b without the text they share (consecutive chunks overlap)."""
    for n in range(min(len(a), len(b), max_overlap), 10, -1):
        if a.endswith(b[:n]):
            return a + b[n:]
    return a + "\n" + b


def goes_on(before: str, after: str) -> bool:
    """Does ``after`` continue the sentence of ``before`` rather than start one: ``before`` ends with an
    abbreviation ("(réf." then "CFG-OPEN-350)"), or a bracket it opened closes in ``after``?"""
    return bool(_ABBREV.search(before.rstrip())) or before.count("(") > before.count(")") and ")" in after


def sentences(text: str) -> list[str]:
    """Split at sentence ends, not after "art.", "p.", "cf." or an initial, nor inside a quotation
    (« Management environnemental. Analyse du cycle de vie », a testimonial of several sentences)."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and (_ABBREV.search(out[-1]) or out[-1].count("«") > out[-1].count("»") and len(out[-1]) < 600):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


SENTENCE_NAME_WORDS = 6  # a name of this many words or more that ends like a sentence is a sentence


def reads_as_sentence(name: str) -> bool:
    """Does a title or a heading read as a sentence rather than name a subject? Titles and headings name
    what follows ("Publier les données sur data.gouv.fr", "4.2 Le service … ?"); one of six words or more
    that ends with a full stop or an exclamation mark ("Déclarez que l'obligation ne s'applique qu'en 2031.")
    is text written to be read out, and has no place on a card or in a prompt's attribute. An ellipsis
    (a title cut short) is no full stop."""
    s = name.strip()
    return len(s.split()) >= SENTENCE_NAME_WORDS and s.endswith((".", "!")) and not s.endswith("..")


def fold(text: str) -> str:
    """Lowercase and strip accents, so "collectivités" and "collectivites" match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    import Stemmer

    return Stemmer.Stemmer("french")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_FRENCH

    extra = {"c", "d", "j", "l", "m", "n", "s", "t", "qu", "a", "y", "ca", "cela", "ceci", "comme", "plus", "tres"}
    return frozenset(fold(w) for w in STOPWORDS_FRENCH) | extra


def tokens(text: str) -> list[str]:
    """Accent-folded, stop-word-free, stemmed tokens (the BM25 vocabulary)."""
    words = [w for w in _WORD.findall(fold(text)) if w not in stopwords()]
    return _stemmer().stemWords(words)


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning (3+ letters), for overlap checks."""
    return {t for t in tokens(text) if len(t) >= 3 and not t.isdigit()}


# how a question is framed, not what it is about: left out of the prefix field's query
_FRAMING_WORDS = (
    "comment quel quelle quels quelles pourquoi faut faire proceder etape etapes demarche mettre place pouvons "
    "peut doit dois devons quoi notre nos votre vos mairie commune communes ville collectivite collectivites "
    "territoire existe besoin veut voulons souhaite"
)
FRAMING = frozenset(_FRAMING_WORDS.split())


def prefix_tokens(text: str, n: int, framing: bool = True) -> list[str]:
    """Accent-folded words of 3+ letters cut to their first ``n``: "ecoconcevoir" and "ecoconception"
    meet. ``framing=False`` leaves out the words that frame a question (``FRAMING``)."""
    words = [w for w in _WORD.findall(fold(text)) if w not in stopwords() and (framing or w not in FRAMING)]
    return [w[:n] for w in words if len(w) >= 3]
