"""The load test script, short and on a small index: it runs, counts errors and stops by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from assistant.settings import PROJECT_ROOT
from benchmarks.load import run
from ingest.pipeline import run_ingest
from tests.fakes import HashEmbedder
from tests.helpers import write_md

GUIDE = (
    "# Ateliers\nOrganiser un atelier avec les usagers : inviter, écouter, restituer.\n"
    "# Données\nPublier des données ouvertes : vérifier l'absence de données personnelles, puis publier.\n"
)


@pytest.mark.parametrize("path", [[], ["--via-app"]])
def test_load_script_runs_bounded_and_reports(settings, tmp_path, path):
    write_md(settings.corpus_dir, "guide.md", GUIDE)
    assert run_ingest(settings, embedder=HashEmbedder(256), progress=False).ok
    out = tmp_path / "load.json"
    env = os.environ | {
        "CAPACITIES_CORPUS_DIR": str(settings.corpus_dir),
        "CAPACITIES_DATA_DIR": str(settings.data_dir),
        "CAPACITIES_COLLECTION": settings.collection,
        "CAPACITIES_EMBED_MODEL": "hash-256",
        "CAPACITIES_MIN_DENSE_SCORE": "0",
    }
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--users", "20", "--seconds", "3", "--out", str(out), *path],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert time.perf_counter() - t0 < 60  # stops by itself
    data = json.loads(out.read_text())
    assert data["users"] == 20 and data["errors"] == 0 and data["answers"] >= 20
    assert data["latency_ms"]["p95"] >= data["latency_ms"]["p50"] > 0
    assert data["rss_mb"]["end"] > 0 and "p95" in r.stdout
    assert data["path"].startswith("app" if path else "in process")


def test_errors_are_counted_not_raised():
    class Flaky:
        n = 0

        def ask(self, q, mode=None):
            Flaky.n += 1
            if Flaky.n % 3 == 0:
                raise RuntimeError("boom")
            return type("A", (), {"abstained": False})()

    data = run(Flaky(), ["q"], users=4, seconds=0.5, think=0.0)
    assert data["errors"] > 0 and data["answers"] > 0 and "boom" in data["error_samples"][0]
