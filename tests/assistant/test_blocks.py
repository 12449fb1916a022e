"""Typed blocks, on pages of the real corpus: one test per kind of block, on a page that has it."""

from __future__ import annotations

import pytest

from assistant import blocks as B
from ingest.load import load_document
from ingest.split import running_lines, split_document
from tests.helpers import CORPUS, DATAGOUV_STEPS

ACHATS = "pdf/dinum_guide_achats_numeriques_responsables_2021.pdf"
PUBLIER = "pdf/etalab_guide_publier_data_gouv.pdf"
JURIDIQUE = "pdf/etalab_guide_juridique_donnees_a_ouvrir.pdf"
CAPACITIES = "pdf/capacities_exploration_collaborative_2022.pdf"
CONSULTATION = "pdf/anct_consultation_nationale_mode_emploi.pdf"
RGESN = "pdf/dinum_rgesn_v1.0.1_2022.pdf"
SLIDES = "pdf/dinum_slides_numerique_ecoresponsable_2021.pdf"
AMI = "pdf/anct_ami_commun_orientation_usagers_2020.pdf"


@pytest.fixture(scope="module")
def docs():
    return {src: load_document(CORPUS / src, CORPUS, ocr=False) for src in (ACHATS, PUBLIER, JURIDIQUE, CAPACITIES)}


def page(docs, src: str, n: int) -> str:
    if src not in docs:
        docs[src] = load_document(CORPUS / src, CORPUS, ocr=False)
    return next(p.text for p in docs[src].pages if p.page == n)


def kinds_of(text: str, running: frozenset[str] = frozenset()) -> dict[str, tuple[str, int, int]]:
    """First 60 characters of each block -> (kind, level, group)."""
    return {b.text[:60]: (b.kind, b.level, b.group) for b in B.parse_blocks(text, running)}


def find(blocks: list[B.Block], start: str) -> B.Block:
    return next(b for b in blocks if b.text.startswith(start))


def test_numbered_heading_with_its_level_then_a_procedure_in_order(docs):
    blocks = B.parse_blocks(page(docs, PUBLIER, 12))
    head = find(blocks, "4.4.2 Comment utiliser le service de moissonnage")
    assert (head.kind, head.level) == (B.HEADING, 3)
    assert find(blocks, "4.5 Faire vivre").level == 2
    lead = find(blocks, "Le principe du moissonnage")
    assert lead.kind == B.LEAD
    items = [b for b in blocks if b.group == lead.group and b.kind == B.ITEM]
    assert [i.text.split()[:2] for i in items] == DATAGOUV_STEPS
    assert all(not i.text[:1].isdigit() for i in items)  # the numbers are the list's, not the text's


def test_list_without_markers_after_a_lead_in(docs):
    blocks = B.parse_blocks(page(docs, ACHATS, 47))
    lead = find(blocks, "Les matériels répondent aux exigences minimales suivantes")
    items = [b.text for b in blocks if b.group == lead.group and b.kind == B.ITEM]
    assert items[0].startswith("Une longue durée d’utilisation")
    assert any(t.startswith("Une réduction des polluants") for t in items)  # not glued to the item before
    assert len(items) == 8
    assert find(blocks, "X.1.1 Fiabilité").kind == B.HEADING  # the list stops at the next heading


def test_divisions_of_a_law_and_of_a_convention_are_headings(docs):
    """ "Chapitre 3 : Favoriser…" heads the provisions listed under it; an élu answer once gave it as an action."""
    blocks = B.parse_blocks(page(docs, SLIDES, 22))
    chapter = find(blocks, "Chapitre 5 : Promouvoir une stratégie numérique responsable")
    assert (chapter.kind, chapter.level) == (B.HEADING, 2)
    item = find(blocks, "Elaboration d’une stratégie numérique responsable pour les communes")
    assert item.kind == B.ITEM
    assert find(blocks, "La loi REEN – dispositions phares").kind == B.HEADING  # not glued to the line above
    blocks = B.parse_blocks(page(docs, AMI, 21))
    article = find(blocks, "Article 2 : Obligations de la collectivité")
    assert (article.kind, article.level, article.text) == (B.HEADING, 3, "Article 2 : Obligations de la collectivité")
    assert find(blocks, "La collectivité s’engage à :").kind == B.LEAD
    assert B.heading_level("Étape 1 : recueil des besoins et de services numériques") == 0  # a step, not a part
    assert B.heading_level("Article 2 : la collectivité met à disposition ses données.") == 0


