"""Tests for ingest.load: file types, bad files, PDF extraction choices, OCR fallbacks, and the real corpus."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from assistant.errors import CapacitiesError
from ingest.clean import is_garbage
from ingest.load import load_document
from tests.helpers import CORPUS
from tests.helpers import build_pdf as make_pdf

PDF_DIR = CORPUS / "pdf"
LIGATURES = "".join(chr(c) for c in range(0xFB00, 0xFB07))

BODY = [
    "Objectif",
    "Les collectivités qui achètent des services numériques doivent s'assurer que ces services",
    "répondent aux besoins réels des habitants et des agents, et qu'ils restent sobres en énergie.",
    "Une démarche de coproduction avec les entreprises permet de partager les contraintes de chacun.",
]
# A text layer whose font maps every letter three places off: vowels vanish, words become nonsense.
GARBAGE = [
    "".join(chr(ord(c) + 3) if c.isascii() and c.isalpha() else c for c in line)
    .replace("a", "k")
    .replace("e", "q")
    .replace("i", "w")
    for line in BODY
]


def make_scanned_pdf(path: Path, lines: list[str]) -> Path:
    """An image-only PDF (no text layer), like a scan."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 42)  # has accented glyphs
    except OSError:
        font = ImageFont.load_default(size=42)  # may draw boxes for accents: tests check plain words
    for k, line in enumerate(lines):
        draw.text((120, 200 + 70 * k), line, fill=0, font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PDF", resolution=200)
    return path


def load_error(path: Path, root: Path, **kwargs: object) -> str:
    with pytest.raises(CapacitiesError) as info:
        load_document(path, root, **kwargs)
    message = str(info.value)
    assert "\n" not in message, "one line for the user"
    return message


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "tesseract" else real_which(name))


# --- Markdown and text ----------------------------------------------------------------------------


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "markdown" / "guide" / "1-commande.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        '---\nlayout: page.njk\ntitle: "1. Commande publique durable"\neleventyNavigation:\n'
        '  title: "Autre titre"\n---\n\n#### Exemples d\'actions\n\n- Sensibiliser les agents\n'
        "- Former les acheteurs\n\n## Indicateurs\n\nNombre de marchés avec une clause   environnementale.\n",
        encoding="utf-8",
    )
    doc = load_document(path, tmp_path)
    assert doc.source == "markdown/guide/1-commande.md"
    assert doc.title == "1. Commande publique durable"
    assert [p.page for p in doc.pages] == [1]
    text = doc.pages[0].text
    assert "layout" not in text and "eleventyNavigation" not in text
    assert text.splitlines() == [
        "#### Exemples d'actions",
        "",
        "- Sensibiliser les agents",
        "- Former les acheteurs",
        "",
        "## Indicateurs",
        "",
        "Nombre de marchés avec une clause environnementale.",
    ]
    assert doc.pages[0].source == doc.source


def test_markdown_title_from_heading_and_real_file() -> None:
    path = next((CORPUS / "markdown").rglob("3-*.md"))
    doc = load_document(path, CORPUS)
    assert doc.title == "3. Écoconception des sites et des services numériques"
    assert doc.source.startswith("markdown/") and "\\" not in doc.source
    assert doc.pages[0].text.startswith("#### Exemples d'actions")


def test_markdown_without_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "note.markdown"
    path.write_text("\n# Plan d'action 2024\n\nTexte du plan.\n", encoding="utf-8")
    doc = load_document(path, tmp_path)
    assert doc.title == "Plan d'action 2024"
    assert doc.pages[0].text == "# Plan d'action 2024\n\nTexte du plan."


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "compte_rendu_atelier.txt"
    path.write_bytes("Compte rendu de l'atelier\nLes élus ont validé la feuille de route.\n".encode("cp1252"))
    doc = load_document(path, tmp_path)
    assert doc.title == "Compte rendu de l'atelier"
    assert "élus" in doc.pages[0].text
    assert doc.warnings and "Windows-1252" in doc.warnings[0]


# --- Bad files ------------------------------------------------------------------------------------


def test_zero_byte_files(tmp_path: Path) -> None:
    for name in ("vide.pdf", "vide.md"):
        (tmp_path / name).write_bytes(b"")
        assert (
            load_error(tmp_path / name, tmp_path)
            == f"{name} : fichier vide (0 octet) ; remplacez-le par le document complet."
        )


