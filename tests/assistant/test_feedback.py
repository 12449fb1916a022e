"""Feedback on answers, stored, updated and listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.feedback import FeedbackStore
from assistant.types import Answer
from tests.helpers import PASSAGE


def test_feedback_is_stored_updated_and_listed(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite")
    answer = Answer("Réponse [1]", "agent", "extractive", False, citations=[PASSAGE])
    up = store.add("Question A ?", answer, 1)
    down = store.add("Question B ?", answer, 0, "il manque une étape")
    store.update(up, rating=0)
    store.update(up, comment="  page fausse  ")
    assert store.counts() == {"up": 0, "down": 2}
    rows = store.latest(rating=0)
    assert [r["id"] for r in rows] == [down, up]  # newest first
    assert rows[1]["comment"] == "page fausse" and rows[0]["comment"] == "il manque une étape"
    assert rows[0]["pages"] == [{"source": "pdf/g.pdf", "page": 2}]
    assert rows[0]["answer"] == "Réponse [1]"
    with pytest.raises(ValueError):
        store.add("Q", answer, 5)


def test_feedback_past_its_retention_is_purged(tmp_path: Path) -> None:
    import sqlite3

    store = FeedbackStore(tmp_path / "fb.sqlite")
    answer = Answer("Réponse [1]", "agent", "extractive", False, citations=[PASSAGE])
    old, recent = store.add("Ancienne ?", answer, 0, "vieux"), store.add("Récente ?", answer, 1)
    with sqlite3.connect(store.path) as db:  # the first one was given 400 days ago
        db.execute("UPDATE feedback SET created = datetime('now', 'localtime', '-400 days') WHERE id = ?", (old,))
    assert store.purge(0) == 0 and store.counts() == {"up": 1, "down": 1}  # 0: kept without limit
    assert store.purge(365) == 1
    assert [r["id"] for r in store.latest(rating=None)] == [recent]