def test_the_rows_of_a_table_of_thresholds_stay_with_its_header(docs):
    """The training clause's hours by amount (purchasing guide, p. 51): its first row alone told a reader
    asking about a 250 000 € contract 150 hours."""
    table = find(B.parse_blocks(page(docs, ACHATS, 51)), "Montant total facturé sur toute la durée du marché")
    assert table.kind == B.PARAGRAPH
    assert "≤ 100 000 € HT 150 heures (1 mois)" in table.text
    assert table.text.endswith("> 400 000 € HT 900 heures (6 mois)")
    assert "> 200 000 € HT et ≤ 400 000 € HT 450 heures (3 mois)" in table.text


def test_clauses_that_go_on_a_lead_in_s_sentence_are_its_items_however_long(docs):
    """The take-back clause (purchasing guide, p. 111): two long clauses ending with ';' and '.' after
    "…sur simple demande de l'administration :" were two paragraphs, so the list and its date were never
    quoted; the sentence after them is not a third item."""
    blocks = B.parse_blocks(page(docs, ACHATS, 111))
    lead = find(blocks, "Le titulaire enlève ou fait enlever à titre non onéreux")
    items = [b.text for b in blocks if b.group == lead.group and b.kind == B.ITEM]
    assert lead.kind == B.LEAD and len(items) == 2
    assert "après le 13 août 2005" in items[0] and "avant le 13 août 2005" in items[1]
    assert find(blocks, "Le titulaire reprend ou fait reprendre").kind == B.PARAGRAPH


def test_a_short_line_cut_after_a_linking_word_is_no_label():
    text = "Soit en impact annuel d’Émissions de\nGaz à Effet de Serre en équivalent européen, soit 6,8 tonnes."
    assert [b.kind for b in B.parse_blocks(text)] == [B.PARAGRAPH]
    assert [b.kind for b in B.parse_blocks("Mise en œuvre\nDemander à l’hébergeur sa politique d’achat.")] == [
        B.HEADING,
        B.PARAGRAPH,
    ]


def test_table_cells_and_questionnaire_item(docs):
    k = kinds_of(page(docs, ACHATS, 56))
    assert k["Moyen de"][0] == B.TABLE and k["preuve"][0] == B.TABLE
    q = next(v for t, v in k.items() if t.startswith("Quelle(s) autre(s) disposition(s)"))
    assert q[0] == B.QUESTION


def test_grid_of_labels_and_cells(docs):
    k = kinds_of(page(docs, CONSULTATION, 2))
    assert k["Citoyenneté"][0] == B.TABLE
    row = next(v for t, v in k.items() if t.startswith("Culture / Tourisme"))
    assert row[0] == B.TABLE


def test_table_of_contents_and_running_header(docs):
    k = kinds_of(page(docs, ACHATS, 3))
    assert k["TABLE DES MATIÈRES"][0] == B.TOC
    assert k["Que prévoit la loi ? 20"][0] == B.TOC
    assert k["Qu’est-ce que l’analyse de cycle de vie (ACV) ? 13"][0] == B.TOC
    assert k["GUIDE ACHATS NUMÉRIQUE RESPONSABLE | TABLE DES MATIèRES"][0] == B.RUNNING


def test_running_lines_found_over_the_whole_document(docs):
    """A line at the top of many pages is a running header even where it reads like text."""
    running = running_lines([p.text for p in docs[ACHATS].pages])
    blocks = B.parse_blocks(page(docs, ACHATS, 47), running)
    assert find(blocks, "Matériels bureautiques : PC fixes").kind == B.RUNNING
    assert find(B.parse_blocks(page(docs, ACHATS, 47)), "Matériels bureautiques : PC fixes").kind != B.RUNNING
    chunks = split_document(docs[ACHATS])
    kinds = {b.kind for c in chunks for b in B.decode(c.text, c.blocks)}
    assert {B.RUNNING, B.TOC, B.TABLE, B.QUESTION, B.LEAD, B.ITEM, B.HEADING} <= kinds


