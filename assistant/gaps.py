"""Gaps and contributions: what the corpus could not answer, and what readers flag, as the maintainers'
backlog for the next version of the deliverables.

Two kinds of records, in SQLite (``Settings.gaps_path``), with no personal data (no address, no account):
- a **gap**: a question the assistant abstained on, or whose answer got a thumbs-down; with its mode, the
  nearest documents and the best score. After an ingestion, open gaps are asked again (``recheck``): those
  now answered are marked as covered by the document that answers them.
- a **flag**: raised by a reader on a cited passage (erreur, information obsolète, manque, autre), with
  the passage, document, page, question and comment.

Each has a triage status (nouveau, accepté, intégré au livrable, rejeté) and a note. Questions are grouped
by theme (``cluster``: their vectors from the project's embedding model, grouped when close enough) and
each group is labelled by its most telling words.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.types import Answer, Passage

KINDS = {"erreur": "Erreur", "obsolete": "Information obsolète", "manque": "Manque", "autre": "Autre"}
STATUSES = {"nouveau": "Nouveau", "accepte": "Accepté", "integre": "Intégré au livrable", "rejete": "Rejeté"}
GAP_REASONS = {"abstention": "sans réponse", "pouce_bas": "réponse mal notée"}
SIMILAR = 0.65  # mean cosine for one theme: EmbeddingGemma groups the test set right from 0.60 to 0.70 (test_gaps)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS gaps (id INTEGER PRIMARY KEY, created TEXT NOT NULL, question TEXT NOT NULL,"
    " mode TEXT NOT NULL, reason TEXT NOT NULL, nearest TEXT NOT NULL, best_score REAL,"
    " status TEXT NOT NULL DEFAULT 'nouveau', note TEXT NOT NULL DEFAULT '', covered_by TEXT, covered_at TEXT)",
    "CREATE TABLE IF NOT EXISTS flags (id INTEGER PRIMARY KEY, created TEXT NOT NULL, kind TEXT NOT NULL,"
    " comment TEXT NOT NULL, question TEXT NOT NULL, passage_id TEXT NOT NULL, source TEXT NOT NULL,"
    " page INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'nouveau', note TEXT NOT NULL DEFAULT '')",
)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


class GapStore:
    """Gaps and flags. Safe for several app sessions at once: each call is its own short transaction
    (SQLite in WAL mode, waiting up to 10 s for another writer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            for sql in _SCHEMA:
                db.execute(sql)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def _write(self, sql: str, args: tuple) -> int:
        db = self._connect()
        try:
            with db:
                return int(db.execute(sql, args).lastrowid or 0)
        finally:
            db.close()

    def _rows(self, sql: str, args: tuple = ()) -> list[dict]:
        db = self._connect()
        try:
            return [dict(r) for r in db.execute(sql, args).fetchall()]
        finally:
            db.close()

    # --- recording

    def record_gap(self, question: str, answer: Answer, passages: Sequence[Passage], reason: str) -> int:
        """A question the corpus did not answer (``abstention``) or answered badly (``pouce_bas``)."""
        if reason not in GAP_REASONS:
            raise ValueError(f"reason: {', '.join(GAP_REASONS)}")
        nearest = list(dict.fromkeys(p.source for p in [*answer.citations, *passages]))[:3]
        best = max((p.dense for p in passages if p.dense is not None), default=None)
        return self._write(
            "INSERT INTO gaps (created, question, mode, reason, nearest, best_score) VALUES (?, ?, ?, ?, ?, ?)",
            (_now(), question.strip()[:2000], answer.mode, reason, json.dumps(nearest), best),
        )

    def flag(self, passage: Passage, question: str, kind: str, comment: str = "") -> int:
        """A reader's flag on a cited passage."""
        if kind not in KINDS:
            raise ValueError(f"kind: {', '.join(KINDS)}")
        return self._write(
            "INSERT INTO flags (created, kind, comment, question, passage_id, source, page)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                _now(),
                kind,
                comment.strip()[:2000],
                question.strip()[:2000],
                passage.id,
                passage.source,
                passage.page_start,
            ),
        )

    def triage(self, table: str, record_id: int, status: str, note: str | None = None) -> None:
        if table not in ("gaps", "flags") or status not in STATUSES:
            raise ValueError("table: gaps | flags ; status: " + ", ".join(STATUSES))
        self._write(f"UPDATE {table} SET status = ? WHERE id = ?", (status, record_id))
        if note is not None:
            self._write(f"UPDATE {table} SET note = ? WHERE id = ?", (note.strip()[:2000], record_id))

    def mark_covered(self, gap_id: int, source: str) -> None:
        self._write("UPDATE gaps SET covered_by = ?, covered_at = ? WHERE id = ?", (source, _now(), gap_id))

    # --- reading

    def gaps(self, since: str = "", open_only: bool = False) -> list[dict]:
        where = "WHERE created >= ?" + (" AND covered_by IS NULL AND status != 'rejete'" if open_only else "")
        rows = self._rows(f"SELECT * FROM gaps {where} ORDER BY id", (since,))
        return [r | {"nearest": json.loads(r["nearest"])} for r in rows]

    def flags(self, since: str = "") -> list[dict]:
        return self._rows("SELECT * FROM flags WHERE created >= ? ORDER BY source, page, id", (since,))

    def purge(self, older_than_days: int) -> int:
        """Delete the gaps and flags older than this many days (0 or less: keep everything)."""
        if older_than_days <= 0:
            return 0
        cutoff = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() - older_than_days * 86_400))
        db = self._connect()
        try:
            with db:
                return sum(
                    db.execute(f"DELETE FROM {t} WHERE created < ?", (cutoff,)).rowcount for t in ("gaps", "flags")
                )
        finally:
            db.close()


