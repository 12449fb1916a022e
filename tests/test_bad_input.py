"""The bad-input catalogue (docs/bad-input.md): one test per row.

Each file test indexes one good document plus the bad one and checks what the user sees (one
French line in the report, no traceback), and what is kept (the good document, the previous
version of the bad one if it had one).
"""

from __future__ import annotations

import dataclasses
import re
import time
import zlib
from pathlib import Path

import pytest

import ingest.pdf as pdf
from assistant.answer import Assistant
from assistant.errors import CapacitiesError
from assistant.retrieve import Retriever
from assistant.screening import check_question
from assistant.settings import PROJECT_ROOT
from assistant.store import LexicalIndex
from ingest.manifest import Manifest
from ingest.pipeline import run_ingest
from tests.fakes import HashEmbedder
from tests.helpers import build_pdf, indexed_assistant, make_pdf, write_md

GOOD = "# Ateliers\nOrganiser un atelier avec les usagers du territoire : inviter, écouter, restituer aux élus."
BODY = "Les collectivités publient leurs données ouvertes avec les usagers du service public. "
DOCS = Path(PROJECT_ROOT / "docs/bad-input.md")


def _ingest(settings):
    return run_ingest(settings, embedder=HashEmbedder(256), progress=False)


def _with_bad_file(settings, name: str, data: bytes | None = None, path: Path | None = None):
    """Index a good document and a bad one; return (report, message for the bad one or None)."""
    write_md(settings.corpus_dir, "bon.md", GOOD)
    if data is not None:
        target = settings.corpus_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    report = _ingest(settings)
    assert "bon.md" in Manifest.read(settings.manifest_path).documents  # everything else is kept
    assert any(c.source == "bon.md" for c in LexicalIndex.load(settings.bm25_dir).chunks)
    msg = report.failed.get(name)
    if msg is not None:
        assert "Traceback" not in msg and "\n" not in msg
        assert msg.startswith(name)
    return report, msg


def _pdf_bytes(tmp_path: Path, pages: list[str], **kw) -> bytes:
    if kw:  # encryption: build_pdf with the text already in lines
        return build_pdf(
            tmp_path / "chiffre.pdf", [[p[i : i + 80] for i in range(0, len(p), 80)] for p in pages], **kw
        ).read_bytes()
    return make_pdf(tmp_path / f"src-{len(pages)}.pdf", pages).read_bytes()


def test_every_row_of_the_catalogue_names_an_existing_test():
    text = DOCS.read_text(encoding="utf-8")
    names = re.findall(r"`(test_\w+)`", text)
    assert len(names) >= 15
    suite = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "tests").rglob("test_*.py"))
    missing = [n for n in names if f"def {n}(" not in suite]
    assert not missing


# --------------------------------------------------------------------------- files


def test_zero_byte_file(settings):
    _, msg = _with_bad_file(settings, "vide.pdf", b"")
    assert msg == "vide.pdf : fichier vide (0 octet) ; remplacez-le par le document complet."


def test_not_a_pdf_named_pdf(settings):
    _, msg = _with_bad_file(settings, "faux.pdf", b"Ceci est un courriel, pas un PDF.")
    assert "ce n'est pas un PDF" in msg


