"""Storage faults and resource limits (issue 18): the previous index stays in service, and the next
ingestion repairs what a fault left behind: after each fault, the next ingestion equals a clean
rebuild (docs/faults.md)."""

from __future__ import annotations

import logging
import time

import pytest

from assistant.answer import Assistant
from assistant.errors import CapacitiesError
from assistant.retrieve import Retriever
from assistant.store import LexicalIndex
from ingest.clean import join_hyphenated
from ingest.pipeline import run_ingest
from tests.fakes import HashEmbedder
from tests.helpers import assert_equals_fresh_rebuild, make_pdf, write_md

BODY = "# Publier\n\nPour publier les données, la commune prépare un fichier CSV et le dépose sur data.gouv.fr.\n"


@pytest.mark.parametrize("victim", ["chunks.json", "glossary.json"])
def test_an_emptied_index_file_is_a_french_error_then_repaired_by_the_next_ingest(settings, victim, tmp_path):
    write_md(settings.corpus_dir, "a.md", BODY)
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok
    path = next(p for p in settings.data_dir.rglob(victim) if ".old" not in str(p))
    path.write_bytes(b"")  # what a power cut before the data reached the disk leaves
    if victim == "chunks.json":
        with pytest.raises(CapacitiesError, match="illisible"):
            LexicalIndex.load(settings.bm25_dir)
    else:  # answers go on without the glossary
        a = Assistant.load(settings, Retriever(settings, embedder=HashEmbedder(256)))
        assert a.glossary == {}
    report = run_ingest(settings, embedder=HashEmbedder(256), progress=False)
    assert report.ok and report.unchanged == ["a.md"]
    assert LexicalIndex.readable(settings.bm25_dir) and path.read_bytes().strip()
    chunks = LexicalIndex.load(settings.bm25_dir).chunks
    assert chunks and "data.gouv.fr" in chunks[0].text
    assert_equals_fresh_rebuild(settings, tmp_path)


def test_a_long_run_of_letters_is_cleaned_in_linear_time():
    """The timed figure is benchmarks-side; here, 4x the input must not cost 16x (it did: quadratic)."""

    def seconds(n: int) -> float:
        t0 = time.perf_counter()
        join_hyphenated("a" * n + "-\nb")
        return time.perf_counter() - t0

    small, large = min(seconds(50_000) for _ in range(3)), min(seconds(200_000) for _ in range(3))
    assert large < 8 * max(small, 1e-4), (small, large)


def test_unpublished_passages_never_crowd_out_the_published_ones(settings):
    """Issue 18, point 7: during an ingestion, new passages filled the dense candidates, then were dropped."""
    from dataclasses import replace

    from assistant.store import DenseStore

    long = "La commune publie ses jeux de données sur le portail national et décrit chacun d'eux. " * 10
    write_md(settings.corpus_dir, "a.md", "\n\n".join(f"Partie {i}. Les données ouvertes. {long}" for i in range(5)))
    emb = HashEmbedder(256)
    assert run_ingest(settings, embedder=emb, progress=False).ok
    s = replace(settings, candidates=3, bm25_weight=0.0, top_k=3, max_per_page=10)
    question = "les données ouvertes de la commune"
    before = Retriever(s, embedder=emb).search(question)
    # what an ingestion in progress has stored and not yet published: passages closer to the question
    store = DenseStore(s, emb.name, emb.dim)
    new = [
        LexicalIndex.load(s.bm25_dir).chunks[0].__class__(f"new-{i}", question, "b.md", "B", 1, 1, "", i)
        for i in range(10)
    ]
    store.upsert(new, emb.embed_documents([c.text for c in new]))
    during = Retriever(s, embedder=emb).search(question)
    assert len(before) == 3 and [p.id for p in during] == [p.id for p in before]


def test_a_file_that_changes_while_it_is_read_is_read_again_next_time(settings, tmp_path):
    """Issue 18, point 5: hashed at "3 €", read at "9 €", put back to "3 €": it stayed "9 €" for good."""
    from ingest.load import load_document

    path = write_md(settings.corpus_dir, "tarif.md", "# Tarif\n\nL'adhésion coûte 3 € par habitant et par an.\n")

    def loader(p, root, ocr=True):  # noqa: ANN001, ANN202 - the file changes between the hash and the read
        p.write_text("# Tarif\n\nL'adhésion coûte 9 € par habitant et par an.\n", encoding="utf-8")
        doc = load_document(p, root, ocr=ocr)
        p.write_text("# Tarif\n\nL'adhésion coûte 3 € par habitant et par an.\n", encoding="utf-8")
        return doc

    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False, loader=loader).ok
    report = run_ingest(settings, embedder=HashEmbedder(256), progress=False)
    assert report.updated == ["tarif.md"]  # not "inchangé": what was indexed was not this file
    text = " ".join(c.text for c in LexicalIndex.load(settings.bm25_dir).chunks)
    assert "3 €" in text and "9 €" not in text and path.is_file()
    assert_equals_fresh_rebuild(settings, tmp_path)


