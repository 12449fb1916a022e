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


def run_cli(args: list[str], env: dict[str, str], stdin: str | bytes | None = None, text: bool = True):  # noqa: ANN201
    """``capacities`` as a user runs it: a subprocess in the project folder, with these settings."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "capacities", *args],
        input=stdin,
        capture_output=True,
        text=text,
        env=os.environ | env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )


def write_md(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def build_pdf(
    path: Path,
    pages: list[list[str]],
    *,
    header: str | None = None,
    footer: str | None = None,
    title: str | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> Path:
    """A real A4 PDF (Helvetica text layer) built with pypdf: body lines, an optional header and numbered footer."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    def show(x: float, y: float, text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return f"BT /F1 10 Tf {x} {y} Td ({escaped}) Tj ET"

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
    for number, lines in enumerate(pages, start=1):
        page = writer.add_blank_page(595, 842)
        ops = [show(60, 700 - 14 * k, line) for k, line in enumerate(lines)]
        if header:
            ops.append(show(60, 815, header))  # inside the top 10 % band
        if footer:
            ops.append(show(60, 30, f"{footer}    {number}"))  # inside the bottom band
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    if title is not None:
        writer.add_metadata({"/Title": title})
    if user_password is not None:
        # RC4 needs no optional dependency (AES would need `cryptography`).
        writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        writer.write(f)
    return path


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A real PDF with one text page per string, lines wrapped at 90 characters."""
    wrapped = []
    for text in pages:
        lines = []
        for para in text.split("\n"):
            while len(para) > 90:
                cut = para.rfind(" ", 0, 90)
                cut = cut if cut > 0 else 90
                lines.append(para[:cut])
                para = para[cut:].lstrip()
            lines.append(para)
        wrapped.append(lines)
    return build_pdf(path, wrapped)