def gap_store(settings) -> GapStore:  # noqa: ANN001
    return GapStore(settings.gaps_path)


# --------------------------------------------------------------------------- themes


@dataclass
class Group:
    label: str  # its most telling words
    gaps: list[dict]

    @property
    def size(self) -> int:
        return len(self.gaps)

    def trend(self, weeks: int = 4, now: float | None = None) -> list[int]:
        """How many of its questions came in each of the last ``weeks`` weeks, oldest first."""
        now = now or time.time()
        out = [0] * weeks
        for g in self.gaps:
            age = (now - time.mktime(time.strptime(g["created"], "%Y-%m-%d %H:%M:%S"))) / (7 * 86_400)
            if 0 <= age < weeks:
                out[weeks - 1 - int(age)] += 1
        return out


def _cos(a: Sequence[float], b: Sequence[float]) -> float:
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb) if na and nb else 0.0


def cluster(vectors: Sequence[Sequence[float]], threshold: float = SIMILAR) -> list[list[int]]:
    """Indexes grouped by theme: average-linkage agglomeration, two groups merged while the mean cosine
    between their members stays at or above ``threshold``. A question alike to no other stays alone."""
    groups = [[i] for i in range(len(vectors))]
    sim = [[_cos(a, b) for b in vectors] for a in vectors]
    while True:
        best, pair = threshold, None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                mean = sum(sim[a][b] for a in groups[i] for b in groups[j]) / (len(groups[i]) * len(groups[j]))
                if mean >= best:
                    best, pair = mean, (i, j)
        if pair is None:
            return sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))
        i, j = pair
        groups[i] += groups.pop(j)


