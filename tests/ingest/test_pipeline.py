"""Incremental ingestion on a private corpus with the fake embedder and a persistent Chroma."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from assistant.store import DenseStore, LexicalIndex
from ingest.manifest import Manifest
from ingest.pipeline import run_ingest
from tests.fakes import HashEmbedder
from tests.helpers import make_pdf, write_md

PROC = "Pour lancer un marché, il faut d'abord définir le besoin avec les usagers. " * 8
OTHER = "La sobriété numérique réduit l'empreinte environnementale des services. " * 8


def _ingest(settings, **kw):
    return run_ingest(settings, embedder=HashEmbedder(256), progress=False, **kw)


def _state(settings):
    store = DenseStore(settings, "hash-256", 256)
    idx = LexicalIndex.load(settings.bm25_dir)
    manifest = Manifest.read(settings.manifest_path)
    return store, idx, manifest


def _consistent(settings) -> int:
    """Dense store, BM25 chunks and manifest all describe the same chunks; returns their count."""
    store, idx, manifest = _state(settings)
    expected = sum(d.chunks for d in manifest.documents.values())
    assert store.count() == len(idx.chunks) == expected
    assert {c.source for c in idx.chunks} == set(manifest.documents)
    return expected


def test_add_change_remove_and_noop(settings):
    corpus = settings.corpus_dir
    write_md(corpus, "markdown/a.md", f"---\ntitle: Guide A\n---\n# Commande publique\n{PROC}")
    make_pdf(corpus / "pdf/b.pdf", [OTHER, PROC])
    write_md(corpus, "LICENCE.md", "licence, pas un livrable")
    r = _ingest(settings)
    assert sorted(r.added) == ["markdown/a.md", "pdf/b.pdf"] and r.ok
    n1 = _consistent(settings)
    assert settings.glossary_path.is_file()
    # the admin page's "indexé le" column: when each document was read
    entries = json.loads(settings.manifest_path.read_text(encoding="utf-8"))["documents"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", e["ingested_at"]) for e in entries.values())

    # nothing changed: nothing touched, the model is not even asked for
    def boom(_s):
        raise AssertionError("le modèle ne doit pas être chargé")

    r = run_ingest(settings, embedder_factory=boom, progress=False)
    assert r.unchanged == ["markdown/a.md", "pdf/b.pdf"] and not r.added and not r.updated and not r.model_loaded
    assert _consistent(settings) == n1

    # a changed document replaces its chunks; a removed one disappears; a new one is added
    write_md(corpus, "markdown/a.md", "# Atelier\nOrganiser un atelier de co-conception avec les agents.")
    (corpus / "pdf/b.pdf").unlink()
    write_md(corpus, "notes.txt", "Un texte brut sur la donnée ouverte.")
    r = run_ingest(settings, embedder_factory=lambda _s: HashEmbedder(256), progress=False)
    assert r.model_loaded  # loaded by this run, whatever the model
    assert r.updated == ["markdown/a.md"] and r.removed == ["pdf/b.pdf"] and r.added == ["notes.txt"]
    _consistent(settings)
    _, idx, _ = _state(settings)
    assert not any("marché" in c.text for c in idx.chunks)


def test_bad_files_are_reported_and_do_not_lose_the_index(settings):
    corpus = settings.corpus_dir
    good = make_pdf(corpus / "pdf/good.pdf", [PROC])
    r = _ingest(settings)
    n = _consistent(settings)
    # the good PDF is replaced by a broken one; other bad files appear
    good.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    (corpus / "pdf/empty.pdf").write_bytes(b"")
    (corpus / "pdf/fake.pdf").write_text("ceci n'est pas un PDF")
    write_md(corpus, "ok.md", OTHER)
    r = _ingest(settings)
    assert not r.ok and set(r.failed) == {"pdf/good.pdf", "pdf/empty.pdf", "pdf/fake.pdf"}
    assert all(msg for msg in r.failed.values())
    assert r.added == ["ok.md"]
    _, idx, manifest = _state(settings)
    assert "pdf/good.pdf" in manifest.documents  # the last good version stays indexed
    assert _consistent(settings) > n


def test_interrupted_run_leaves_index_usable_and_next_run_completes(settings):
    corpus = settings.corpus_dir
    write_md(corpus, "a.md", PROC * 3)
    _ingest(settings)
    before = LexicalIndex.load(settings.bm25_dir).chunks
    write_md(corpus, "a.md", OTHER * 3)
    write_md(corpus, "b.md", PROC * 3)

    class Interrupting(HashEmbedder):
        calls = 0

        def embed_documents(self, texts, titles=None):
            Interrupting.calls += 1
            if Interrupting.calls == 2:
                raise KeyboardInterrupt
            return super().embed_documents(texts)

    settings_small = dataclasses.replace(settings, embed_batch_size=1)
    r = run_ingest(settings_small, embedder=Interrupting(256), progress=False)
    assert r.interrupted and not r.ok
    assert [c.id for c in LexicalIndex.load(settings.bm25_dir).chunks] == [c.id for c in before]
    r = _ingest(settings)
    assert r.ok and set(r.added + r.updated) == {"a.md", "b.md"}
    _consistent(settings)


@pytest.mark.slow
def test_kill_9_mid_run_then_resume(settings, tmp_path):
    corpus = settings.corpus_dir
    for i in range(4):
        write_md(corpus, f"doc{i}.md", f"Document {i}. " + PROC * 4)
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, signal
            from pathlib import Path
            from tests.fakes import HashEmbedder
            from assistant.settings import Settings
            from ingest.pipeline import run_ingest

            class Killer(HashEmbedder):
                n = 0
                def embed_documents(self, texts, titles=None):
                    Killer.n += 1
                    if Killer.n == 4:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return super().embed_documents(texts)

            s = Settings(corpus_dir=Path({str(corpus)!r}), data_dir=Path({str(settings.data_dir)!r}),
                         collection={settings.collection!r}, embed_model="hash-256", embed_batch_size=1, ocr=False)
            run_ingest(s, embedder=Killer(256), progress=False)
            """
        )
    )
    proc = subprocess.run([sys.executable, str(script)], env=os.environ)  # PYTHONPATH: conftest
    assert proc.returncode == -signal.SIGKILL
    assert Manifest.read(settings.manifest_path).dirty is True
    r = _ingest(settings)
    assert r.ok
    assert _consistent(settings) > 0
    assert len(Manifest.read(settings.manifest_path).documents) == 4


