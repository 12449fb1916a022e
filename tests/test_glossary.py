from ingest.glossary import build_glossary


def test_acronyms_defined_both_ways():
    g = build_glossary(
        [
            "Le RGESN (Référentiel général d'écoconception de services numériques) fixe des critères.",
            "La Direction interministérielle du numérique (DINUM) publie le guide.",
            "Consultez la DSI (direction des systèmes d'information).",
        ]
    )
    assert g["RGESN"] == "Référentiel général d'écoconception de services numériques"
    assert g["DINUM"] == "Direction interministérielle du numérique"
    assert g["DSI"] == "direction des systèmes d'information"


def test_parenthesis_that_is_not_a_definition_is_ignored():
    assert build_glossary(["Le CEREMA (voir plus bas) et la CNIL (page 3) interviennent."]) == {}