def test_cross_reference_and_banner(docs):
    k = kinds_of(page(docs, CAPACITIES, 2))
    assert next(v for t, v in k.items() if "Voir livrable" in t)[0] == B.XREF
    k = kinds_of(page(docs, JURIDIQUE, 3))
    assert k["Découvrez nos nouveaux guides !"][0] == B.BANNER
    assert k["1.1 Cadre général et opportunités"][0] == B.HEADING


def test_decorations_are_not_part_of_a_block(docs):
    qualite = "pdf/etalab_guide_qualite_donnees.pdf"
    blocks = B.parse_blocks(page(docs, qualite, 15))
    # ":::warning Séparateurs décimaux Dans un fichier CSV, la virgule…": the box's title labels its text
    title = find(blocks, "Séparateurs décimaux")
    assert title.kind == B.HEADING and title.text == "Séparateurs décimaux"
    assert blocks[blocks.index(title) + 1].text.startswith("Dans un fichier CSV, la virgule")
    text = "# Rédiger le cahier\n💡 Une idée utile pour la commune.\n- point un ;\n- point deux."
    parsed = B.parse_blocks(text)  # what a passage merged for its card, or stored before blocks, gets
    assert [b.text for b in parsed] == [
        "Rédiger le cahier",
        "Une idée utile pour la commune.",
        "point un ;",
        "point deux.",
    ]
    assert parsed == B.decode(text, B.encode(parsed))


def test_labels_before_their_text_and_wrapped_questions(docs):
    blocks = B.parse_blocks(page(docs, RGESN, 12))
    assert find(blocks, "Mise en œuvre").kind == B.HEADING
    q = find(blocks, "Le service numérique est-il utilisable")
    assert q.kind == B.QUESTION and q.text.endswith("âgés de 5 ans ou plus ?")  # one block, not two


def test_a_label_glued_to_the_sentence_that_defines_it_is_a_heading(docs):
    # data.gouv.fr's form fields: the label sits beside its definition on the same line
    blocks = B.parse_blocks(page(docs, PUBLIER, 8))
    texts = [b.text for b in blocks]
    for label, definition in (
        ("Mots clés", "Les mots clés caractérisent"),
        ("Description*", "La description de"),
        ("Mode privé", "L’activation du mode privé"),
    ):
        assert label in texts
        assert texts[texts.index(label) + 1].startswith(definition)
    sigle = [b.text for b in B.parse_blocks(page(docs, PUBLIER, 7))]
    assert sigle[sigle.index("Sigle") + 1].startswith("Vous avez la possibilité d’apposer un sigle")
    # a sentence that merely starts with a capitalised word is left whole
    for line in (
        "Chaque commune La Poste dessert reçoit un courrier.",
        "La DINUM pilote le programme interministériel d’accélération de la transformation.",  # not a label
        "Loi AGEC (Loi n° 2020-105 du 10 février 2020 relative à la lutte contre le gaspillage)",
        "INDICE DE DURABILITÉ : indice qui viendra progressivement remplacer l’indice de réparabilité.",
    ):
        assert [b.text for b in B.parse_blocks(line)] == [line]


def test_a_sentence_cut_inside_a_name_is_one_block():
    # pypdf breaks the line inside "Ministère de la Transition Ecologique": one sentence, not two
    text = (
        "Il faut noter que le Ministère de la Transition\n"
        "Ecologique recommande, dans la mesure du possible, de limiter les dons au personnel.\n"
        "Réduction des achats\n"
        "Il est plus intéressant de mettre à jour les composants que de remplacer l'équipement."
    )
    texts = [b.text for b in B.parse_blocks(text)]
    assert texts[0] == (
        "Il faut noter que le Ministère de la Transition Ecologique recommande, dans la mesure du possible, "
        "de limiter les dons au personnel."
    )
    assert "Réduction des achats" in texts  # a short line of few words stays a line of its own


def test_blocks_survive_storage(docs):
    chunks = split_document(docs[PUBLIER])
    for c in chunks:
        assert B.decode(c.text, c.blocks) == B.parse_blocks(
            c.text, running_lines([p.text for p in docs[PUBLIER].pages])
        )
    text = chunks[5].text
    assert B.decode(text, "") == B.parse_blocks(text)  # a chunk stored without blocks is parsed on read


