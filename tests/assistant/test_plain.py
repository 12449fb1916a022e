"""The form of a sentence (``assistant.plain``), on sentences of the real corpus's pages."""

from __future__ import annotations

import pytest

from assistant.plain import advises, complete_sentence, noun_phrase, opens_alone, standalone, verbs, without_connector


@pytest.mark.parametrize(
    "text",
    [
        "Formation des agents administratifs sur la question de la donnée.",
        "Réduction du temps de traitement des dossiers.",
        "Une plateforme de covoiturage domicile-travail à destination des habitants de ma commune.",
        "Ensemble de guides à l’attention des administrations qui souhaitent mener des projets relatifs à la donnée.",
        "Mise en place par les élus au numérique de cycles de sensibilisation aux collègues élus de la collectivité.",
        "Infrastructures réseaux et serveurs : nécessité d’augmenter la capacité de transmission et de calcul.",
        "Jean Marc Deshayes, Caux Seine Agglomération.",
        "Moins d’artificialisation des sols naturels ou agricoles.",
    ],
)
def test_a_noun_phrase_is_not_a_sentence(text):
    assert noun_phrase(text) and not complete_sentence(text)


@pytest.mark.parametrize(
    "text",
    [
        "La fabrication des équipements est la phase du cycle de vie d’un produit numérique qui a le plus d’impacts.",
        "L’ANCT financera la constitution d’une équipe de développement.",
        "Une gestion rigoureuse du parc informatique permettra d’atteindre cet objectif.",
        "Une part importante de la population privée d’emploi ne bénéficie pas encore de l’insertion par l’activité.",
        "En France, le mouvement de l’ouverture des données publiques se fonde sur ces principes depuis 2011.",
        "Un producteur qui s’engage dans une logique de publication de ses données a intérêt à les actualiser.",
        "Une fois que le foyer est équipé, le produit joue un rôle de motivation entre les utilisateurs.",
        "Le RGESN (Référentiel général d'écoconception de services numériques) guide l'acheteur.",
        "Organiser des ateliers du type fresque du numérique avec les agents.",  # advice: an infinitive first
    ],
)
def test_a_sentence_with_a_verb_is_kept(text):
    assert not noun_phrase(text) and complete_sentence(text)


def test_verbs_are_counted_not_nouns_that_look_like_them():
    assert verbs("Les administrations et les agents du département") == 0  # -ions, -ent nouns, -ment nouns
    assert verbs("Les collectivités doivent évaluer ce qu'elles déploieront") == 2


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (
            "Pour ce faire, les collectivités concernées doivent définir un programme de travail.",
            "Les collectivités concernées doivent définir un programme de travail.",
        ),
        (
            "De plus, le réutilisateur est tenu de se conformer aux obligations légales.",
            "Le réutilisateur est tenu de se conformer aux obligations légales.",
        ),
        (
            "Ainsi si toutes les collectivités de plus de 3500 habitants sont soumises à l’obligation, la tâche coûte.",
            "Si toutes les collectivités de plus de 3500 habitants sont soumises à l’obligation, la tâche coûte.",
        ),
        ("Ainsi que le prévoit la loi, la commune publie ses données.", None),  # not a connector here
        (
            "Mais le déploiement de ce type de modèle pose la question.",
            "Le déploiement de ce type de modèle pose la question.",
        ),
    ],
)
def test_a_leading_connector_is_dropped_and_nothing_else(text, plain):
    assert without_connector(text) == (plain or text)


def test_a_sentence_that_leans_on_the_one_before_does_not_stand_alone():
    assert not standalone("Cela inclut la récupération de chaleur produite par les centres de données.")
    assert not standalone("Les dispositifs et services numériques dits « intelligents » peuvent y contribuer.")
    assert standalone(without_connector("Pour ce faire, les collectivités doivent définir un programme de travail."))


@pytest.mark.parametrize(
    "text",
    [  # sentences of the corpus whose demonstrative names what the sentence before said
        "Le décret d’application du 29 juillet 2022 vient préciser les termes de cet article.",
        "Le déploiement de ce type de modèle pose la question de l’impact des infrastructures associées.",
        "Une première bonne pratique de sobriété est de réduire ces besoins, en questionnant leur pertinence.",
        "On ne peut dans ce cas restreindre à une administration les résultats de la recherche d’un usager.",
        "Par exemple dans les écoles, collèges, lycées, centres sociaux, médiathèques, maisons France Service.",
        # "C'est" takes up what the sentence before named (both seen in the app, 2026-12-06)
        "C’est un label de type I mais encore insuffisamment répandu pour les matériels IT.",
        "C’est un des enjeux de l’écoconception des services numériques.",
        # "il" is the label named before (the procurement guide, p. 31, a key point of its élu summary)
        "Il peut être assimilée à un écolabel de type I.",
        # a questionnaire's follow-up, and a sentence that announces what the page shows after it (both once
        # in an élu answer on connected sensors, 2026-12-07)
        "Si oui, le candidat en décrira les conditions et les modalités de mise en œuvre.",
        "Les exemples de questions présentés ci-après sont volontairement multiples et à sélectionner.",
    ],
)
def test_a_demonstrative_inside_a_sentence_leans_on_the_one_before(text):
    assert not standalone(text)