def test_text_file_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "pdf" / "faux.pdf"
    path.parent.mkdir()
    path.write_text("Ceci n'est pas un PDF.", encoding="utf-8")
    message = load_error(path, tmp_path)
    assert message.startswith("pdf/faux.pdf : ce n'est pas un PDF")


def test_truncated_pdf(tmp_path: Path) -> None:
    data = (PDF_DIR / "capacities_exploration_collaborative_2022.pdf").read_bytes()
    path = tmp_path / "tronque.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert "PDF tronqué ou corrompu" in load_error(path, tmp_path)


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "secret.pdf", [BODY], user_password="motdepasse")
    message = load_error(path, tmp_path)
    assert message == (
        "secret.pdf : PDF chiffré (protégé par mot de passe), impossible à lire ; fournissez une version non protégée."
    )
    assert "PDF chiffré" in load_error(path, tmp_path, extractor="pdfium")


def test_pdf_with_owner_password_only_loads(tmp_path: Path) -> None:
    # An empty user password (restrictions only) opens like any PDF viewer would.
    path = make_pdf(tmp_path / "restreint.pdf", [BODY], user_password="", owner_password="proprietaire")
    doc = load_document(path, tmp_path)
    assert "coproduction avec les entreprises" in doc.pages[0].text


def test_unreadable_and_unsupported_files(tmp_path: Path) -> None:
    folder = tmp_path / "dossier.pdf"  # a directory: read_bytes fails with an OSError, even for root
    folder.mkdir()
    assert load_error(folder, tmp_path).startswith("dossier.pdf : fichier illisible (")
    (tmp_path / "note.docx").write_bytes(b"PK")
    assert "format non pris en charge (.docx)" in load_error(tmp_path / "note.docx", tmp_path)


def test_markdown_with_front_matter_only(tmp_path: Path) -> None:
    path = tmp_path / "vide.md"
    path.write_text("---\ntitle: Rien\n---\n", encoding="utf-8")
    assert "aucun texte exploitable" in load_error(path, tmp_path)


# --- Generated PDFs -------------------------------------------------------------------------------


def test_pdf_pages_headers_and_title(tmp_path: Path) -> None:
    pages = [BODY + [f"Page de contenu numéro {n}."] for n in range(1, 5)]
    path = make_pdf(
        tmp_path / "pdf" / "rapport_final.pdf",
        pages,
        header="Rapport CAPACities 2022",
        footer="Chronos x Auxilia Conseil x CEREMA",
        title="Rapport final CAPACities",
    )
    doc = load_document(path, tmp_path)
    assert doc.source == "pdf/rapport_final.pdf"
    assert doc.title == "Rapport final CAPACities"
    assert [p.page for p in doc.pages] == [1, 2, 3, 4]
    for p in doc.pages:
        assert "Rapport CAPACities" not in p.text and "Chronos" not in p.text
        assert p.text.startswith("Objectif\n")  # repeated on every page but not in a margin: kept
        assert f"Page de contenu numéro {p.page}." in p.text
        # Lines wrapped inside a sentence are joined; the one ending in "." stays a line end.
        assert "doivent s'assurer que ces services répondent aux besoins" in p.text
    assert doc.stats["header_lines_removed"] == 8
    assert doc.stats["pages"] == 4 and doc.stats["pages_text"] == 4
    assert doc.stats["long_token_ratio_before"] == doc.stats["long_token_ratio_after"] == 0
    assert not doc.warnings


@pytest.mark.parametrize(
    ("meta", "first_lines", "expected"),
    [
        ("Présentation PowerPoint", ["Numérique", "écoresponsable", "Un webinaire sur le sujet."], None),
        ("Microsoft Word - rapport.docx", ["GUIDE PRATIQUE", "pour les élus"], "GUIDE PRATIQUE"),
        (None, ["www.exemple.gouv.fr/guide Référentiel général", "d'écoconception", "GUIDE"], None),
        (None, ["12", "2022"], "Rapport annuel v2"),
    ],
)
def test_pdf_title_fallbacks(tmp_path: Path, meta: str | None, first_lines: list[str], expected: str | None) -> None:
    path = make_pdf(tmp_path / "rapport_annuel-v2.pdf", [first_lines + BODY[1:]], title=meta)
    doc = load_document(path, tmp_path)
    if expected is None:  # the cover's title block, URLs dropped, stopped at the style change or sentence
        expected = {"Présentation PowerPoint": "Numérique écoresponsable"}.get(
            meta or "", "Référentiel général d'écoconception"
        )
    assert doc.title == expected


