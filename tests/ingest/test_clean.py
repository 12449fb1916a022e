"""Tests for ingest.clean: each rule on small strings, then on the real corpus pages it was written for."""

from __future__ import annotations

import pytest

from assistant.types import Page
from ingest.clean import (
    clean_document_pages,
    is_garbage,
    join_hyphenated,
    long_token_ratio,
    normalize_chars,
    normalize_whitespace,
    remove_running_lines,
)
from tests.helpers import CORPUS

PDF_DIR = CORPUS / "pdf"
LIGATURES = "".join(chr(c) for c in range(0xFB00, 0xFB07))

FRENCH = (
    "Pour une collectivité, l'acquisition de dispositifs et services numériques est complexe, car ils doivent "
    "s'inscrire dans la stratégie du territoire, répondre aux besoins des habitants et être adaptés aux moyens "
    "de la collectivité qui les achète et les fait vivre."
)
# What anct_numa_workshop_2020.pdf's text layer looks like: every character shifted by a font's bad map.
SHIFTED = "".join(chr(ord(c) - 29) if c.isalpha() and c.isascii() else c for c in FRENCH).replace(" ", "\x03")


def pdfium_pages(name: str) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(PDF_DIR / name)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def pypdf_pages(name: str) -> list[str]:
    import pypdf

    return [p.extract_text() or "" for p in pypdf.PdfReader(PDF_DIR / name).pages]


def pages_of(texts: list[str], source: str = "pdf/x.pdf") -> list[Page]:
    return [Page(source, i + 1, t) for i, t in enumerate(texts)]


# --- Rule 1: characters ---------------------------------------------------------------------------


def test_ligatures_and_odd_characters_are_normalized() -> None:
    text = "diﬀérentes ﬁnes ﬂeurs eﬃcace aﬄux ﬅyle ﬆop"
    assert normalize_chars(text) == "différentes fines fleurs efficace afflux style stop"
    assert normalize_chars("10\u00a0%\u202f!\u2009ok\u200b") == "10 % ! ok"
    assert normalize_chars("Qu\u2019est\u2011ce") == "Qu\u2019est-ce"
    assert normalize_chars("invi\u00adsible") == "invisible"
    assert normalize_chars("coopéra\u00ad\ntion") == "coopéra-\ntion"  # a soft hyphen at a break is a cut
    assert normalize_chars("plate\ufffeforme") == "plate-\nforme"  # PDFium's marker for a removed break
    assert normalize_chars("e\u0301te\u0301") == "été"  # decomposed accents composed
    assert normalize_chars("\uf0a7 premier point") == "• premier point"  # Wingdings bullet
    assert normalize_chars("1.1 Cadre général . . . . . . . 3") == "1.1 Cadre général … 3"
    assert normalize_chars("a\r\nb\x03c") == "a\nbc"


def test_ligatures_gone_from_capacities_pdf() -> None:
    raw = pypdf_pages("capacities_exploration_collaborative_2022.pdf")
    assert any(c in LIGATURES for t in raw for c in t), "the fixture lost its ligatures: test is void"
    cleaned = clean_document_pages(pages_of(raw))
    text = "\n".join(p.text for p in cleaned)
    assert not any(c in LIGATURES for c in text)
    assert "différentes" in text and "difficultés" in text and "offre" in text


# --- Rule 2: hyphenation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("la coopéra-\ntion des acteurs", "la coopération\ndes acteurs"),
        ("la coopéra-\ntion.\nSuite", "la coopération.\nSuite"),  # no empty line left behind
        ("en Hauts-\nde-France au sein", "en Hauts-de-France\nau sein"),  # the tail has its own hyphen
        ("le Pas-de-\nCalais", "le Pas-de-Calais"),  # capital: a compound
        ("COVID-\n19", "COVID-\n19"),  # not letters on both sides: left alone
        ("qu'est-\nce que", "qu'est-ce\nque"),
        ("la sous-\ntraitance", "la sous-traitance"),
        ("voir www.ecologie.gouv.fr/guide-\nachats", "voir www.ecologie.gouv.fr/guide-achats"),
        ("julia@developpement-\ndurable.gouv.fr", "julia@developpement-durable.gouv.fr"),
    ],
)
def test_line_end_hyphens(text: str, expected: str) -> None:
    assert join_hyphenated(text) == expected