@pytest.mark.parametrize(
    ("limit", "value"), [("max_doc_chars", 20_000), ("max_doc_passages", 10), ("max_doc_pages", 30)]
)
def test_a_document_over_a_size_limit_is_refused_and_its_previous_version_kept(settings, limit, value, tmp_path):
    """Issue 18, point 8: a 30 MB Markdown file became 34,494 passages, hours of embedding, lock held."""
    from dataclasses import replace

    from ingest import pdf

    name = "gros.pdf" if limit == "max_doc_pages" else "gros.md"
    if name.endswith(".pdf"):
        make_pdf(settings.corpus_dir / name, [BODY])
    else:
        write_md(settings.corpus_dir, name, BODY)
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok
    sentence = "La commune publie un jeu de données de plus, avec sa description et sa licence. "
    if name.endswith(".pdf"):
        make_pdf(settings.corpus_dir / name, [sentence * 3] * 40)
    else:
        write_md(settings.corpus_dir, name, "# Gros\n\n" + "\n\n".join(sentence * 12 for _ in range(40)))
    read = []
    real_load = pdf.load_pdf
    pdf_load = lambda *a, **k: read.append(a) or real_load(*a, **k)  # noqa: E731
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("ingest.load.load_pdf", pdf_load, raising=False)
        report = run_ingest(replace(settings, **{limit: value}), embedder=HashEmbedder(256), progress=False)
    assert not read  # refused on its page count alone, before its pages are read (or not a PDF)
    msg = report.failed[name]
    assert "document trop volumineux" in msg and f"CAPACITIES_{limit.upper()}" in msg and "découpez" in msg
    assert report.embedded == 0
    assert "data.gouv.fr" in " ".join(c.text for c in LexicalIndex.load(settings.bm25_dir).chunks)  # still v1
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok  # within the default limits
    assert_equals_fresh_rebuild(settings, tmp_path)


def test_chromas_compaction_error_on_a_full_disk_is_named_and_readers_keep_answering(
    settings, monkeypatch, tmp_path, caplog
):
    """Issue 18, point 2: "chromadb.errors.InternalError: Error in compaction…" came as a traceback, and
    every search crashed afterwards."""
    from assistant.store import DenseStore

    write_md(settings.corpus_dir, "a.md", BODY)
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok
    write_md(settings.corpus_dir, "b.md", BODY.replace("Publier", "Partager"))

    def compaction(*_a, **_k):  # noqa: ANN202
        raise RuntimeError("Error in compaction: Failed to apply logs to the metadata segment")

    monkeypatch.setattr(DenseStore, "upsert", compaction)
    with pytest.raises(CapacitiesError, match="Ingestion arrêtée") as exc:
        run_ingest(settings, embedder=HashEmbedder(256), progress=False)
    assert "index précédent reste en service" in str(exc.value)

    def backfill(*_a, **_k):  # noqa: ANN202 - what a search met on a really full disk (tmpfs, 150 KB free)
        raise RuntimeError("Error executing plan: Error sending backfill request to compactor: Failed to apply logs")

    monkeypatch.setattr(DenseStore, "query", backfill)  # the store opens, but cannot even be read now
    retriever = Retriever(settings, embedder=HashEmbedder(256))
    with caplog.at_level(logging.WARNING, logger="capacities"):
        hits = retriever.search("publier les données sur data.gouv.fr")
    assert hits and hits[0].source == "a.md"  # BM25 alone, from the previous index
    assert "Index vectoriel illisible pendant la recherche" in retriever.degraded and "mots-clés" in retriever.degraded
    assert caplog.records and not any(r.exc_info for r in caplog.records)  # said in French, no traceback
    monkeypatch.undo()
    assert retriever.search("publier les données sur data.gouv.fr") and retriever.degraded == ""  # space freed
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok
    assert_equals_fresh_rebuild(settings, tmp_path)


@pytest.mark.parametrize("temp_too", [False, True])
def test_a_vector_index_that_a_full_disk_keeps_closed_is_read_from_a_copy_or_left_aside(
    settings, monkeypatch, tmp_path, temp_too
):
    """Issue 18, point 2: "With the disk at 100 %, readers crash even with no ingest running" (SQLite
    could not open). A reader then reads a copy in the temporary folder; when that disk is full too,
    it answers from BM25 alone and says so."""
    import chromadb

    from assistant import store

    write_md(settings.corpus_dir, "a.md", BODY)
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok
    store.reset_chroma_cache()
    real, opened = chromadb.PersistentClient, []

    def persistent(path, **kw):  # noqa: ANN001, ANN202 - SQLite's words on a full disk, for the data folder
        opened.append(path)
        if path == str(settings.chroma_dir) or temp_too:
            raise RuntimeError("error returned from database: (code: 13) database or disk is full")
        return real(path=path, **kw)

    monkeypatch.setattr(chromadb, "PersistentClient", persistent)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    import os

    stale, recent = (tmp_path / "tmp" / f"capacities-chroma-{os.getuid()}-{n}" for n in ("old", "new"))
    stale.mkdir(), recent.mkdir()
    os.utime(stale, (time.time() - 2 * 86400,) * 2)  # an earlier snapshot's copy, two days old
    assistant = Assistant.load(settings, Retriever(settings, embedder=HashEmbedder(256)))
    ans = assistant.ask("Comment publier les données sur data.gouv.fr ?")
    assert not ans.abstained and ans.citations[0].source == "a.md"
    assert len(opened) == 2 and opened[1].startswith(str(tmp_path / "tmp"))  # the folder, then its copy
    assert not stale.exists() and recent.exists()  # old copies do not pile up in the temporary folder
    if temp_too:
        assert assistant.retriever.dense is None and all(p.dense is None for p in ans.citations)
        assert any("Index vectoriel illisible" in w and "mots-clés" in w for w in ans.warnings)
    else:
        assert assistant.retriever.dense is not None and ans.citations[0].dense is not None and not ans.warnings
    with pytest.raises(RuntimeError, match="disk is full"):  # a writer never writes to a copy
        store.chroma_client(settings)
