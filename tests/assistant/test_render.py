"""Text shown safely: the export, safe Markdown, the cited page as an image."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant.errors import CapacitiesError
from assistant.render import escape_markdown, export_markdown, render_page, safe_markdown
from assistant.types import Answer, Passage
from tests.helpers import PASSAGE, build_pdf


def pdf_bytes(tmp_path: Path, **kw: object) -> bytes:
    return build_pdf(tmp_path / "src.pdf", [["Une page de texte."]], **kw).read_bytes()


def test_export_quotes_sources_without_letting_them_format_the_page() -> None:
    evil = Passage(**{**vars(PASSAGE), "text": "# Titre\n<script>alert(1)</script> [lien](http://x)"})
    md = export_markdown([{"question": "Comment ?", "answer": Answer("Faites ceci [1]", "agent", "x", False, [evil])}])
    assert "## Question 1\n\nComment ?" in md
    assert "**[1]** Guide \\(pdf/g.pdf\\), p. 2" in md  # escaped: shown as typed
    assert "> \\# Titre" in md and "\\<script\\>" in md and "\\[lien\\]" in md


def test_an_escaped_web_address_still_opens_the_page_it_names() -> None:
    """The parcours's steps and the source cards escape a document's text: a "-" escaped inside an address,
    or the ")" after it, became part of the link ("…/referentiel%5C-general-ecoconception/%5C")."""
    url = "https://ecoresponsable.numerique.gouv.fr/publications/referentiel-general-ecoconception/"
    out = escape_markdown(f"Le RGESN (voir {url}) s'applique. Site : https://www.data.gouv.fr. *Gras* [x](y)")
    assert f"<{url}>\\)" in out and "<https://www.data.gouv.fr>." in out
    assert "\\*Gras\\* \\[x\\]\\(y\\)" in out  # the rest is still shown as typed
    assert escape_markdown("[Valider](https://evil.example/x)") == "\\[Valider\\]\\(<https://evil.example/x>\\)"


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


def test_the_cited_passage_is_highlighted_whole_line_by_line_and_nothing_else(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    from assistant.render import _fragments, _line_boxes, _span

    lines = [
        "Une ligne qui ne fait pas partie du passage cité.",
        "Créez une organisation au nom de la mairie sur le portail,",
        "puis déposez le fichier et décrivez le jeu de données avec soin.",
        "Une autre ligne, après le passage, qui reste sans surlignage.",
    ]
    pdf_path = build_pdf(tmp_path / "p.pdf", [lines])
    passage = " ".join(lines[1:3])
    pdf = pdfium.PdfDocument(str(pdf_path))
    textpage = pdf[0].get_textpage()
    hits = []
    for fragment in _fragments(passage):
        searcher = textpage.search(fragment, match_case=False, match_whole_word=False)
        hit = searcher.get_next()
        hits += [hit] if hit else []
        searcher.close()
    boxes = _line_boxes(textpage, _span(hits, len(passage)))
    words = [textpage.get_text_bounded(left, bottom, right, top) for left, bottom, right, top in boxes]
    textpage.close()
    pdf.close()
    assert len(boxes) == 2  # one rectangle per line of the passage, not one per fragment
    assert words[0].startswith("Créez") and words[1].rstrip().endswith("soin.")
    assert not any("partie" in w or "surlignage" in w for w in words)