@pytest.mark.parametrize(
    ("unit", "reason"),
    [
        ("INTÉGRER DES CLAUSES DE CONCEPTION RESPONSABLE DANS LE CCTP", "heading"),
        ("8.1 Recommandations pour le formatage des fichiers csv", "heading"),
        ("LES ÉQUIPEMENTS RECONDITIONNÉS.", "heading"),
        ("OU CAHIER DES CLAUSES PARTICULIèRES (CCP)", "heading"),
        (
            "Quelle(s) autre(s) disposition(s) environnementale(s) est/sont adoptée(s) par le candidat ou ses "
            "fournisseurs, pour les produits et prestations objets",
            "question",
        ),
        ("Comment réussir la gestion de la fin de vie des équipements ? 17", "toc"),
        ("Des exigences environnementales précises sont consignées au CCTP (cf chapitre XX du CCTP).", "placeholder"),
        ("Prix … %", "placeholder"),
        (  # the national consultation's guide, p. 1-2: sample contributions, written as a collectivity would
            "Exemple : Ma collectivité a mis en place une plateforme de covoiturage domicile-travail pour compenser "
            "l’absence de transports publics sur ma commune.",
            "placeholder",
        ),
        ("Une plateforme de covoiturage domicile-travail à destination des habitants de ma commune.", "placeholder"),
        (  # p. 2: a column header of the same guide's grid of samples, not advice (it led a parcours answer)
            "Je recherche un service numérique répondant à une problématique récurrente des habitants, agents, "
            "associations, entreprises du territoire.",
            "placeholder",
        ),
        ("Je m’impliquerai personnellement pour aider l’équipe :", "placeholder"),  # a form's pledge
        ("Le principe du moissonnage sur data.gouv.fr se décompose en plusieurs étapes :", "fragment"),
        ("Voici les étapes pour publier un jeu de données.", "fragment"),
        ("→ Voir livrable : “Carnet d’ateliers inspirants” de CAPACities", "xref"),
        ("Découvrez nos nouveaux guides !", "banner"),
        ("Culture / Tourisme Les habitants de ma commune souffrent des canicules.", "table"),
        ("de publier directement des données et de les mettre en contexte ;.", "fragment"),
        ("GUIDE ACHATS NUMÉRIQUE RESPONSABLE | EQUIPE PROJET", "running"),
        (  # a testimonial cut by the sentence split: its quotation opened in the sentence before
            "Ca a été un accélérateur, ça a changé notre façon de voir notre projet » Aymeric Sauvage, CCVCMB.",
            "fragment",
        ),
        (
            "Le mieux, le rêve c’est d’intégrer un programme CAPACities, c’est un accélérateur.” Frédéric Tourneur.",
            "fragment",
        ),
        # a quotation's signature on its own (CAPACities p. 3; achats guide p. 141): shown as step 6 of an answer
        ("Jean Marc Deshayes, Caux Seine Agglomération.", "fragment"),
        ("Agnès Le Meil, Infranum.", "fragment"),
        ("Jean-Christophe Chaussat – DSI Pôle Emploi", "fragment"),
        # a good practice's title with its code glued (good-practice guide p. 53): shown as a step before
        ("Privilégier les achats durables et réparablese.2", "heading"),
        # a form's answer boxes (the RGESN's model declaration, p. 19): quoted in an élu answer before
        ("Connexion minimum pour le service. Oui / non. Si oui, indiquer la taille minimum de l’écran.", "placeholder"),
        ("Écoconception des serveurs : oui / non", "placeholder"),
        # a resource named with its address (eco-design chapter, "Outils et ressources"): steps 2-6 of an answer
        ("NumEcoDiag (https://ecoresponsable.numerique.gouv.fr/publications/numecodiag/) : diagnostic RGESN.", "xref"),
        ("Sobriété éditoriale (https://www.sobriete-editoriale.fr/ressources/), Ferreole Lespinasse.", "xref"),
        # pointers to links the answer cannot show, and a licence line (RGESN p. 6): steps 13-15 of the same answer
        ("Des exemples de mise en œuvre d’une démarche d’écoconception sont documentés sur cette page.", "xref"),
        ("Un exemple d’une Déclaration d’écoconception est disponible ici.", "xref"),
        ("Version 1.0.1 publiée sous licence ouverte Etalab v2.", "xref"),
        # a practice sheet's field label (good-practice guide, 15 sheets), shown as a bullet of the PUE answer
        ("Moyen de test ou de contrôle.", "fragment"),
        ("Justificatif des engagements environnementaux de l’hébergeur.", "fragment"),
        ("Guide des bonnes pratiques numérique responsable", "fragment"),
    ],
)
def test_what_is_not_advice(unit, reason):
    assert B.non_advice(unit) == reason