def test_document_vocabulary_decides_between_join_and_hyphen() -> None:
    assert join_hyphenated("une plate-\nforme et une plate-forme") == "une plate-forme\net une plate-forme"
    assert join_hyphenated("une plate-\nforme et une plateforme") == "une plateforme\net une plateforme"
    assert join_hyphenated("un sto-\nry-board pour la story") == "un story-board\npour la story"


def test_hyphenation_on_real_pages() -> None:
    # etalab: the line-end hyphen is U+2011 ("Direction Géné‑\nrale"); RGESN via PDFium: U+FFFE ("égale￾ment").
    etalab = pdfium_pages("etalab_guide_qualite_donnees.pdf")
    assert "Géné\u2011\r\nrale" in etalab[4]
    cleaned = clean_document_pages(pages_of(etalab))[4].text
    assert "Direction Générale des Finances publiques" in cleaned
    assert "Géné-" not in cleaned

    rgesn = pdfium_pages("dinum_rgesn_v1.0.1_2022.pdf")
    assert "égale\ufffement" in rgesn[9]
    cleaned = clean_document_pages(pages_of(rgesn))[9].text
    assert "On peut également ne pas répondre" in cleaned
    assert "\ufffe" not in cleaned


# --- Rule 3: running headers and footers ----------------------------------------------------------


def _report_pages(n: int = 5) -> list[Page]:
    return [
        Page(
            "pdf/r.pdf",
            i,
            f"Rapport annuel 2022\n{i}\nObjectif\nTexte propre à la page {i}, avec ses idées.\n1.{i}\n"
            f"Chronos x Auxilia Conseil x CEREMA CC-by-nc\nPage {i} / {n}",
        )
        for i in range(1, n + 1)
    ]


def test_running_headers_footers_and_page_numbers_are_removed() -> None:
    pages, dropped = remove_running_lines(_report_pages())
    for p in pages:
        assert "Rapport annuel" not in p.text and "Chronos" not in p.text and "Page " not in p.text
        assert f"Texte propre à la page {p.page}" in p.text
        assert f"1.{p.page}" in p.text  # a number that is content, not the page number, stays
    # header, page number, footer, "Page i / n", and "Objectif" (only the margins can save it, see below)
    assert dropped == 5 * 5


def test_margins_keep_repeated_section_labels() -> None:
    # Without geometry "Objectif" (an edge line on every page) looks like a header; the margins say it is not.
    margins = ["Rapport annuel 2022\nChronos x Auxilia Conseil x CEREMA CC-by-nc\nPage 1 / 5"] * 5
    pages, _ = remove_running_lines(_report_pages(), margins)
    assert all(p.text.startswith("Objectif\n") for p in pages)
    assert all("Rapport annuel" not in p.text and "Chronos" not in p.text for p in pages)
    without, _ = remove_running_lines(_report_pages())
    assert not any("Objectif" in p.text for p in without)


def test_short_documents_keep_their_lines() -> None:
    pages, dropped = remove_running_lines(_report_pages(2))
    assert dropped == 0
    assert all("Rapport annuel" in p.text for p in pages)


def test_capacities_footer_removed() -> None:
    raw = pypdf_pages("capacities_exploration_collaborative_2022.pdf")
    # Checked first: the footer really is on every page of the file.
    assert all("Chronos x Auxilia Conseil x CEREMA CC-by-nc" in t for t in raw)
    stats: dict[str, float] = {}
    cleaned = clean_document_pages(pages_of(raw), stats=stats)
    assert not any("Chronos x Auxilia Conseil x CEREMA" in p.text for p in cleaned)
    assert "Auxilia (et sa marque Chronos)" in cleaned[0].text  # the same words in the body stay
    assert stats["header_lines_removed"] == 8  # the footer and the page number on each of the 4 pages


# --- Rule 6: whitespace and structure -------------------------------------------------------------