@pytest.mark.parametrize(
    "text",
    [
        # the noun is named earlier in the same sentence
        "Organiser des actions de collecte de matériels en sensibilisant les agents sur les enjeux de cette collecte.",
        # "cette dernière" names the sentence's own "décision"
        "Si le document administratif contient une décision, cette dernière ne doit pas être en cours de délibération.",
        # the demonstrative takes up the opening condition
        "Si toutes les collectivités de plus de 3500 habitants sont soumises à l’obligation de publier leur données, "
        "sans accompagnement, cette tâche peut être coûteuse.",
        "L’objectif de ce guide est d’aider les collectivités à ouvrir leurs données.",  # the deliverable itself
        "Voici ce que la loi prévoit pour les communes de plus de 3 500 habitants.",  # a pronoun
        "Chaque type de déchet est classé suivant la décision 94/3/CE du 3 mai 2000.",  # not a demonstrative
        "Il peut être utile de fixer un seuil minimum de réemploi du parc.",  # an impersonal "il"
    ],
)
def test_a_sentence_that_names_its_own_referent_stands_alone(text):
    assert standalone(text)


def test_an_agent_reads_the_sentence_with_its_paragraph_so_only_its_opening_counts():
    text = "Le décret d’application du 29 juillet 2022 vient préciser les termes de cet article."
    assert opens_alone(text) and not standalone(text)
    assert not opens_alone("Cela inclut la récupération de chaleur produite par les centres de données.")


def test_a_sentence_is_not_split_after_an_abbreviation_in_capitals():
    from assistant.text import sentences

    text = (  # the ANCT call for interest, p. 20
        "L’engagement sera matérialisé par la signature de la charte (Cf. Annexe 3) permettant de définir le "
        "cadre de coopération. Il y en a. La suite vient ensuite."
    )
    assert [s[:12] for s in sentences(text)] == ["L’engagement", "Il y en a.", "La suite vie"]


def test_a_quotation_is_not_split_at_its_inner_full_stops():
    from assistant.text import sentences

    text = (  # the DINUM guide, p. 13
        "L’ACV fait l’objet d’une standardisation internationale par la norme ISO 14040 « Management "
        "environnemental. Analyse du cycle de vie - Principes et cadres », complétée par la norme ISO 14044. "
        "Elle porte sur tout le cycle de vie."
    )
    assert [s[:12] for s in sentences(text)] == ["L’ACV fait l", "Elle porte s"]


@pytest.mark.parametrize(
    ("text", "advice"),
    [  # sentences of the corpus's pages that an answer once numbered as steps
        ("La première étape pour publier des jeux de données sur data.gouv.fr est de créer un compte.", True),
        ("Si vous mettez en ligne des données publiques sur une plateforme ouverte, vous pouvez les référencer.", True),
        ("Il est par conséquent conseillé d’utiliser une API lorsque la fréquence de publication est régulière.", True),
        ("Les administrations sont tenues de récupérer le quotient familial auprès de la CAF.", True),
        ("Pour favoriser ce travail collaboratif, les approches agile sont à privilégier.", True),
        ("Le jeu de données se publie ensuite depuis le tableau de bord du compte utilisateur.", True),
        ("Un producteur qui publie ses données a intérêt à actualiser les ressources le plus souvent possible.", True),
        ("Sélectionnez le schéma qui vous intéresse dans la liste déroulante.", True),  # "vous", imperative
        ("Vous avez la possibilité d’apposer un sigle à votre jeu de données.", True),
        ("Il est obligatoire de renseigner ces informations.", True),
        ("Vous êtes tenus de diffuser en open data les documents communiqués.", True),
        ("Chez les agents formés, la part des impressions recule chaque année.", False),
        ("La plateforme data.gouv.fr rassemble et met à disposition librement les données produites.", False),
        ("La Loi pour une République Numérique institue l’open data par principe.", False),
        ("Cette API ne peut être utilisée que dans le cadre des logiciels métiers.", False),
        ("API particulier reçoit 20000 appels par jour (soit autant de justificatifs papier évités).", False),
    ],
)
def test_a_step_says_what_to_do_and_a_description_does_not(text, advice):
    assert advises(text) is advice