@pytest.mark.parametrize(
    "unit",
    [
        "Vous créez un moissonneur sur data.gouv.fr afin que data.gouv.fr suive l’activité de votre plateforme.",
        "La première étape pour publier des jeux de données sur data.gouv.fr est de créer un compte utilisateur.",
        "Acquérir un équipement reconditionné plutôt qu’un matériel neuf réduit fortement les impacts.",
        "Le contenu recyclé des matériels : exemple, x % de plastique recyclé.",
        "Nos élus disent qu'ils ne sont « pas très forts sur la donnée » et demandent une formation.",
        "Caux Seine Agglomération, la communauté urbaine, a organisé un atelier avec ses partenaires.",
        "La Région Bretagne, avec ses partenaires, publie un guide des achats responsables.",
        # the same guide's own how-to, in the first person of its form
        "Je partage un service : en cliquant sur « Identifier des services », je peux partager un service existant "
        "au sein de ma collectivité.",
        # an action whose object carries its address
        "Intégrer le Référentiel général d'écoconception de services numériques (RGESN) "
        "(https://ecoresponsable.numerique.gouv.fr/publications/rgesn/) comme clause à l'achat de prestation.",
        # a step of the data.gouv.fr guide: "ici" is the list on the screen
        "Sélectionnez le schéma qui vous intéresse dans la liste déroulante, les schémas disponibles ici étant ceux "
        "référencés sur schema.data.gouv.fr.",
        # short, but an action or a sentence
        "Connaître le PUE de son hébergement.",
        "Les données sont publiées chaque mois.",
        # an action whose verb starts like "de" + infinitive (the RGESN's test of practice 8.7, p. 88)
        "Demander à l’hébergeur sa politique en termes d’achat d’électricité.",
        "Devenir territoire référent pour un service numérique.",
    ],
)
def test_advice_is_not_rejected(unit):
    assert B.non_advice(unit) is None


def test_list_items_may_continue_their_lead_in():
    item = "de publier directement des données et de les mettre en contexte ;"
    assert B.non_advice(item) == "fragment" and B.non_advice(item, in_list=True) is None
    assert B.non_advice("Quel est le coût pour le candidat ?", in_list=True) == "question"


def test_a_part_lettered_like_an_item_is_a_heading_not_the_last_item_of_the_list_before():
    # the ANCT call for interest, p. 12: "e) Aspects financiers" was quoted as the timeline's fourth step
    text = (
        "d) Calendrier prévisionnel\n"
        "Une première période de 24 mois est envisagée :\n"
        "0 à 6 mois : expérimentation et première phase de construction du service.\n"
        "18 à 24 mois : consolidation du service.\n"
        "e) Aspects financiers\n"
        "Le financement s’opérera par période de 6 mois, débloqué sur la base de comités d’investissement.\n"
        "Deux critères :\n"
        "a) Réparabilité\n"
        "b) Longévité\n"
        "Ces critères sont notés sur vingt points."
    )
    kinds = [(b.kind, b.text) for b in B.parse_blocks(text)]
    assert kinds[0] == (B.HEADING, "d) Calendrier prévisionnel") and kinds[4] == (B.HEADING, "e) Aspects financiers")
    assert [t for k, t in kinds if k == B.ITEM][:2] == [
        "0 à 6 mois : expérimentation et première phase de construction du service.",
        "18 à 24 mois : consolidation du service.",
    ]
    # a lettered list stays a list, its last item included
    assert [t for k, t in kinds if k == B.ITEM][2:] == ["Réparabilité", "Longévité"]


def test_block_vectors_round_trip():
    import numpy as np

    vecs = np.random.default_rng(0).normal(size=(3, 768)).tolist()
    packed = B.pack_vectors(vecs)
    back = B.unpack_vectors(packed)
    assert back.shape == (3, B.VECTOR_DIM)
    assert np.allclose(np.linalg.norm(back, axis=1), 1, atol=1e-2)
    q = B.query_for_blocks(vecs[1], B.VECTOR_DIM)
    assert int(np.argmax(back @ q)) == 1
    assert B.pack_vectors([]) == "" and B.unpack_vectors("") is None
