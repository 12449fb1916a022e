"""Feedback on answers: thumbs up or down with an optional comment, kept in SQLite with the question,
the answer and the cited pages, for the maintainers' review."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from assistant.settings import Settings
from assistant.types import Answer


class FeedbackStore:
    """Thumbs up/down with an optional comment, kept with the question, the answer and the cited pages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, created TEXT NOT NULL,"
                " rating INTEGER NOT NULL, comment TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,"
                " mode TEXT NOT NULL, backend TEXT NOT NULL, abstained INTEGER NOT NULL, pages TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: Answer, rating: int, comment: str = "") -> int:
        if rating not in (0, 1):
            raise ValueError("rating: 0 (pouce en bas) ou 1 (pouce en haut)")
        pages = [{"source": p.source, "page": p.page_start} for p in answer.citations]
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, rating, comment, question, answer, mode, backend, abstained, pages)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.strftime("%Y-%m-%d %H:%M:%S"),
                    rating,
                    comment.strip()[:2000],
                    question,
                    answer.text,
                    answer.mode,
                    answer.backend,
                    int(answer.abstained),
                    json.dumps(pages, ensure_ascii=False),
                ),
            )
            return int(cur.lastrowid)

    def update(self, feedback_id: int, rating: int | None = None, comment: str | None = None) -> None:
        """Change the rating (the user clicked the other thumb) or add the comment of a stored feedback."""
        with self._connect() as db:
            if rating is not None:
                db.execute("UPDATE feedback SET rating = ? WHERE id = ?", (int(rating), feedback_id))
            if comment is not None:
                db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip()[:2000], feedback_id))

    def latest(self, rating: int | None = 0, limit: int = 50) -> list[dict]:
        """The latest feedback, thumbs-down only by default (what maintainers need to look at)."""
        where, args = ("WHERE rating = ?", (rating, limit)) if rating is not None else ("", (limit,))
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(f"SELECT * FROM feedback {where} ORDER BY id DESC LIMIT ?", args).fetchall()
        return [dict(r) | {"pages": json.loads(r["pages"])} for r in rows]

    def purge(self, older_than_days: int) -> int:
        """Delete the feedback older than this many days (0 or less: keep everything); how many went."""
        if older_than_days <= 0:
            return 0
        cutoff = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() - older_than_days * 86_400))
        with self._connect() as db:
            return db.execute("DELETE FROM feedback WHERE created < ?", (cutoff,)).rowcount

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            up, down = db.execute(
                "SELECT COALESCE(SUM(rating), 0), COALESCE(SUM(1 - rating), 0) FROM feedback"
            ).fetchone()
        return {"up": int(up), "down": int(down)}


def feedback_store(settings: Settings) -> FeedbackStore:
    return FeedbackStore(settings.feedback_path)
