"""Past one machine: a real `chroma run` server, one ingestion, two app processes with their own data folders.

The BM25 index is not shared as a file: each process rebuilds it from the published list and the
chunk texts stored in Chroma when its local copy is missing or stale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from assistant.errors import CapacitiesError
from assistant.settings import PROJECT_ROOT, Settings
from assistant.store import LexicalIndex, parse_chroma_url
from tests.helpers import ChromaServer, free_port, make_pdf, write_md

QUESTIONS = "publier des données ouvertes\natelier avec les usagers\nnumérique responsable\n"


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma-server")
    yield server
    server.stop()


def _env(corpus: Path, data: Path, url: str, collection: str) -> dict[str, str]:
    return {
        "CAPACITIES_CORPUS_DIR": str(corpus),
        "CAPACITIES_DATA_DIR": str(data),
        "CAPACITIES_CHROMA_URL": url,
        "CAPACITIES_COLLECTION": collection,
        "CAPACITIES_EMBED_MODEL": "hash-256",
        "CAPACITIES_MIN_DENSE_SCORE": "0",
        "CAPACITIES_OCR": "0",
    }


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "capacities", *args],
        env=os.environ | env,
        cwd=PROJECT_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_chroma_url_parsing_and_alias():
    assert parse_chroma_url("http://10.0.0.5:8001") == ("10.0.0.5", 8001, False)
    assert parse_chroma_url("chroma.interne:9000") == ("chroma.interne", 9000, False)
    assert parse_chroma_url("https://chroma.example.fr") == ("chroma.example.fr", 443, True)
    with pytest.raises(CapacitiesError, match="CAPACITIES_CHROMA_URL"):
        parse_chroma_url("ftp://x")
    assert Settings.from_env({"CAPACITIES_CHROMA_HOST": "h:1"}).chroma_url == "h:1"  # the old name still works
    assert Settings.from_env({"CAPACITIES_CHROMA_HOST": "h:1", "CAPACITIES_CHROMA_URL": "http://k:2"}).chroma_url == (
        "http://k:2"
    )


def test_unreachable_server_is_a_clear_message(tmp_path):
    env = _env(tmp_path, tmp_path / "data", f"http://127.0.0.1:{free_port()}", "x-unreachable")
    write_md(tmp_path, "a.md", "Un document.")
    r = _cli(env, "ingest", "--no-progress")
    assert r.returncode == 2 and "Serveur Chroma injoignable" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
@pytest.mark.chroma_server
def test_ingest_and_search_through_a_chroma_server_two_processes_agree(chroma_server, tmp_path):
    corpus = tmp_path / "corpus"
    write_md(
        corpus,
        "donnees.md",
        "# Publier des données\nPour publier des données ouvertes, identifier les jeux avec les services, "
        "vérifier l'absence de données personnelles, puis publier sur data.gouv.fr.",
    )
    write_md(corpus, "ateliers.md", "# Ateliers\nUn atelier avec les usagers commence par une question claire.")
    make_pdf(corpus / "pdf/guide.pdf", ["Le numérique responsable réduit l'empreinte des services publics."])
    collection = f"srv-{uuid.uuid4().hex[:8]}"
    ingester = _env(corpus, tmp_path / "data-ingest", chroma_server.url, collection)
    r = _cli(ingester, "ingest", "--no-progress")
    assert r.returncode == 0, r.stderr
    # nothing of Chroma in the local data folder: the vectors live on the server
    assert not (tmp_path / "data-ingest" / "chroma").exists()

    # two app processes with empty data folders of their own, against the same server
    app1 = _env(corpus, tmp_path / "app1", chroma_server.url, collection)
    app2 = _env(corpus, tmp_path / "app2", chroma_server.url, collection)
    out1 = _cli(app1, "search", "-", stdin=QUESTIONS)
    out2 = _cli(app2, "search", "-", stdin=QUESTIONS)
    ref = _cli(ingester, "search", "-", stdin=QUESTIONS)
    assert out1.returncode == out2.returncode == 0, out1.stderr + out2.stderr
    rows1 = [json.loads(line) for line in out1.stdout.splitlines()]
    assert rows1 == [json.loads(line) for line in out2.stdout.splitlines()]
    assert rows1 == [json.loads(line) for line in ref.stdout.splitlines()]
    assert [r[0]["source"] for r in rows1] == ["donnees.md", "ateliers.md", "pdf/guide.pdf"]
    # each app rebuilt its BM25 cache from the server
    assert (tmp_path / "app1/bm25/chunks.json").is_file() and (tmp_path / "app2/bm25/chunks.json").is_file()

    # the corpus changes; the apps' caches are now stale and are rebuilt on start
    (corpus / "ateliers.md").unlink()
    write_md(corpus, "commande.md", "# Commande publique\nRédiger le cahier des charges avec les usagers.")
    stale = LexicalIndex.local_digest(tmp_path / "app1/bm25")
    r = _cli(ingester, "ingest", "--no-progress")
    assert r.returncode == 0, r.stderr
    out1 = _cli(app1, "search", "cahier des charges", "--json")
    out2 = _cli(app2, "ask", "Comment rédiger le cahier des charges ?", "--json")
    assert json.loads(out1.stdout)[0]["source"] == "commande.md"
    assert json.loads(out2.stdout)["citations"][0]["source"] == "commande.md"
    assert LexicalIndex.local_digest(tmp_path / "app1/bm25") != stale
    sources = {c.source for c in LexicalIndex.load(tmp_path / "app1/bm25").chunks}
    assert sources == {"donnees.md", "commande.md", "pdf/guide.pdf"}

    # a fresh process with no cache at all still answers (cache folder not writable is fine too)
    shutil.rmtree(tmp_path / "app2/bm25")
    out = _cli(app2, "search", "numérique responsable", "--json")
    assert json.loads(out.stdout)[0]["source"] == "pdf/guide.pdf"