def test_rebuild_and_report_json(settings):
    write_md(settings.corpus_dir, "a.md", PROC)
    _ingest(settings)
    r = _ingest(settings, rebuild=True)
    assert r.added == ["a.md"]
    from ingest.report import save_report

    data = json.loads(save_report(settings, r).read_text())
    assert data["ok"] is True and data["chunks"] >= 1 and "seconds" in data


def test_only_new_text_is_embedded_again(settings, monkeypatch):
    corpus = settings.corpus_dir
    paragraphs = [f"Paragraphe {i} : " + PROC for i in range(6)]
    write_md(corpus, "a.md", "\n\n".join(paragraphs))
    first = _ingest(settings)
    assert first.embedded == first.chunks > 3

    # one paragraph changes: only the chunks whose text changed are embedded
    paragraphs[-1] = "Paragraphe modifié : " + OTHER
    write_md(corpus, "a.md", "\n\n".join(paragraphs))
    r = _ingest(settings)
    assert r.updated == ["a.md"] and 0 < r.embedded < r.chunks
    _consistent(settings)

    # the reading code changes (new fingerprint): every document is read again, nothing re-embedded,
    # and the model is not even loaded
    import ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "pipeline_fingerprint", lambda s: "nouveau-code")

    def boom(_s):
        raise AssertionError("le modèle ne doit pas être chargé")

    r = run_ingest(settings, embedder_factory=boom, progress=False)
    assert r.updated == ["a.md"] and r.embedded == 0
    _consistent(settings)


def test_titles_set_in_sources_tsv_replace_extracted_ones(settings):
    corpus = settings.corpus_dir
    write_md(corpus, "markdown/a.md", f"# COUVERTURE EN CAPITALES\n{PROC}")
    write_md(corpus, "markdown/b.md", f"# Guide B\n{OTHER}")
    sources = "file\tlicense\tdescription\ttitle\nmarkdown/a.md\tLO 2.0\tun guide\tGuide de la commande publique\n"
    (corpus / "SOURCES.tsv").write_text(sources + "markdown/b.md\tLO 2.0\tun autre\t\n", encoding="utf-8")
    _ingest(settings)
    _, idx, manifest = _state(settings)
    assert {c.title for c in idx.chunks if c.source == "markdown/a.md"} == {"Guide de la commande publique"}
    assert {c.title for c in idx.chunks if c.source == "markdown/b.md"} == {"Guide B"}  # no title set: its own

    # a title changed by hand re-processes that document only, even though its file did not change
    (corpus / "SOURCES.tsv").write_text(
        sources.replace("de la commande publique", "des achats publics"), encoding="utf-8"
    )
    r = _ingest(settings)
    assert r.updated == ["markdown/a.md"] and r.unchanged == ["markdown/b.md"]
    _, idx, manifest = _state(settings)
    assert {c.title for c in idx.chunks if c.source == "markdown/a.md"} == {"Guide des achats publics"}
    assert manifest.documents["markdown/a.md"].title == "Guide des achats publics"
    _consistent(settings)


