"""Backup and restore: back up, wipe, restore, same search results (embedded store and Chroma server)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import uuid

import pytest

from assistant.errors import CapacitiesError
from assistant.settings import PROJECT_ROOT, Settings
from tests.helpers import assert_equals_fresh_rebuild, make_pdf, run_cli, write_md

QUESTIONS = "publier des données ouvertes\natelier avec les usagers\nnumérique responsable\n"


def _corpus(folder):
    write_md(folder, "donnees.md", "# Données\nPour publier des données ouvertes, vérifier les données personnelles.")
    write_md(folder, "ateliers.md", "# Ateliers\nUn atelier avec les usagers commence par une question claire.")
    make_pdf(folder / "pdf/guide.pdf", ["Le numérique responsable réduit l'empreinte des services publics."])


def _env(tmp_path, **extra) -> dict[str, str]:
    return {
        "CAPACITIES_CORPUS_DIR": str(tmp_path / "corpus"),
        "CAPACITIES_DATA_DIR": str(tmp_path / "data"),
        "CAPACITIES_COLLECTION": f"b-{uuid.uuid4().hex[:8]}",
        "CAPACITIES_EMBED_MODEL": "hash-256",
        "CAPACITIES_MIN_DENSE_SCORE": "0",
        "CAPACITIES_OCR": "0",
    } | extra


def _run(env, *args, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args), env=os.environ | env, cwd=PROJECT_ROOT, input=stdin, capture_output=True, text=True, timeout=180
    )


def _cli(env, *args, stdin=None):
    return run_cli(list(args), env, stdin=stdin, timeout=180)


def _answers(env) -> tuple[list, list]:
    search = _cli(env, "search", "-", stdin=QUESTIONS)
    ask = _cli(env, "ask", "-", stdin="Comment publier des données ouvertes ?\n")
    assert search.returncode == 0 and ask.returncode == 0, search.stderr + ask.stderr
    return [json.loads(x) for x in search.stdout.splitlines()], [json.loads(x) for x in ask.stdout.splitlines()]


def _backup_wipe_restore(tmp_path, env, wipe) -> None:
    _corpus(tmp_path / "corpus")
    assert _cli(env, "ingest", "--no-progress").returncode == 0
    before = _answers(env)
    manifest = json.loads((tmp_path / "data/manifest.json").read_text())
    archive = tmp_path / "sauvegardes/index.tar.gz"
    r = _run(env, "bash", "scripts/backup.sh", str(archive))
    assert r.returncode == 0 and "Sauvegarde écrite" in r.stdout, r.stderr
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"backup.json", "manifest.json", "chunks.jsonl", "embeddings.npy", "corpus/pdf/guide.pdf"} <= names

    wipe()
    assert _cli(env, "search", "atelier").returncode == 2  # really gone

    r = _run(env, "bash", "scripts/restore.sh", str(archive))
    assert r.returncode == 0 and "3 documents" in r.stdout, r.stderr
    assert _answers(env) == before  # same passages, scores and answers
    assert json.loads((tmp_path / "data/manifest.json").read_text()) == manifest
    # the restored index is current: the next ingestion has nothing to do
    r = _cli(env, "ingest", "--no-progress")
    assert r.returncode == 0 and "3 inchangé(s)" in r.stdout and "0 calculé(s)" in r.stdout

    # restoring over a live index needs --force
    r = _run(env, "bash", "scripts/restore.sh", str(archive))
    assert r.returncode == 2 and "--force" in r.stderr
    assert _run(env, "bash", "scripts/restore.sh", str(archive), "--force").returncode == 0
    assert _answers(env) == before


def test_backup_wipe_restore_embedded(tmp_path):
    env = _env(tmp_path)

    def wipe():
        shutil.rmtree(tmp_path / "data")
        shutil.rmtree(tmp_path / "corpus")

    _backup_wipe_restore(tmp_path, env, wipe)
    assert (tmp_path / "corpus/pdf/guide.pdf").is_file()  # the corpus came back too


@pytest.mark.slow
@pytest.mark.chroma_server
def test_backup_wipe_restore_chroma_server(tmp_path):
    from tests.helpers import ChromaServer

    server = ChromaServer(tmp_path / "chroma-server")
    try:
        env = _env(tmp_path, CAPACITIES_CHROMA_URL=server.url)

        def wipe():  # the server loses everything; the app machine too
            server.stop()
            shutil.rmtree(tmp_path / "chroma-server")
            shutil.rmtree(tmp_path / "data")
            server.__init__(tmp_path / "chroma-server")
            env["CAPACITIES_CHROMA_URL"] = server.url

        _backup_wipe_restore(tmp_path, env, wipe)
    finally:
        server.stop()


def test_backup_refused_while_an_ingestion_is_unfinished(settings, tmp_path):
    from ingest.backup import create
    from ingest.manifest import Manifest
    from ingest.pipeline import run_ingest
    from tests.fakes import HashEmbedder

    write_md(settings.corpus_dir, "a.md", "Un texte sur les ateliers avec les usagers.")
    run_ingest(settings, embedder=HashEmbedder(256), progress=False)
    manifest = Manifest.read(settings.manifest_path)
    manifest.dirty = True
    manifest.write(settings.manifest_path)
    with pytest.raises(CapacitiesError, match="relancez `capacities ingest`"):
        create(settings, tmp_path / "x.tar.gz")


def test_restore_refuses_paths_out_of_the_folder(settings, tmp_path):
    from ingest.backup import restore

    archive = tmp_path / "malveillante.tar.gz"
    evil = tmp_path / "evil.txt"
    evil.write_text("x")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(evil, arcname="../../echappe.txt")
    with pytest.raises(CapacitiesError, match="chemin hors de son dossier"):
        restore(settings, archive)
    assert not (tmp_path.parent / "echappe.txt").exists()


# --------------------------------------------------------------------------- issue 18, point 1


def _damaged(src, dst, change) -> None:
    """A copy of the archive with one member changed by ``change(name, data) -> data | None``."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read() if m.isfile() else None
            new = change(m.name, data)
            if new is not None:
                m.size = len(new)
                tout.addfile(m, io.BytesIO(new))