def test_garbage_page_skipped_when_tesseract_missing(tmp_path: Path, no_tesseract: None) -> None:
    path = make_pdf(tmp_path / "mixte.pdf", [BODY, BODY, GARBAGE])
    doc = load_document(path, tmp_path)
    assert [p.page for p in doc.pages] == [1, 2]
    assert doc.warnings == [
        "page 3 : couche texte illisible, OCR indisponible (installez tesseract-ocr et tesseract-ocr-fra) ; "
        "page ignorée."
    ]
    assert doc.stats["pages_garbage"] == 1 and doc.stats["pages_skipped"] == 1 and doc.stats["pages_ocr"] == 0


def test_garbage_page_skipped_when_ocr_disabled(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "mixte.pdf", [BODY, GARBAGE])
    doc = load_document(path, tmp_path, ocr=False)
    assert [p.page for p in doc.pages] == [1]
    assert doc.warnings == ["page 2 : couche texte illisible, OCR désactivé ; page ignorée."]


def test_numa_without_tesseract_says_why(no_tesseract: None) -> None:
    message = load_error(PDF_DIR / "anct_numa_workshop_2020.pdf", CORPUS)
    assert message == (
        "pdf/anct_numa_workshop_2020.pdf : aucun texte exploitable (couche texte illisible, "
        "OCR indisponible (installez tesseract-ocr et tesseract-ocr-fra))."
    )


def test_scanned_pdf_without_ocr(tmp_path: Path, no_tesseract: None) -> None:
    path = make_scanned_pdf(tmp_path / "scan.pdf", ["Compte rendu de la réunion"])
    message = load_error(path, tmp_path)
    assert message.startswith(
        "scan.pdf : aucun texte exploitable (aucune couche texte (PDF scanné ?), OCR indisponible"
    )


@pytest.mark.slow
@pytest.mark.tesseract
def test_scanned_pdf_is_ocred(tmp_path: Path) -> None:
    lines = [
        "Compte rendu de réunion",
        "Les élus du conseil municipal ont décidé de réduire",
        "la consommation d'énergie des bâtiments publics de la",
        "commune avant la fin de l'année prochaine.",
    ]
    doc = load_document(make_scanned_pdf(tmp_path / "scan.pdf", lines), tmp_path)
    text = doc.pages[0].text.lower()
    assert doc.stats["pages_ocr"] == 1
    assert "conseil municipal" in text and "publics de la commune" in text
    assert doc.title.startswith("Compte rendu")


# --- Real corpus ----------------------------------------------------------------------------------


def test_capacities_pdf() -> None:
    doc = load_document(PDF_DIR / "capacities_exploration_collaborative_2022.pdf", CORPUS)
    assert doc.source == "pdf/capacities_exploration_collaborative_2022.pdf"
    assert doc.title == "CAPACities, une exploration collaborative"
    assert [p.page for p in doc.pages] == [1, 2, 3, 4]
    text = "\n".join(p.text for p in doc.pages)
    assert not any(c in LIGATURES for c in text)
    assert "Chronos x Auxilia Conseil x CEREMA" not in text
    assert "différentes techniques d’animation" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "etalab_guide_juridique_donnees_a_ouvrir.pdf",
        "etalab_guide_publier_data_gouv.pdf",
        "etalab_guide_qualite_donnees.pdf",
    ],
)
def test_etalab_glued_words_are_fixed(name: str) -> None:
    doc = load_document(PDF_DIR / name, CORPUS)
    before, after = doc.stats["long_token_ratio_before"], doc.stats["long_token_ratio_after"]
    print(f"{name}: long tokens {before:.1%} -> {after:.1%}")
    assert before > 0.15
    assert after < 0.03
    assert doc.stats["pages_reextracted"] == doc.stats["pages"]
    text = "\n".join(p.text for p in doc.pages)
    assert "Consultez la dernière version de ce guide" not in text  # the running footer
    assert " des données " in text


def test_a_few_glued_words_ask_the_other_extractor() -> None:
    """Two glued phrases on a page of normal French ("voussouhaiteriezorganiser") are enough for a second look."""
    doc = load_document(PDF_DIR / "anct_consultation_nationale_mode_emploi.pdf", CORPUS)
    text = "\n".join(p.text for p in doc.pages)
    assert 0 < doc.stats["long_token_ratio_before"] < 0.02
    assert doc.stats["long_token_ratio_after"] == 0
    assert doc.stats["pages_reextracted"] == 2
    assert "vous souhaiteriez organiser un atelier" in text
    assert "Je recherche un service numérique" in text


