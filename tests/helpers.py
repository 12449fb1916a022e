"""What tests share besides fixtures: writing deliverables (Markdown, PDF), running the `capacities`
command as a user does, and an assistant over a freshly indexed corpus with the fake embedder."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings
from assistant.types import Passage
from tests.fakes import HashEmbedder

CORPUS = PROJECT_ROOT / "corpus"
# a cited passage, for what shows answers (export, feedback, cards)
PASSAGE = Passage(
    id="c1",
    text="Créez une organisation au nom de la mairie.",
    source="pdf/g.pdf",
    title="Guide",
    page_start=2,
    page_end=2,
    section="Publier",
    index=0,
)

# the first two words of each of the six steps of data.gouv.fr's publishing procedure (the corpus's guide)
DATAGOUV_STEPS = [
    ["Vous", "créez"],
    ["Vous", "publiez"],
    ["Vous", "demandez"],
    ["La", "configuration"],
    ["Le", "moissonneur"],
    ["Les", "données"],
]
CHROMA = Path(sys.executable).with_name("chroma")  # the server command, installed with chromadb
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by scripts/setup.sh --browser
AXE = Path(sys.prefix) / "npm" / "node_modules" / "axe-core" / "axe.min.js"  # the same, from npm


def indexed_assistant(settings: Settings, client: object | None = None, ingest: bool = True):  # noqa: ANN201
    """The corpus of ``settings`` indexed with the fake embedder, and an assistant over it that never
    abstains on the cosine (the fake's cosines mean nothing)."""
    from assistant.answer import Assistant
    from assistant.retrieve import Retriever
    from ingest.pipeline import run_ingest

    emb = HashEmbedder(256)
    if ingest:
        report = run_ingest(settings, embedder=emb, client=client, progress=False)
        assert report.ok, report.failed
    s = dataclasses.replace(settings, min_dense_score=0.0)
    return Assistant.load(s, Retriever(s, embedder=emb, client=client))


def run_cli(  # noqa: ANN201
    args: list[str],
    env: dict[str, str],
    stdin: str | bytes | None = None,
    text: bool = True,
    prefix: tuple[str, ...] | list[str] = (),
    timeout: float = 120,
):
    """``capacities`` as a user runs it: a subprocess in the project folder, with these settings
    (``prefix``: a command it runs under, e.g. a private mount namespace)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "capacities", *args],
        input=stdin,
        capture_output=True,
        text=text,
        env=os.environ | env,
        cwd=PROJECT_ROOT,
        timeout=timeout,
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run` on 127.0.0.1, a free port and a private folder; stopped by its process id."""

    def __init__(self, path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (path.parent / "chroma.log").open("w")
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        import httpx

        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma run did not answer within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def snapshot(settings: Settings) -> list[str]:
    """The chunk ids of the published BM25 snapshot."""
    from assistant.store import LexicalIndex

    return [c.id for c in LexicalIndex.load(settings.bm25_dir).chunks]


def assert_equals_fresh_rebuild(settings: Settings, tmp_path: Path) -> None:
    """The index of ``settings`` is what a fresh build of its corpus gives: same chunk ids in Chroma,
    BM25, the published list and the manifest; no duplicates, no orphans, no leftover files."""
    from assistant.store import DenseStore, reset_chroma_cache
    from ingest.manifest import Manifest
    from ingest.pipeline import run_ingest

    reset_chroma_cache()
    fresh = dataclasses.replace(
        settings, data_dir=tmp_path / f"fresh-{uuid.uuid4().hex[:6]}", collection=f"f-{uuid.uuid4().hex[:12]}"
    )
    assert run_ingest(fresh, embedder=HashEmbedder(256), progress=False).ok
    expected = sorted(snapshot(fresh))
    reset_chroma_cache()
    store = DenseStore(settings, None, None)
    dense_ids = store.collection.get(include=[])["ids"]
    bm25_ids = snapshot(settings)
    manifest = Manifest.read(settings.manifest_path)
    manifest_ids = [i for d in manifest.documents.values() for i in d.ids]
    published = store.published()
    assert len(dense_ids) == len(set(dense_ids)) and len(bm25_ids) == len(set(bm25_ids))  # no duplicates
    assert sorted(dense_ids) == sorted(bm25_ids) == sorted(manifest_ids) == expected  # no orphans, nothing lost
    assert published is not None and sorted(published[1]) == expected
    assert manifest.dirty is False
    fresh_docs = Manifest.read(fresh.manifest_path).documents
    assert manifest.documents.keys() == fresh_docs.keys()
    for src, d in manifest.documents.items():
        # same entry as a fresh rebuild (how many chunks this run had to embed, and when, aside)
        same = {"embedded": 0, "ingested_at": ""}
        assert dataclasses.replace(d, **same) == dataclasses.replace(fresh_docs[src], **same)
        assert d.chunks == len(d.ids)
    assert sorted(p.name for p in settings.data_dir.iterdir() if p.name.startswith(("bm25", ".manifest"))) == [
        "bm25"
    ], "leftover temporary files"
