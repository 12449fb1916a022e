"""The typed manifest: read, written atomically, tolerant of older files; the model check; the lock."""

from __future__ import annotations

import json

import pytest

from assistant.errors import CapacitiesError
from ingest.manifest import VERSION, DocumentEntry, Manifest, ingest_lock


def test_a_manifest_round_trips_and_reads_older_entries(tmp_path):
    path = tmp_path / "manifest.json"
    m = Manifest(embed_model="m", pipeline="p", dirty=True)
    m.documents["a.md"] = DocumentEntry("h", "A", pages=1, chunks=2, ids=["x", "y"], ingested_at="2026-12-02T10:00:00")
    m.write(path)
    assert Manifest.read(path) == m
    assert not list(tmp_path.glob(".manifest.json.*.tmp"))  # written beside it, then renamed
    # an entry written before ids, counts of embedded chunks and dates were recorded, with a key unknown today
    old = {"sha256": "h", "title": "A", "pages": 1, "chunks": 2, "stats": {}, "someday": 1}
    path.write_text(json.dumps({"version": VERSION, "embed_model": "m", "documents": {"a.md": old}}))
    entry = Manifest.read(path).documents["a.md"]
    assert entry.ids is None and entry.embedded == 0 and entry.ingested_at == "" and entry.chunks == 2


@pytest.mark.parametrize("content", ["", "{", json.dumps({"version": VERSION + 1, "documents": {"a": {}}}), "[]"])
def test_an_unreadable_or_foreign_manifest_reads_as_empty(tmp_path, content):
    path = tmp_path / "manifest.json"
    path.write_text(content)
    assert Manifest.read(path) == Manifest()


def test_vectors_of_another_model_are_refused():
    Manifest(embed_model=None).check_model("m")  # a new index takes any model
    Manifest(embed_model="m").check_model("m")
    with pytest.raises(CapacitiesError, match="--rebuild"):
        Manifest(embed_model="m").check_model("autre")


def test_the_lock_is_taken_once(settings):
    with ingest_lock(settings), pytest.raises(CapacitiesError, match="Une autre ingestion"), ingest_lock(settings):
        pass
    with ingest_lock(settings):  # released with its holder
        pass