def test_pdfium_extractor() -> None:
    doc = load_document(PDF_DIR / "etalab_guide_publier_data_gouv.pdf", CORPUS, extractor="pdfium")
    assert doc.stats["long_token_ratio_before"] < 0.03 and doc.stats["pages_reextracted"] == 0
    assert doc.title == "Publier les données sur data.gouv.fr"


@pytest.mark.slow
@pytest.mark.tesseract
def test_numa_garbage_is_ocred() -> None:
    start = time.perf_counter()
    doc = load_document(PDF_DIR / "anct_numa_workshop_2020.pdf", CORPUS)
    print(f"numa OCR: {time.perf_counter() - start:.1f} s")
    assert doc.stats["pages_garbage"] == 4 and doc.stats["pages_ocr"] == 4 and doc.stats["pages_skipped"] == 0
    assert [p.page for p in doc.pages] == [1, 2, 3, 4]
    assert not any(is_garbage(p.text) for p in doc.pages)
    text = "\n".join(p.text for p in doc.pages).lower()
    for word in ("workshop", "semaine", "temps", "équipe", "réunions"):
        assert word in text


@pytest.fixture(scope="module")
def corpus_docs() -> dict[str, object]:
    """Every corpus file loaded with the defaults but without OCR; failures kept as messages."""
    out: dict[str, object] = {}
    start = time.perf_counter()
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix.lower() in (".pdf", ".md"):
            try:
                out[path.relative_to(CORPUS).as_posix()] = load_document(path, CORPUS, ocr=False)
            except CapacitiesError as exc:
                out[path.relative_to(CORPUS).as_posix()] = str(exc)
    print(f"corpus load+clean without OCR: {time.perf_counter() - start:.1f} s")
    return out


@pytest.mark.slow
def test_whole_corpus(corpus_docs: dict[str, object]) -> None:
    failed = {k: v for k, v in corpus_docs.items() if isinstance(v, str)}
    assert failed == {
        "pdf/anct_numa_workshop_2020.pdf": "pdf/anct_numa_workshop_2020.pdf : aucun texte exploitable "
        "(couche texte illisible, OCR désactivé)."
    }
    for source, doc in corpus_docs.items():
        if isinstance(doc, str):
            continue
        assert doc.source == source
        assert doc.title and "\n" not in doc.title
        numbers = [p.page for p in doc.pages]
        assert numbers == sorted(set(numbers)) and numbers[0] >= 1
        assert doc.stats["pages_text"] == len(doc.pages)
        assert doc.stats.get("pages_garbage", 0) == 0, f"{source}: false garbage positive"
        assert not doc.warnings, f"{source}: {doc.warnings}"
        assert doc.stats["long_token_ratio_after"] < 0.03
        for p in doc.pages:
            assert p.text.strip() and not is_garbage(p.text)
            assert not any(c in LIGATURES for c in p.text)
            assert "\r" not in p.text and "\u00a0" not in p.text and "\u2011" not in p.text


@pytest.mark.slow
def test_repeated_labels_survive_and_headers_go(corpus_docs: dict[str, object]) -> None:
    rgesn = corpus_docs["pdf/dinum_rgesn_v1.0.1_2022.pdf"]
    page10 = next(p.text for p in rgesn.pages if p.page == 10)
    assert page10.startswith("Objectif\n") and "Moyen de test ou de contrôle" in page10
    assert page10.rstrip().endswith("1.3")  # the criterion number is content
    assert "Référentiel général d’écoconception de services numériques" not in page10
    guide = corpus_docs["pdf/anct_guide_services_publics_numeriques_territoires_2020.pdf"]
    page10 = next(p.text for p in guide.pages if p.page == 10)
    assert page10.startswith("Quel problème avons-nous cherché à résoudre ?")
    text = "\n".join(p.text for p in guide.pages)
    assert "Hauts-de-France" in text and "plateforme" in text  # "Hauts-\nde-France", "plate-\nforme"


def test_markdown_links_keep_words_and_address_images_dropped(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("# Titre\nVoir le [guide achats](https://exemple.fr/guide) ici.\n![logo](img/logo.png)\n", "utf-8")
    text = load_document(path, tmp_path).pages[0].text
    assert "Voir le guide achats (https://exemple.fr/guide) ici." in text
    assert "logo" not in text
