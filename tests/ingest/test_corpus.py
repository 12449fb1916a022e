"""Uploads into the corpus: names, types, sizes, reserved names, replacement, deletion and the trash."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import CapacitiesError
from assistant.settings import Settings
from ingest.corpus import MAX_UPLOAD_MB, check_upload, delete_document, sanitize_filename, save_upload
from tests.helpers import build_pdf


def pdf_bytes(tmp_path: Path, **kw: object) -> bytes:
    return build_pdf(tmp_path / "src.pdf", [["Une page de texte."]], **kw).read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\win.pdf", "win.pdf"),
        ("guide\x00\x1b[31m final.PDF", "guide_31m_final.pdf"),
        ("Référentiel été 2024.pdf", "Référentiel_été_2024.pdf"),
    ],
)
def test_file_names_are_sanitised(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


@pytest.mark.parametrize("name", ["", "..", ".pdf", "noextension", "/"])
def test_unusable_names_are_refused(name: str) -> None:
    with pytest.raises(CapacitiesError, match="Nom de fichier invalide"):
        sanitize_filename(name)


def test_upload_checks_type_content_size_and_existing_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    good = pdf_bytes(tmp_path)
    up = check_upload("../guide.pdf", good, corpus)
    assert up.source == "pdf/guide.pdf" and up.target == (corpus / "pdf" / "guide.pdf").resolve() and not up.replaces
    with pytest.raises(CapacitiesError, match="Type de fichier refusé"):
        check_upload("macro.docm", b"PK\x03\x04", corpus)
    with pytest.raises(CapacitiesError, match="vide"):
        check_upload("vide.pdf", b"", corpus)
    with pytest.raises(CapacitiesError, match="n'est pas un PDF"):
        check_upload("faux.pdf", b"MZ\x90\x00 not a pdf", corpus)
    with pytest.raises(CapacitiesError, match="tronqué ou corrompu"):
        check_upload("tronque.pdf", good[: len(good) // 3], corpus)
    with pytest.raises(CapacitiesError, match="taille maximale"):
        check_upload("gros.md", b"a" * (MAX_UPLOAD_MB * 1024 * 1024 + 1), corpus)
    with pytest.raises(CapacitiesError, match="binaires"):
        check_upload("binaire.md", b"abc\x00\x01\x02", corpus)
    with pytest.raises(CapacitiesError, match="mot de passe"):
        check_upload("chiffre.pdf", pdf_bytes(tmp_path, user_password="secret"), corpus)


def test_replacing_is_explicit_and_keeps_the_old_version(tmp_path: Path) -> None:
    s = Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    first = b"# Version 1\n\nTexte.\n"
    save_upload(check_upload("note.md", first, s.corpus_dir), first, s)
    with pytest.raises(CapacitiesError, match="existe déjà"):
        check_upload("note.md", b"# Version 2\n", s.corpus_dir)
    second = b"# Version 2\n\nAutre texte.\n"
    up = check_upload("note.md", second, s.corpus_dir, replace=True)
    assert up.replaces
    kept = save_upload(up, second, s)
    assert (s.corpus_dir / "markdown" / "note.md").read_bytes() == second
    assert kept is not None and kept.parent == s.trash_dir and kept.read_bytes() == first
    assert not list((s.corpus_dir / "markdown").glob(".*.part"))


def test_reserved_names_and_same_name_elsewhere_are_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "markdown" / "chapitres").mkdir(parents=True)
    (corpus / "markdown" / "chapitres" / "1-commande.md").write_text("# Commande\n", encoding="utf-8")
    with pytest.raises(CapacitiesError, match="réservés"):
        check_upload("README.md", b"# Lisez-moi\n", corpus)
    with pytest.raises(CapacitiesError, match="markdown/chapitres/1-commande.md"):
        check_upload("1-commande.md", b"# Autre\n", corpus, replace=True)


def test_a_failed_replacement_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    s = Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    first = b"# Version 1\n"
    save_upload(check_upload("note.md", first, s.corpus_dir), first, s)
    up = check_upload("note.md", b"# Version 2\n", s.corpus_dir, replace=True)

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError):
        save_upload(up, b"# Version 2\n", s)
    monkeypatch.undo()
    assert (s.corpus_dir / "markdown" / "note.md").read_bytes() == first
    assert not list((s.corpus_dir / "markdown").glob(".*.part"))


def test_trash_names_never_collide(tmp_path: Path) -> None:
    s = Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    (s.corpus_dir / "markdown").mkdir(parents=True)
    kept = []
    for version in (b"un", b"deux"):  # the same name twice within one second
        (s.corpus_dir / "markdown" / "a.md").write_bytes(version)
        kept.append(delete_document("markdown/a.md", s))
    assert kept[0] != kept[1] and [k.read_bytes() for k in kept] == [b"un", b"deux"]


def test_delete_moves_the_file_to_the_trash_and_stays_inside_the_corpus(tmp_path: Path) -> None:
    s = Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    (s.corpus_dir / "markdown").mkdir(parents=True)
    (s.corpus_dir / "markdown" / "a.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "outside.md").write_text("ne pas toucher", encoding="utf-8")
    with pytest.raises(CapacitiesError, match="introuvable"):
        delete_document("../outside.md", s)
    assert (tmp_path / "outside.md").exists()
    kept = delete_document("markdown/a.md", s)
    assert not (s.corpus_dir / "markdown" / "a.md").exists() and kept.read_text(encoding="utf-8") == "# A\n"
