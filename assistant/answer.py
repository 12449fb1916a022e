"""Answers: ask(question, ...) -> Answer for every backend, with citations checked."""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import CapacitiesError
from assistant.settings import Settings

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def check_question(question: str, settings: Settings) -> str:
    """The question cleaned of control characters, or a French error saying what to change."""
    q = unicodedata.normalize("NFC", question or "")
    q = _CONTROL.sub(" ", q)
    q = re.sub(r"[ \t]+", " ", q).strip()
    if not q:
        raise CapacitiesError(
            "La question est vide : écrivez une question, par exemple « Comment organiser un atelier ? »."
        )
    if len(q) > settings.max_question_chars:
        raise CapacitiesError(
            f"La question fait {len(q):,} caractères ; la limite est de {settings.max_question_chars:,}. "
            "Posez une question plus courte (une ou deux phrases).".replace(",", "\u202f")
        )
    if not re.search(r"\w", q):
        raise CapacitiesError("La question ne contient aucun mot : reformulez-la.")
    return q