def test_truncated_pdf_keeps_its_previous_version(settings, tmp_path):
    data = _pdf_bytes(tmp_path, [BODY * 5, BODY * 4])
    _, msg = _with_bad_file(settings, "guide.pdf", data)
    assert msg is None
    before = [c.id for c in LexicalIndex.load(settings.bm25_dir).chunks if c.source == "guide.pdf"]
    (settings.corpus_dir / "guide.pdf").write_bytes(data[: len(data) // 3])
    _, msg = _with_bad_file(settings, "guide.pdf")
    assert "PDF tronqué ou corrompu" in msg
    after = [c.id for c in LexicalIndex.load(settings.bm25_dir).chunks if c.source == "guide.pdf"]
    assert after == before  # the last good version stays indexed


def test_broken_xref_table_is_repaired(settings, tmp_path):
    data = bytearray(_pdf_bytes(tmp_path, [BODY * 4]))
    xref = data.rindex(b"xref")
    # every offset of the cross-reference table points to the wrong place
    table = re.sub(rb"\d{10} 00000 n", b"0000000001 00000 n", bytes(data[xref:]))
    _, msg = _with_bad_file(settings, "xref.pdf", bytes(data[:xref]) + table)
    assert msg is None  # rebuilt by scanning the file, like PDF viewers do
    assert any("données ouvertes" in c.text for c in LexicalIndex.load(settings.bm25_dir).chunks)


def test_encrypted_pdf_with_a_password(settings, tmp_path):
    data = _pdf_bytes(tmp_path, [BODY * 3], user_password="secret")  # RC4-128
    _, msg = _with_bad_file(settings, "secret.pdf", data)
    assert "PDF chiffré (protégé par mot de passe)" in msg and "version non protégée" in msg


def test_encrypted_pdf_without_a_password_is_read(settings, tmp_path):
    data = _pdf_bytes(tmp_path, [BODY * 3], user_password="", owner_password="proprietaire")
    report, msg = _with_bad_file(settings, "restreint.pdf", data)
    assert msg is None and "restreint.pdf" in report.added


def test_two_thousand_blank_pages(settings, tmp_path, monkeypatch):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(2000):
        writer.add_blank_page(595, 842)
    path = tmp_path / "blanc.pdf"
    with path.open("wb") as f:
        writer.write(f)
    # with OCR on and Tesseract "installed", blank pages are recognised without running it
    monkeypatch.setattr(pdf.shutil, "which", lambda _name: "/usr/bin/tesseract")

    def no_ocr(*_a):
        raise AssertionError("Tesseract run on a blank page")

    monkeypatch.setattr(pdf, "_run_tesseract", no_ocr)
    t0 = time.perf_counter()
    _, msg = _with_bad_file(dataclasses.replace(settings, ocr=True), "blanc.pdf", path.read_bytes())
    assert time.perf_counter() - t0 < 60
    assert msg == "blanc.pdf : aucun texte exploitable (2000 page(s) blanche(s))."


@pytest.mark.slow  # ~12 s: a thousand chunks to embed and store
def test_page_with_one_megabyte_of_text(settings, tmp_path):
    lines = [BODY] * (1_000_000 // len(BODY) + 1)
    data = build_pdf(tmp_path / "gros.pdf", [lines]).read_bytes()
    t0 = time.perf_counter()
    report, msg = _with_bad_file(settings, "gros.pdf", data)
    assert msg is None and time.perf_counter() - t0 < 120
    assert report.documents["gros.pdf"]["chunks"] > 900  # all of it is indexed, in page-1 chunks
    assert {c.page_start for c in LexicalIndex.load(settings.bm25_dir).chunks if c.source == "gros.pdf"} == {1}


def _bomb_pdf(inflated_gib: int) -> bytes:
    """A one-page PDF whose content stream is ~4 MB of Flate data inflating to ``inflated_gib`` GiB."""
    mib = b" " * (1 << 20)
    z = zlib.compressobj(9)
    first = z.compress(mib) + z.flush(zlib.Z_FULL_FLUSH)
    block = z.compress(mib) + z.flush(zlib.Z_FULL_FLUSH)  # independent of what precedes: repeatable
    stream = first + block * (inflated_gib * 1024 - 1) + z.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_decompression_bomb_is_refused_without_inflating_it(settings):
    import resource

    data = _bomb_pdf(4)  # 4 GiB once inflated
    assert len(data) < 8 * 2**20
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, msg = _with_bad_file(settings, "bombe.pdf", data)
    assert "bombe de décompression" in msg and "200 Mo" in msg
    # bounded memory: nothing close to the inflated size was ever held
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 300 * 1024  # KiB


def test_file_name_with_control_characters(settings):
    write_md(settings.corpus_dir, "rapport\x1b[31m\x07.md", "Un texte qui ne sera pas lu.")
    report, _ = _with_bad_file(settings, "bon.md")
    (shown, msg), *_ = report.failed.items()
    assert shown == "rapport\\x1b[31m\\x07.md"  # shown escaped, never as raw control characters
    assert "caractères de contrôle" in msg and "renommez" in msg
    assert not re.search(r"[\x00-\x1f]", report.summary().replace("\n", ""))
    assert len(Manifest.read(settings.manifest_path).documents) == 1


def test_file_name_with_dot_dot_or_link_outside_the_corpus(settings, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("Mot de passe du serveur : hunter2", encoding="utf-8")
    (settings.corpus_dir / "pdf").mkdir(parents=True)
    (settings.corpus_dir / "pdf/lien.md").symlink_to(Path("../..") / "secret.md")  # ../ out of the corpus
    report, msg = _with_bad_file(settings, "pdf/lien.md")
    assert "hors du dossier du corpus" in msg
    assert not any("hunter2" in c.text for c in LexicalIndex.load(settings.bm25_dir).chunks)
    # a "../" document name given to a command is only ever matched against indexed documents
    s = dataclasses.replace(settings, min_dense_score=0.0)
    assistant = Assistant.load(s, Retriever(s, embedder=HashEmbedder(256)))
    from assistant.summary import summarize

    with pytest.raises(CapacitiesError, match="Document inconnu"):
        summarize(assistant.retriever, "../secret.md")
    assert assistant.retriever.search("mot de passe", sources=["../secret.md"]) == []


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_markdown_in_another_encoding(settings, encoding):
    text = "# Élus et données\nLes élus décident de l'ouverture des données : à la mairie, c'est déjà fait."
    report, msg = _with_bad_file(settings, "ancien.md", text.encode(encoding))
    assert msg is None
    assert any("Windows-1252" in w for w in report.documents["ancien.md"]["warnings"])
    chunk = next(c for c in LexicalIndex.load(settings.bm25_dir).chunks if c.source == "ancien.md")
    assert "Les élus décident" in chunk.text and "à la mairie, c'est déjà fait" in chunk.text


# --------------------------------------------------------------------------- questions


@pytest.fixture
def assistant(settings):
    write_md(settings.corpus_dir, "bon.md", GOOD)
    return indexed_assistant(settings)


def test_empty_question(assistant):
    for q in ("", "   ", "\n\t"):
        with pytest.raises(CapacitiesError, match="La question est vide"):
            assistant.ask(q)


def test_ten_thousand_character_question(assistant):
    with pytest.raises(CapacitiesError, match=r"10\u202f000 caractères ; la limite est de 2\u202f000"):
        assistant.ask("Comment organiser un atelier ? " + "x" * 9_969)


def test_question_with_control_characters(assistant):
    with pytest.raises(CapacitiesError, match="La question est vide"):
        assistant.ask("\x01\x02\x1b\x7f")
    with pytest.raises(CapacitiesError, match="aucun mot"):
        assistant.ask("?!\x1b …")
    # control characters inside a real question are removed, and the question is answered
    q = "Comment\x00 organiser\x1b[31m un atelier\u202e avec les usagers ?"
    assert check_question(q, assistant.settings) == "Comment organiser [31m un atelier avec les usagers ?"
    ans = assistant.ask(q)
    assert not ans.abstained and ans.citations[0].source == "bon.md"
