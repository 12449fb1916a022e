"""Query expansion from the corpus's own words and from its acronym glossary.

A question word the corpus never uses ("écoconcevoir") is given the corpus's most frequent word that
begins with the same letters ("écoconception"), and an acronym the glossary defines ("RGESN") its
meaning. The question itself is kept whole: the additions follow it in brackets, for the embedder
and for both BM25 fields (``Retriever.search``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from assistant.text import FRAMING, fold, stopwords, tokens

EXPANSION_LETTERS = 7  # a word and its family share this many first letters (écoconc-evoir, écoconc-eption)
MIN_WORD = 8  # shorter words are left alone: their beginnings say too little
MAX_ADDED = 4  # words and meanings added to one question, at most

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# verb endings the French stemmer leaves on ("présentons" stays "presenton")
_VERB_ENDING = re.compile(r"(?:erions|eriez|erons|erez|eront|aient|ions|iez|ons|ez|ent|ait|ais)$")


class Vocabulary:
    """The corpus's words: the stems it uses, and for each beginning its most frequent written form."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w.lower() for w in _WORD.findall(text))
        self.stems = set(tokens(" ".join(counts)))
        self.family: dict[str, str] = {}
        for word, _ in counts.most_common():  # most frequent first: the first form seen for a beginning wins
            if len(word) >= MIN_WORD and "-" not in word:
                self.family.setdefault(fold(word)[:EXPANSION_LETTERS], word)

    def relative(self, word: str) -> str | None:
        """The corpus's word of the same family, for a word whose stem the corpus never uses: "écoconception"
        for "écoconcevoir"; None for "municipales", whose stem the corpus has."""
        folded = fold(word)
        if len(folded) < MIN_WORD or folded in stopwords() or folded in FRAMING:
            return None
        if set(tokens(word)) <= self.stems or set(tokens(_VERB_ENDING.sub("", folded))) <= self.stems:
            return None  # the corpus has the word, maybe inflected otherwise ("présentons", "présente")
        return self.family.get(folded[:EXPANSION_LETTERS])


def expand_query(query: str, vocabulary: Vocabulary | None, glossary: dict[str, str]) -> str:
    """The question, followed in brackets by the corpus's words for its unknown words and by the
    meanings of its acronyms; unchanged when there is nothing to add."""
    added: list[str] = []
    if vocabulary is not None:
        for word in _WORD.findall(query):
            rel = vocabulary.relative(word)
            if rel and rel not in added:
                added.append(rel)
    for acro, meaning in glossary.items():
        if re.search(rf"\b{re.escape(acro)}\b", query) and fold(meaning) not in fold(query):
            added.append(meaning)
    added = added[:MAX_ADDED]
    return f"{query} ({', '.join(added)})" if added else query
