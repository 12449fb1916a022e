"""Shared fixtures: offline hub, a deterministic fake embedder, a fresh Chroma per test."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.models import HashEmbedder  # noqa: E402
from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402

CORPUS = PROJECT_ROOT / "corpus"


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


def write_md(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A real PDF with one text page per string (Helvetica, wrapped lines), built with pypdf only."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    font_ref = writer._add_object(font)
    for text in pages:
        page = writer.add_blank_page(595, 842)
        lines = []
        for para in text.split("\n"):
            while len(para) > 90:
                cut = para.rfind(" ", 0, 90)
                cut = cut if cut > 0 else 90
                lines.append(para[:cut])
                para = para[cut:].lstrip()
            lines.append(para)
        ops = ["BT", "/F1 10 Tf", "12 TL", "50 800 Td"]
        for line in lines:
            esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({esc}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252", errors="replace"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        writer.write(f)
    return path