def label(questions: Sequence[str], all_questions: Sequence[str], words: int = 3) -> str:
    """The group's most telling words: frequent in the group, rare in the other questions."""
    from assistant.screening import GENERIC_WORDS
    from assistant.text import fold

    def bag(q: str) -> set[str]:
        return {w for w in (fold(t) for t in q.replace("’", "'").replace("'", " ").split()) if len(w) > 3} - {
            fold(g) for g in GENERIC_WORDS
        }

    inside = Counter(w for q in questions for w in bag(q))
    everywhere = Counter(w for q in all_questions for w in bag(q))
    score = {w: n * math.log((1 + len(all_questions)) / (1 + everywhere[w])) + n for w, n in inside.items()}
    top = sorted(score, key=lambda w: (-score[w], w))[:words]
    return ", ".join(w.strip("?,.;:!«»()") for w in top) or "divers"


def themes(
    gaps: list[dict], embed: Callable[[list[str]], list[list[float]]], threshold: float = SIMILAR
) -> list[Group]:
    """The gaps grouped by theme, the largest first; a lone question is a group of one."""
    if not gaps:
        return []
    questions = [g["question"] for g in gaps]
    groups = cluster(embed(questions), threshold)
    return [Group(label([questions[i] for i in idx], questions), [gaps[i] for i in idx]) for idx in groups]


# --------------------------------------------------------------------------- the loop, and reports


def recheck(store: GapStore, assistant, fresh: Sequence[str] = ()) -> list[tuple[int, str]]:  # noqa: ANN001
    """Ask the open gaps again on the current index; those now answered are marked as covered by the
    document cited first (one of ``fresh``, the deliverables just added or updated, when it is cited).
    Returns (gap id, covering document)."""
    covered = []
    for g in store.gaps(open_only=True):
        answer = assistant.ask(g["question"], mode=g["mode"], backend="extractive")
        if answer.abstained or not answer.citations:
            continue
        cited = [p.source for p in answer.citations]
        source = next((src for src in cited if src in fresh), None)
        if g["reason"] == "pouce_bas" and source is None:
            continue  # a badly rated answer is only covered by a new or updated deliverable
        source = source or cited[0]
        store.mark_covered(g["id"], source)
        covered.append((g["id"], source))
    return covered


def to_csv(gaps: list[dict], flags: list[dict]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["type", "id", "date", "nature", "question", "document", "page", "statut", "note", "couvert par"])
    for g in gaps:
        w.writerow(
            [
                "lacune",
                g["id"],
                g["created"],
                GAP_REASONS[g["reason"]],
                g["question"],
                "; ".join(g["nearest"]),
                "",
                STATUSES[g["status"]],
                g["note"],
                g["covered_by"] or "",
            ]
        )
    for f in flags:
        w.writerow(
            [
                "signalement",
                f["id"],
                f["created"],
                KINDS[f["kind"]],
                f["question"],
                f["source"],
                f["page"],
                STATUSES[f["status"]],
                f["note"] or f["comment"],
                "",
            ]
        )
    return out.getvalue()


def report_for(source: str, title: str, gaps: list[dict], flags: list[dict]) -> str:
    """Markdown for the authors of one deliverable: "retours pour la prochaine version de …"."""
    from assistant.render import escape_markdown

    mine = [f for f in flags if f["source"] == source and f["status"] != "rejete"]
    near = [g for g in gaps if source in g["nearest"] and g["status"] != "rejete" and not g["covered_by"]]
    out = [f"# Retours pour la prochaine version de « {escape_markdown(title)} »", "", f"Document : `{source}`.", ""]
    out += ["## Signalements des lecteurs", ""]
    for f in sorted(mine, key=lambda f: (f["page"], f["id"])):
        out.append(
            f"- p. {f['page']} — **{KINDS[f['kind']]}** ({STATUSES[f['status']]}) : "
            f"{escape_markdown(f['comment'] or '—')}"
            f" — question : « {escape_markdown(f['question'])} »"
        )
    out += ["" if mine else "Aucun.", "", "## Questions sans bonne réponse dont ce document est le plus proche", ""]
    out += [f"- « {escape_markdown(g['question'])} » ({GAP_REASONS[g['reason']]}, {g['created'][:10]})" for g in near]
    out += [] if near else ["Aucune."]
    return "\n".join(out).rstrip() + "\n"
