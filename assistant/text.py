"""French text helpers shared by ingestion and retrieval: accent folding, BM25 tokens, sentences."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(]?[A-ZÀ-ÝÉ0-9])")
_ABBREV = re.compile(r"(?:\b(?:art|p|pp|cf|ex|n°|no|vol|chap|M|Mme|env|etc)\.|\b[A-Z]\.)$")


def sentences(text: str) -> list[str]:
    """Split at sentence ends, not after "art.", "p.", "cf." or an initial."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


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
