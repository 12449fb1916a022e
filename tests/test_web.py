"""The app's non-Streamlit parts: upload checks, admin password, feedback, export, page images, safe Markdown."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant.auth import Throttle, admin_secret, password_matches
from assistant.errors import CapacitiesError
from assistant.feedback import FeedbackStore
from assistant.render import export_markdown, render_page, safe_markdown
from assistant.settings import Settings
from assistant.types import Answer, Passage
from ingest.corpus import MAX_UPLOAD_MB, check_upload, delete_document, sanitize_filename, save_upload
from tests.conftest import build_pdf

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
    assert kept is not None and kept.parent == s.data_dir / "trash" and kept.read_bytes() == first
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


def test_admin_password_has_no_default_and_compares_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAPACITIES_ADMIN_PASSWORD", raising=False)
    assert admin_secret() == ""
    assert admin_secret({"admin_password": "depuis-secrets"}) == "depuis-secrets"
    monkeypatch.setenv("CAPACITIES_ADMIN_PASSWORD", "depuis-env")
    assert admin_secret({"admin_password": "depuis-secrets"}) == "depuis-env"
    assert password_matches("depuis-env", "depuis-env")
    assert not password_matches("depuis-en", "depuis-env")
    assert not password_matches("", "")  # no password set: nothing matches, not even an empty one


def test_failed_logins_slow_down_and_reset_on_success() -> None:
    t = Throttle(base=1.0, cap=5.0)
    assert t.delay() == 0.0
    delays = []
    for _ in range(5):
        t.failed()
        delays.append(t.delay())
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    t.succeeded()
    assert t.delay() == 0.0


def test_one_clients_failures_never_slow_another() -> None:
    """Issue 18, point 9: the throttle was global and held its lock while sleeping."""
    t = Throttle(base=1.0, cap=30.0)
    for _ in range(6):
        t.failed("10.0.0.66")
    assert t.delay("10.0.0.66") == 30.0 and t.delay("10.0.0.7") == 0.0
    t.succeeded("10.0.0.7")
    assert t.delay("10.0.0.66") == 30.0  # another client's success does not reset the attacker


def test_feedback_is_stored_updated_and_listed(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite")
    answer = Answer("Réponse [1]", "agent", "extractive", False, citations=[PASSAGE])
    up = store.add("Question A ?", answer, 1)
    down = store.add("Question B ?", answer, 0, "il manque une étape")
    store.update(up, rating=0)
    store.update(up, comment="  page fausse  ")
    assert store.counts() == {"up": 0, "down": 2}
    rows = store.latest(rating=0)
    assert [r["id"] for r in rows] == [down, up]  # newest first
    assert rows[1]["comment"] == "page fausse" and rows[0]["comment"] == "il manque une étape"
    assert rows[0]["pages"] == [{"source": "pdf/g.pdf", "page": 2}]
    assert rows[0]["answer"] == "Réponse [1]"
    with pytest.raises(ValueError):
        store.add("Q", answer, 5)


def test_export_quotes_sources_without_letting_them_format_the_page() -> None:
    evil = Passage(**{**vars(PASSAGE), "text": "# Titre\n<script>alert(1)</script> [lien](http://x)"})
    md = export_markdown([{"question": "Comment ?", "answer": Answer("Faites ceci [1]", "agent", "x", False, [evil])}])
    assert "## Question 1\n\nComment ?" in md
    assert "**[1]** Guide \\(pdf/g.pdf\\), p. 2" in md  # escaped: shown as typed
    assert "> \\# Titre" in md and "\\<script\\>" in md and "\\[lien\\]" in md


def test_safe_markdown_drops_images_and_non_web_links() -> None:
    text = "Voir ![pixel](http://traceur.example/p.png) et [clic](javascript:alert(1)) ou [site](https://x.fr) [1]"
    out = safe_markdown(text)
    assert "traceur" not in out and "javascript" not in out
    assert "[site](https://x.fr)" in out and out.endswith("[1]")
    # reference-style images, their definitions, and brackets inside the alt text
    out = safe_markdown("Logo ![x][r] puis ![a [b] c](https://e.example/x.png) fin\n[r]: https://evil.example/t.png")
    assert "evil.example" not in out and "e.example" not in out
    assert "![" not in out.replace("!\\[", "")  # no image syntax left unescaped


def test_cited_page_is_rendered_with_the_passage_highlighted(tmp_path: Path) -> None:
    pdf = build_pdf(
        tmp_path / "g.pdf",
        [["Page une."], ["Publier les données locales.", "Créez une organisation au nom de la mairie avant tout."]],
    )
    image, found = render_page(pdf, 2, "Créez une organisation au nom de la mairie avant tout.")
    assert found and image.width > 500
    yellow = sum(1 for px in image.getdata() if px[2] < 200 and px[0] > 200)
    assert yellow > 100  # the highlight is drawn
    _, found = render_page(pdf, 2, "Ce texte ne figure pas sur la page en question du tout.")
    assert not found
    with pytest.raises(CapacitiesError, match="n'existe pas"):
        render_page(pdf, 3, "x")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    assert buf.getvalue()[:4] == b"\x89PNG"