WRAPPED = (
    "Les dispositifs et services numériques dits intelligents peuvent contribuer à la\n"
    "transition des territoires, à condition de répondre aux besoins réels des habitants\n"
    "et des agents.\n"
    "Les principales difficultés évoquées par les usagers sont les suivantes, pour la plupart :\n"
    "• la complexité à identifier la bonne administration ou le bon service compétent pour\n"
    "leur demande ;\n"
    "- le découragement face à la masse d'informations fournies ;\n"
    "1. Premier point de la liste numérotée\n"
    "2.1 Un titre de section numéroté\n"
    "\n\n\n"
    "Un    nouveau   paragraphe   après   plusieurs   lignes   vides."
)


def test_whitespace_reflow_keeps_structure() -> None:
    out = normalize_whitespace(WRAPPED)
    assert out.split("\n") == [
        "Les dispositifs et services numériques dits intelligents peuvent contribuer à la transition des "
        "territoires, à condition de répondre aux besoins réels des habitants et des agents.",
        "Les principales difficultés évoquées par les usagers sont les suivantes, pour la plupart :",
        "• la complexité à identifier la bonne administration ou le bon service compétent pour leur demande ;",
        "- le découragement face à la masse d'informations fournies ;",
        "1. Premier point de la liste numérotée",
        "2.1 Un titre de section numéroté",
        "",
        "Un nouveau paragraphe après plusieurs lignes vides.",
    ]


def test_markdown_keeps_indentation() -> None:
    text = "- Former les agents\n  - acheteurs   publics\n  - élus   \n\n\n\nFin."
    assert normalize_whitespace(text, reflow=False) == "- Former les agents\n  - acheteurs publics\n  - élus\n\nFin."


def test_short_lines_are_not_reflowed() -> None:
    slide = "Le numérique\ndans tout ça ?\nDirection du numérique"
    assert normalize_whitespace(slide) == slide
    assert normalize_whitespace(WRAPPED, reflow=False).count("\n") == WRAPPED.count("\n") - 2


# --- Measures and garbage -------------------------------------------------------------------------


def test_long_token_ratio() -> None:
    assert long_token_ratio(FRENCH) == 0
    glued = "Identifierlesdonnéesàouvrir Consultezladernièreversiondeceguide sur le site"
    assert long_token_ratio(glued) == pytest.approx(2 / 5)
    assert long_token_ratio("") == 0


def test_is_garbage_on_strings() -> None:
    assert not is_garbage(FRENCH)
    assert is_garbage(SHIFTED)
    assert is_garbage(SHIFTED.replace("\x03", " "))  # even without its control characters
    assert not is_garbage("The quick brown fox jumps over the lazy dog and runs to the river in the morning.")
    assert not is_garbage("Le numérique\ndans tout ça ?")  # a slide: too short to judge, so never flagged
    assert not is_garbage("12 345 678 — 2022 — 40 %")
    assert not is_garbage("")


@pytest.mark.slow
def test_is_garbage_over_every_corpus_page() -> None:
    flagged: dict[str, list[int]] = {}
    pages = 0
    for path in sorted(PDF_DIR.glob("*.pdf")):
        texts = pdfium_pages(path.name)
        pages += len(texts)
        hits = [i + 1 for i, t in enumerate(texts) if is_garbage(t)]
        if hits:
            flagged[path.name] = hits
    assert pages > 500
    assert flagged == {"anct_numa_workshop_2020.pdf": [1, 2, 3, 4]}, f"false positives: {flagged}"


def test_numa_pages_are_garbage_in_both_extractors() -> None:
    for texts in (pypdf_pages("anct_numa_workshop_2020.pdf"), pdfium_pages("anct_numa_workshop_2020.pdf")):
        assert len(texts) == 4 and all(is_garbage(t) for t in texts)


def test_slides_are_not_garbage() -> None:
    texts = pdfium_pages("dinum_slides_numerique_ecoresponsable_2021.pdf")
    assert sum(len(t) < 300 for t in texts) > 10  # many nearly empty slides: the hard case
    assert not any(is_garbage(t) for t in texts)


def test_clean_document_pages_is_pure_and_keeps_page_numbers() -> None:
    pages = _report_pages()
    before = list(pages)
    cleaned = clean_document_pages(pages)
    assert pages == before
    assert [p.page for p in cleaned] == [1, 2, 3, 4, 5]
    assert all(p.source == "pdf/r.pdf" for p in cleaned)
