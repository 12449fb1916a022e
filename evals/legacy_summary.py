"""The deliverable summary before 2026-12-07 (``assistant.summary`` at d0feded), so that ``evals.summaries``
can set it beside the summary in service: the same ranking (frequent words per part) over the body
sentences it read then, noun phrases included ("Jeu de données du registre parcellaire bio.")."""

from __future__ import annotations

from assistant import summary
from assistant.compose import Unit


def body_units(passages: list, mode: str) -> list[Unit]:  # noqa: ANN001
    """The body sentences the previous summary chose from (noun phrases included)."""
    return summary.body_units(passages, mode, statements=False)


def key_points(passages: list, mode: str) -> list[Unit]:  # noqa: ANN001
    """The units the previous summary quoted, in reading order: the same ranking, over its body sentences."""
    return summary.key_points(passages, mode, units_of=body_units)