def _vectors(rows: int, dim: int) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.zeros((rows, dim), dtype=np.float32))
    return buf.getvalue()


def test_a_damaged_backup_restored_with_force_leaves_the_index_in_service(tmp_path):
    env = _env(tmp_path)
    _corpus(tmp_path / "corpus")
    assert _cli(env, "ingest", "--no-progress").returncode == 0
    before = _answers(env)
    archive = tmp_path / "index.tar.gz"
    assert _run(env, "bash", "scripts/backup.sh", str(archive)).returncode == 0
    with tarfile.open(archive) as tar:
        n = json.loads(tar.extractfile("backup.json").read())["chunks"]
    cases = {
        "tronquée": lambda: archive.read_bytes()[: archive.stat().st_size // 2],
        "sans vecteurs": lambda name, data: None if name == "embeddings.npy" else data,
        "un passage de moins": lambda name, data: (
            b"\n".join(data.splitlines()[:-1]) if name == "chunks.jsonl" else data
        ),
        "autre dimension": lambda name, data: _vectors(n, 64) if name == "embeddings.npy" else data,
        "autre modèle": lambda name, data: data.replace(b"hash-256", b"autre-384") if name == "backup.json" else data,
    }
    for label, change in cases.items():
        bad = tmp_path / f"{label}.tar.gz"
        if label == "tronquée":
            bad.write_bytes(change())
        else:
            _damaged(archive, bad, change)
        r = _run(env, "bash", "scripts/restore.sh", str(bad), "--force")
        assert r.returncode == 2 and "Traceback" not in r.stderr, (label, r.stderr)
        assert "l'index actuel n'a pas été touché" in r.stderr, (label, r.stderr)
        assert _answers(env) == before, label  # vectors, BM25 and manifest: all still there
    r = _cli(env, "ingest", "--no-progress")
    assert "3 inchangé(s)" in r.stdout and "0 calculé(s)" in r.stdout
    settings = Settings(
        corpus_dir=tmp_path / "corpus",
        data_dir=tmp_path / "data",
        collection=env["CAPACITIES_COLLECTION"],
        embed_model="hash-256",
        ocr=False,
    )
    assert_equals_fresh_rebuild(settings, tmp_path)


def test_a_backup_on_a_full_disk_is_a_french_error_without_a_part_file(settings, tmp_path, monkeypatch):
    import errno

    from ingest import backup
    from ingest.pipeline import run_ingest
    from tests.fakes import HashEmbedder

    _corpus(settings.corpus_dir)
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok

    def full(tar_path, **_kw):  # noqa: ANN001, ANN202 - half an archive written, then the disk is full
        tar_path.write_bytes(b"\x1f\x8b" + b"0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_write", full)
    with pytest.raises(CapacitiesError, match="disque plein"):
        backup.create(settings, tmp_path / "out" / "x.tar.gz")
    assert not list((tmp_path / "out").iterdir())  # neither the archive nor its .part
