"""Shared fixtures: offline hub, the fake embedder (here and in the processes tests start), a fresh
Chroma per test, and the needs a test declares with a marker (skipped, with the reason, when missing;
CI installs them all)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402
from tests.fakes import HashEmbedder, register  # noqa: E402
from tests.helpers import AXE, CHROMA, CHROMIUM  # noqa: E402

register()
# the processes tests start (the CLI, the app, benchmarks) know the fake embedder too
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(PROJECT_ROOT / "tests" / "site"), str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
)


def _llm_ready() -> bool:
    import importlib.util

    model = Path.home() / ".cache" / "capacities" / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    return importlib.util.find_spec("xllamacpp") is not None and model.is_file()


NEEDS = {  # marker -> (is it here?, what is missing)
    "tesseract": (lambda: shutil.which("tesseract") is not None, "tesseract-ocr is not installed"),
    "browser": (lambda: CHROMIUM.exists() and AXE.exists(), "no chromium or axe-core (scripts/setup.sh --browser)"),
    "chroma_server": (CHROMA.exists, "the chroma command is not installed"),
    "llm": (_llm_ready, "xllamacpp or the 0.5B model is missing (scripts/setup.sh --llm)"),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test whose need is missing is skipped with the reason; under scripts/test.sh, which installs
    every need (CAPACITIES_TEST_NEEDS=all), it runs and fails instead of passing unseen."""
    if os.environ.get("CAPACITIES_TEST_NEEDS") == "all":
        return
    for need, (present, reason) in NEEDS.items():
        marked = [item for item in items if item.get_closest_marker(need)]
        if marked and not present():
            for item in marked:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(256)


@pytest.fixture
def ephemeral_client():
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a private corpus and data folder, with the fake embedder and a unique collection."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return Settings(
        corpus_dir=corpus,
        data_dir=tmp_path / "data",
        embed_model="hash-256",
        collection=f"t-{uuid.uuid4().hex[:12]}",
        ocr=False,
    )
