import re

import pytest

from assistant.store import Chunk
from assistant.types import Document, Page
from ingest.load import load_document
from ingest.split import heading_of, split_document
from tests.helpers import CORPUS


def _doc(pages: list[str]) -> Document:
    return Document("pdf/x.pdf", "Titre", [Page("pdf/x.pdf", i, t) for i, t in enumerate(pages, 1)])


def test_headings_detected():
    assert heading_of("## Marchés publics") == "Marchés publics"
    assert heading_of("2.1 Définir le besoin") == "2.1 Définir le besoin"
    assert heading_of("ÉCOCONCEPTION DES SERVICES") == "ÉCOCONCEPTION DES SERVICES"
    assert heading_of("Ceci est une phrase ordinaire qui se termine par un point.") is None
    assert heading_of("- un élément de liste") is None


def test_chunks_keep_pages_sections_and_stay_in_size():
    para = "Les collectivités définissent leurs besoins avec les usagers. " * 12
    doc = _doc([f"1. Préparer le projet\n{para}\n\n{para}", f"2. Lancer le marché\n{para}", "Fin."])
    chunks = split_document(doc, chunk_size=400, chunk_overlap=60)
    assert all(isinstance(c, Chunk) for c in chunks)
    assert max(len(c.text) for c in chunks) <= 400
    assert chunks[0].page_start == 1 and chunks[-1].page_end == 3
    assert {c.section for c in chunks if c.page_start == 2} == {"2. Lancer le marché"}
    assert chunks[0].section == "1. Préparer le projet"
    assert [c.index for c in chunks] == list(range(len(chunks)))
    # a chunk starting on page 1 whose text ends on page 2 says so
    assert all(c.page_start <= c.page_end for c in chunks)


def test_ids_deterministic_and_unique():
    doc = _doc(["Même phrase.\n\nMême phrase.\n\n" + "Texte " * 300])
    a = split_document(doc, 200, 20)
    b = split_document(doc, 200, 20)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    changed = split_document(_doc(["Autre phrase.\n\n" + "Texte " * 300]), 200, 20)
    assert changed[0].id != a[0].id


def test_empty_document_gives_no_chunks():
    assert split_document(_doc(["", "  \n "])) == []


def test_labels_repeated_on_many_pages_are_not_sections():
    body = "Un paragraphe ordinaire qui décrit une bonne pratique pour les agents. " * 5
    pages = [f"→ Base IMPACTS® ADEME\nCRITÈRE GÉNÉRAL\n{body}" for _ in range(4)]
    pages[1] = f"ACHATS DURABLES\n{body}"
    chunks = split_document(_doc(pages), chunk_size=300, chunk_overlap=0)
    sections = {c.section for c in chunks}
    assert "CRITÈRE GÉNÉRAL" not in sections and "→ Base IMPACTS® ADEME" not in sections
    assert "ACHATS DURABLES" in sections


def test_chunks_stay_within_their_page_unless_asked_otherwise():
    doc = _doc(["Courte introduction du guide.", "Pour ouvrir des données, recensez-les puis publiez-les.", "Fin."])
    within = split_document(doc, chunk_size=1000, chunk_overlap=100)
    assert [(c.page_start, c.page_end) for c in within] == [(1, 1), (2, 2), (3, 3)]
    across = split_document(doc, chunk_size=1000, chunk_overlap=100, within_pages=False)
    assert [(c.page_start, c.page_end) for c in across] == [(1, 3)]


def test_id_changes_with_the_section_the_embedder_is_shown():
    body = "Recenser les données puis les publier sous licence ouverte. " * 3
    a = split_document(_doc(["1. Ouvrir les données", body]))[-1]
    b = split_document(_doc(["2. Publier les données", body]))[-1]
    assert (a.text, a.page_start) == (b.text, b.page_start) == (body.strip(), 2)
    assert a.section != b.section and a.id != b.id


# --------------------------------------------------------------------------- sections on the real corpus
# Before: 90 % of the RGESN's passages had the contents line "8. Hébergement 81" as their section, 96 % of the
# good-practice guide's had "GUIDE", and the cards and the lead sentence of answers named those parts.

RGESN = "pdf/dinum_rgesn_v1.0.1_2022.pdf"
BONNES_PRATIQUES = "pdf/dinum_guide_bonnes_pratiques_numerique_responsable_2023.pdf"
ACHATS = "pdf/dinum_guide_achats_numeriques_responsables_2021.pdf"
AMI = "pdf/anct_ami_commun_orientation_usagers_2020.pdf"


@pytest.fixture(scope="module")
def real_sections():
    out = {}
    for src in (RGESN, BONNES_PRATIQUES, ACHATS, AMI):
        chunks = split_document(load_document(CORPUS / src, CORPUS, ocr=False))
        out[src] = {c.page_start: c.section for c in chunks}
        out[src, "all"] = {c.section for c in chunks}
    return out


def test_a_contents_line_is_never_the_section_of_the_pages_after_the_contents(real_sections):
    sections = set(real_sections[RGESN].values())
    assert not any(re.search(r"\s\d{1,3}$", s) for s in sections), sections
    assert len(sections) > 50  # one criterion a page


def test_a_contents_page_whose_numbers_stand_on_their_own_lines_titles_nothing(real_sections):
    # the call for projects, p. 2: "Sommaire", then "I. Analyse du problème" / "6" …; its last entry,
    # "III. Modalités de réponse…", was the section of its glossary and its summary (p. 3 and 4)
    assert real_sections[AMI][3] == "Glossaire"  # the name of a part, opening its page in plain case
    assert real_sections[AMI][4] == "Synthèse"
    assert real_sections[AMI][5] == "I. Analyse du problème"
    assert real_sections[BONNES_PRATIQUES][8] == "Introduction"  # was "GUIDE", a stamp of the cover


