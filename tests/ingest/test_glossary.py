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


def test_one_word_per_letter_preferred_and_long_forms_tidied():
    g = build_glossary(
        [
            "la collecte des équipements électriques et électroniques (EEE) usagés",
            "Selon l'Agence nationale de la cohésion des territoires (ANCT), le",
            "le CAHIER DES CLAUSES TECHNIQUES PARTICULIÈRES (CCTP) précise",
        ]
    )
    assert g["EEE"] == "équipements électriques et électroniques"
    assert g["ANCT"] == "Agence nationale de la cohésion des territoires"
    assert g["CCTP"] == "Cahier des clauses techniques particulières"


def test_a_documents_own_glossary_outweighs_headings_and_case_does_not_split_a_definition():
    # the purchasing guide: three headings say "charges", two headings, a sentence and its glossary
    # (p. 136) say "clauses", the term of the public procurement code
    g = build_glossary(
        3 * ["→ CAHIER DES CHARGES TECHNIQUES PARTICULIèRES (CCTP)\nSelon les informations collectées"]
        + 2 * ["→ CAHIER DES CLAUSES TECHNIQUES PARTICULIèRES (CCTP)\nX.1 DÉFINITIONS"]
        + ["Il est généralement accompagné d’un cahier des clauses techniques particulières (CCTP)."]
        + [
            "CCAP : cahier des clauses administratives particulières, qui regroupe les clauses.\n"
            "CCTP : cahier des clauses techniques particulières, un document contractuel."
        ]
    )
    assert g["CCTP"] == "cahier des clauses techniques particulières"
    assert g["CCAP"] == "cahier des clauses administratives particulières"
    assert build_glossary(["AO : Appel d'Offre"]) == {"AO": "Appel d'Offre"}
    assert build_glossary(["NB : à relire plus tard."]) == {}  # a line that does not spell its acronym
