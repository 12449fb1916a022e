"""Plain-language measure: the Kandel–Moles index (Flesch adapted to French).

207 − 1.015 × words per sentence − 73.6 × syllables per word; above 80 reads easily,
around 50 is hard. Syllables are counted as groups of vowels (a French approximation).
"""

from __future__ import annotations

import re

_VOWELS = re.compile(r"[aeiouyàâäéèêëîïôöùûüœæ]+", re.IGNORECASE)


def syllables(word: str) -> int:
    w = word.lower()
    if len(w) > 3 and w.endswith("e") and not w.endswith(("ée", "ie")):
        w = w[:-1]  # a final mute e is not a syllable
    return max(1, len(_VOWELS.findall(w)))


def kandel_moles(text: str) -> float:
    text = re.sub(r"\[\d+\]|\([^)]*\.pdf[^)]*\)", " ", text)
    sentences = [s for s in re.split(r"[.!?…:\n]+", text) if re.search(r"\w", s)]
    words = re.findall(r"[A-Za-zÀ-ÿœæ]+(?:['’-][A-Za-zÀ-ÿœæ]+)*", text)
    if not sentences or not words:
        return 0.0
    wps = len(words) / len(sentences)
    spw = sum(syllables(w) for w in words) / len(words)
    return 207 - 1.015 * wps - 73.6 * spw