def test_a_criterion_printed_at_the_foot_of_its_page_is_that_page_s_section(real_sections):
    assert real_sections[RGESN][35].startswith("4.2 Le service numérique comporte-t-il uniquement des")
    assert real_sections[RGESN][35].endswith("la lecture automatique est désactivée ?")


def test_a_chapter_s_running_title_is_the_section_of_its_pages(real_sections):
    bp = real_sections[BONNES_PRATIQUES]
    assert bp[57] == "Achat durable et responsable"
    assert bp[40] == "Mesure et évaluation"
    assert bp[44] == "Réduction des achats"  # the chapter's opening page, before its title runs at the top
    assert sum(s == "GUIDE" for s in bp.values()) < 10  # the front matter only (was 110 of 114 pages)


def test_a_good_practice_s_title_with_its_code_glued_is_its_page_s_section(real_sections):
    # the text layer puts "Optimiser la gestion du parc des équipementsf.1" at the foot of p. 59
    bp = real_sections[BONNES_PRATIQUES]
    assert bp[59] == "f.1 Optimiser la gestion du parc des équipements"
    assert bp[60] == "f.2 Agir sur les paramétrages par défaut"
    assert len({s for s in bp.values() if re.match(r"[a-h]\.\d{1,2} ", s)}) >= 25


def test_a_heading_in_capitals_broken_over_lines_is_one_heading(real_sections):
    # the procurement guide printed "HOP HALTE À L’OBSOLESCENCE" / "PROGRAMMÉE", "MINISTÈRE" / "DE LA TRANSITION" /
    # "ÉCOLOGIQUE", "→ UN RÉFÉRENTIEL CONSTRUIT PAR DES EXPERTS DU NUMÉRIQUE" / "RESPONSABLE": the last line
    # alone was the section of 23 passages
    sections = real_sections[ACHATS, "all"]
    assert "HOP HALTE À L’OBSOLESCENCE PROGRAMMÉE" in sections
    assert "LA DIRECTION DES ACHATS DE L’ÉTAT" in sections
    broken = {"PROGRAMMÉE", "RESPONSABLE", "ÉCOLOGIQUE", "NUMÉRIQUES", "DE L’ÉTAT", "DU NUMÉRIQUE", "D’ÉQUIPEMENT"}
    assert not sections & broken, sections & broken


def test_a_questionnaire_item_is_no_section_and_a_template_s_article_is_one(real_sections):
    # the procurement guide's candidate questionnaire: "5.1. Pouvez-vous décrire…" was the section of 24 passages,
    # among them the clauses of its CCTP templates, numbered "X.1.2" (the chapter left for the buyer to fill in)
    sections = real_sections[ACHATS, "all"]
    assert not any("Pouvez-vous" in s for s in sections)
    assert "X.1.2 Fourniture de matériels reconditionnés" in sections
    assert "X.2.1 Traçabilité sociale et origine des produits" in sections
    assert "COMMENT RÉUSSIR LA GESTION DE LA FIN DE VIE DES ÉQUIPEMENTS ?" in sections  # its last line ends with "?"


def test_a_library_call_number_titles_nothing(real_sections):
    # the good-practice guide's bibliography, p. 108: "D – PRISME – [0 84.75 TRIB r]" was the section of 14 passages
    assert not any("[" in s for s in real_sections[BONNES_PRATIQUES, "all"])


def test_a_number_on_its_own_line_then_a_title_is_a_heading():
    body = "Une phrase ordinaire du corps du texte qui explique la démarche aux agents. " * 4
    chunks = split_document(_doc([f"4\nUX/UI\n{body}"]), chunk_size=2000, chunk_overlap=0)
    assert chunks[0].section == "4 UX/UI"
    # lower down the page, such a number is a footnote's ("2" then "Loi relative à la lutte contre le gaspillage")
    chunks = split_document(_doc([f"{body}\n2\nLoi relative au gaspillage"]), chunk_size=2000, chunk_overlap=0)
    assert chunks[0].section == "Titre"


def test_the_rows_of_a_table_of_numbered_lines_are_not_sections():
    # procurement guide p. 29: "80 Plus Titanium 90 % 94 % 96 % 94 %" was the section of three pages
    rows = "\n".join(f"80 Plus {n} {p} % {p + 3} %" for n, p in (("Bronze", 82), ("Silver", 85), ("Gold", 87)))
    chunks = split_document(_doc([f"{rows}\nUn tableau des certifications énergétiques des alimentations."]))
    assert chunks[0].section == "Titre"


def test_running_titles_are_sections_only_where_they_are_printed():
    body = "Une phrase ordinaire du corps du texte qui explique la démarche aux agents. " * 4
    pages = [f"Achats\n{body}"] * 3 + [f"Une diapositive d'une autre partie\n{body}"] + [f"Usage\n{body}"] * 3
    chunks = split_document(_doc(pages), chunk_size=2000, chunk_overlap=0)
    by_page = {c.page_start: c.section for c in chunks}
    assert by_page[1] == by_page[3] == "Achats" and by_page[5] == by_page[7] == "Usage"
    assert by_page[4] == "Usage"  # the opening page of the chapter whose title runs from the next page
    pages[4] = f"Encore une autre partie\n{body}"
    by_page = {c.page_start: c.section for c in split_document(_doc(pages[:5]), chunk_size=2000, chunk_overlap=0)}
    assert by_page[5] == "Titre"  # out of any chapter: the document's title, not the last chapter's