def test_pdf_extractor_setting_reaches_the_reader(settings, monkeypatch):
    from assistant.errors import CapacitiesError
    from ingest import pipeline

    make_pdf(settings.corpus_dir / "pdf/b.pdf", [OTHER, PROC])
    seen = []
    real = pipeline.load_document

    def spy(path, root, ocr=True, *, extractor):
        seen.append(extractor)
        return real(path, root, ocr, extractor=extractor)

    monkeypatch.setattr(pipeline, "load_document", spy)
    pdfium = dataclasses.replace(settings, pdf_extractor="pdfium")
    assert _ingest(pdfium).ok and seen == ["pdfium"]
    assert pipeline.pipeline_fingerprint(pdfium) != pipeline.pipeline_fingerprint(settings)  # read again if changed
    with pytest.raises(CapacitiesError, match="CAPACITIES_PDF_EXTRACTOR"):
        _ingest(dataclasses.replace(settings, pdf_extractor="pdfminer"))
    assert seen == ["pdfium"]  # refused before any document was read


def test_chunks_whose_blocks_change_are_embedded_again(settings, monkeypatch):
    from assistant import blocks as B
    from ingest import pipeline

    cut = "Il faut noter que le Ministère de la Transition\nEcologique recommande de limiter les dons au personnel."
    write_md(settings.corpus_dir, "a.md", f"# Dons\n\n{PROC}\n\n{OTHER}\n\n{PROC}\n\n{cut}\n")
    first = _ingest(settings)
    assert first.embedded == first.chunks > 1
    # the parser now cuts that sentence in two: the blocks are part of the chunk id, so that chunk is new
    monkeypatch.setattr(B, "WRAP_MIN_WORDS", 99)
    monkeypatch.setattr(pipeline, "pipeline_fingerprint", lambda s: "nouveau-code")
    r = _ingest(settings)
    assert r.updated == ["a.md"] and r.embedded == 1  # that chunk only; the others keep their vectors
    store, idx, _ = _state(settings)
    for c in store.get_chunks({c.id for c in idx.chunks}):
        assert len(B.unpack_vectors(c.block_vectors)) == len(B.decode(c.text, c.blocks))
    assert any(b.text.startswith("Ecologique") for c in idx.chunks for b in B.decode(c.text, c.blocks))


def test_every_chunk_carries_its_whole_page_vector_embedded_again_only_when_the_page_changes(settings, monkeypatch):
    import numpy as np

    from assistant import blocks as B
    from ingest import pipeline

    pages = [PROC + OTHER, OTHER, "Paragraphe trois : " + PROC]
    make_pdf(settings.corpus_dir / "pdf/g.pdf", pages)
    embedded = []

    class Spy(HashEmbedder):
        def embed_documents(self, texts, titles=None):
            embedded.extend(texts)
            return super().embed_documents(texts, titles)

    def ingest():
        embedded.clear()
        return run_ingest(settings, embedder=Spy(256), progress=False)

    assert ingest().added == ["pdf/g.pdf"]
    store, idx, _ = _state(settings)
    chunks = store.get_chunks({c.id for c in idx.chunks})
    assert {c.page_vector for c in chunks} == {c.page_vector for c in idx.chunks}  # the same in both indexes
    by_page = {}
    for c in chunks:
        by_page.setdefault(c.page_start, set()).add(c.page_vector)
    assert sorted(by_page) == [1, 2, 3] and all(len(v) == 1 and "" not in v for v in by_page.values())
    assert sum(c.page_start == 1 for c in chunks) > 1  # page 1 has two chunks, and one vector: its whole text
    first = B.unpack_vectors(by_page[1].pop())[0]
    whole, part = (np.asarray(HashEmbedder(256).embed_documents([t])[0]) for t in (pages[0], PROC))
    assert first @ whole > 0.99 > first @ part + 0.2
    assert len(embedded) == len(chunks) + 3  # every chunk, then every page once

    # page 3 changes: its chunks and its page only are embedded again, pages 1 and 2 keep their vectors
    make_pdf(settings.corpus_dir / "pdf/g.pdf", [*pages[:2], "Paragraphe trois modifié : " + OTHER])
    r = ingest()
    assert r.updated == ["pdf/g.pdf"] and 0 < r.embedded < r.chunks
    assert len(embedded) == r.embedded + 1 and embedded[0].startswith("Paragraphe trois modifié")
    _consistent(settings)

    # an index stored before page vectors: the next run (new code, new fingerprint) embeds the pages only
    store, idx, _ = _state(settings)
    store.collection.update(ids=[c.id for c in idx.chunks], metadatas=[{"page_vector": ""} for _ in idx.chunks])
    monkeypatch.setattr(pipeline, "pipeline_fingerprint", lambda s: "nouveau-code")
    r = ingest()
    assert r.updated == ["pdf/g.pdf"] and r.embedded == 0 and len(embedded) == 3
    store, idx, _ = _state(settings)
    assert all(c.page_vector for c in idx.chunks) and all(
        c.page_vector for c in store.get_chunks({c.id for c in idx.chunks})
    )
