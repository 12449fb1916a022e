from assistant.store import Chunk
from assistant.types import Document, Page
from ingest.split import heading_of, split_document


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
