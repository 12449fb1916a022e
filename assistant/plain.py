"""The form of a sentence, as an answer shows it: does it say what to do, stand on its own, have a verb,
and what it reads like once its leading connector is dropped ("Pour ce faire, les collectivités…").

The élu composer's « En bref » and the élu deliverable summary quote only complete sentences: a capital
first, a full stop last, a verb-sized length, a conjugated verb, never a noun phrase ("Formation des agents
à la donnée.", "Une plateforme de covoiturage domicile-travail."); a noun phrase may still be a bullet of
« Pour votre collectivité », as a list item is (a testimonial's tail is ``blocks.non_advice``'s). French
has no cheap part-of-speech tagger offline, so the verb is found from its forms: the common verbs of the
corpus, the endings of the other persons and tenses, a negation ("ne … pas") or a reflexive ("se fonde").
"""

from __future__ import annotations

import re

SENTENCE_MAX = 32  # a complete sentence, for élus, has at most this many words

_INFINITIVE = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ’']+(?:er|ir|(?<!u)re|clure|dre)$")  # "Ouverture" is a noun
_NOT_INFINITIVE = set(
    [
        "premier",
        "dernier",
        "entre",
        "notre",
        "votre",
        "autre",
        "cahier",
        "titre",
        "nombre",
        "cadre",
        "membre",
        "libre",
        "propre",
        "ordre",
        "chiffre",
        "centre",
        "dossier",
        "fichier",
        "leur",
        "pour",
        "sur",
        "par",
        "quatre",
        "offre",
        "contre",
        "lettre",
        "filière",
        "matière",
        "manière",
        "première",
    ]
)
_DO = re.compile(
    r"^(?:(?:il|on) (?:faut|convient|doit)|il est (?:recommandé|conseillé|nécessaire|important|utile)|"
    r"nous vous conseillons|veillez|pensez|privilégiez|vous (?:pouvez|devez|créez|publiez|demandez|choisissez))\b",
    re.IGNORECASE,
)


def infinitive_first(s: str) -> bool:
    """An action, as a list's item says it: "Organiser des ateliers…", "Réduire…"."""
    first = s.split(" ", 1)[0].strip('«"(')
    return bool(_INFINITIVE.match(first)) and first.lower() not in _NOT_INFINITIVE


def says_what_to_do(s: str) -> bool:
    """An infinitive first ("Réduire…", "Créer…"), or "il faut", "veillez à", "vous pouvez"…"""
    return infinitive_first(s) or bool(_DO.match(s))


# advice said anywhere in a sentence: an obligation, a recommendation, a first step, a possibility offered to
# the reader ("La première étape … est de créer un compte", "Les acheteurs doivent…", "Il est recommandé…"),
# or the next thing done in a sequence ("Le jeu de données se publie ensuite…")
_INF = r"[a-zà-ÿ]+(?:er|ir|re)\b"  # an infinitive, as far as a regular expression can tell
_MODAL = r"(?:doi(?:t|vent)|devez|devr(?:a|ont|ait|aient|ez)|peu(?:t|vent)|pouvez|pourr(?:a|ont|ait|aient|ez))"
_ADVERB = r"(?:d['’]abord|aussi|également|notamment|ensuite|donc|par conséquent|ainsi|fortement|vivement|souvent)"
_CLITIC = r"(?:(?:les?|la|leur|lui|en|y|se|vous|nous) |[ls]['’])"
_ADVISED = (
    r"recommandée?s?|conseillée?s?|préconisée?s?|nécessaires?|indispensables?|essentiel(?:le)?s?|important(?:e)?s?|"
    r"utiles?|préférables?|obligatoires?|tenue?s? de|invitée?s? à|à [a-zà-ÿ]+er"
)
_ADVISES = re.compile(
    rf"\b(?:il (?:faut|convient|importe)|il s['’]agit (?:{_ADVERB} )?d(?:e |['’]){_INF}|"
    rf"{_MODAL} (?:{_ADVERB} )?{_CLITIC}?(?!être\b){_INF}|(?:est|sont|êtes|semble) (?:{_ADVERB} )?(?:{_ADVISED})\b|"
    r"(?:étape|premier pas|point de départ)\b.{0,80}?\best de\b|recommand(?:e|ons|ent)\b|préconis(?:e|ons|ent)\b|"
    r"(?:a|avez|ont) (?:la possibilité d(?:e |['’])|(?:tout )?intérêt à)|vous êtes invités?|veille[rz]? à|"
    r"^(?:ensuite|puis|enfin|d['’]abord|une fois)\b|\bse [a-zà-ÿ]+ (?:ensuite|puis|enfin|d['’]abord)\b|"
    r"^(?!chez\b)[a-zà-ÿ]{3,}ez\b)",  # an imperative to "vous" first: "Sélectionnez…", "Remplissez…"
    re.IGNORECASE,
)


def advises(s: str) -> bool:
    """Does the sentence say what to do, first or anywhere ("Les acheteurs doivent prévoir…"), or the next
    thing done ("Le jeu de données se publie ensuite…")? A description ("La plateforme rassemble les
    données…") does not: among an answer's steps, it is context."""
    return says_what_to_do(s) or bool(_ADVISES.search(s))


_ANAPHORA = re.compile(
    r"^(?:cela|ceci|ce|cet|cette|ces|celui|celle|ceux|celles|elle|elles|ils|leur|leurs|mais|ainsi|donc|"
    r"c['’](?:est|était|sera)|"  # "C'est un label de type I…", "C'est ce que tout bon acheteur nomme…"
    r"par ailleurs|en effet|cependant|de même|de plus|pour ce faire|non pas|enfin|ensuite|puis|or|aussi|"
    # "Un tel positionnement…"; "Par exemple dans les écoles, …" gives the example of the sentence before
    r"un tel|une telle|de tels|de telles|par exemple(?!\s*,)|"
    r"si oui|si non|sinon|"  # "Si oui, le candidat en décrira les conditions…" answers the question before it
    # "Il peut être utile de…" is impersonal; "Il peut être assimilé à un écolabel" speaks of what came before
    r"il (?!(?:faut|est|existe|convient|s['’]agit|importe|peut être(?! [a-zà-ÿ]+(?:é|ée|és|ées)\b))))\b|"
    r"\b(?:également|aussi|ci-dessus|précédemment)\b",
    re.IGNORECASE,
)


_THERE = re.compile(r"\b(?:peu(?:t|vent)|doi(?:t|vent)|pourr\w*|devr\w*) y\b", re.I)  # "peuvent y contribuer"


# a demonstrative inside the sentence: "précise les termes de cet article", "dans ce cadre"; not a pronoun
# ("ce que", "ce qui") nor "ce dernier", which names a noun of the same sentence
_DEMONSTRATIVE = re.compile(
    r"\b[Cc](?:e|et|ette|es)\s+(?!(?:que|qu|qui|dont|faisant|soit|sont|sera|serait|dernier|dernière|derniers|"
    r"dernières|jour|moment|stade|titre|sujet)\b)([a-zà-ÿœæ]{3,})"  # not "CE" (the European Community)
)
# the deliverable, or its part, speaks of itself
_SELF = ("guide", "document", "livrable", "rapport", "fiche", "site", "référentiel", "chapitre", "section", "partie")
_CONDITION = re.compile(r"^(?:Si|S['’]|Lorsqu|Quand|Dès lors qu|Une fois qu|Dans le cas où)")


def _refers_back(s: str) -> bool:
    """A demonstrative whose noun the sentence has not named before it ("Le décret … précise les termes de
    cet article."); "la collecte … les enjeux de cette collecte" names its own noun, and "Si les communes
    doivent publier leurs données, cette tâche…" what its opening clause says."""
    after_condition = s.find(",") if _CONDITION.match(s) else len(s)
    for m in _DEMONSTRATIVE.finditer(s):
        noun = m.group(1).lower()
        if m.start() > after_condition > 0:
            continue
        before = {w[:5] for w in re.findall(r"[a-zà-ÿœæ]+", s[: m.start()].lower())}
        if not noun.startswith(_SELF) and noun[:5] not in before:
            return True
    return False


# what the page shows after the sentence: "Les exemples de questions présentés ci-après sont…"
_FORWARD = re.compile(r"\b(?:ci-après|ci-dessous|suivant(?:e|s|es)?\s*:)", re.IGNORECASE)


def opens_alone(s: str) -> bool:
    """Does a sentence start without leaning on the one before it ("Cela inclut…", "Elles devront…")? Enough
    where the sentence is quoted with its paragraph, as agents read it."""
    return not _ANAPHORA.search(s[:60]) and not _THERE.search(s)


def standalone(s: str) -> bool:
    """Does a sentence make sense on its own, read without its paragraph: it opens alone, and names no
    demonstrative's noun it has not named itself ("… précise les termes de cet article."), and points to
    nothing the page shows after it ("… présentés ci-après")?"""
    return opens_alone(s) and not _refers_back(s) and not _FORWARD.search(s)


def complete_sentence(s: str, most: int = SENTENCE_MAX) -> bool:
    """A whole sentence: a capital first, a full stop (or !) last, 6 to ``most`` words, and a verb."""
    return s[:1].isupper() and s.rstrip().endswith((".", "!")) and 6 <= len(s.split()) <= most and not noun_phrase(s)


_FINITE = set(
    re.findall(
        r"\S+",
        """est sont a ont était étaient sera seront serait seraient soit soient fut peut peuvent pourra
    pourront pourrait pourraient doit doivent devra devront devrait devraient faut fallait faudra
    faudrait permet permettent fait font va vont vient viennent existe existent reste restent devient
    deviennent semble semblent paraît consiste dispose disposent propose proposent offre offrent
    contient contiennent prévoit prévoient concerne concernent implique impliquent représente
    représentent constitue constituent comprend comprennent inclut incluent précise précisent demande
    demandent donne donnent rend rendent vise visent sait savent veut veulent met mettent prend prennent
    dit disent voit voient suffit convient agit reçoit reçoivent touche touchent institue intègre
    intègrent expose exposent impose imposent oblige obligent favorise favorisent engage engagent
    nécessite nécessitent requiert garantit apporte apportent aide aident passe passent porte portent
    encadre encadrent définit définissent fixe fixent accompagne accompagnent assure assurent figure
    figurent signifie développe pousse conduit équivaut transite coûte bénéficie ouvre introduit demeure
    consomme consomment sert servent crée créent étudie décide mesurent""",
    )
)
_CONJUGATED = re.compile(
    r"[a-zà-ÿ]{2,}(?:ons|ez|ait|aient|èrent|ra|ront|rait|raient|issent|ent)$"  # -ra: "financera", "permettra"
)
_NOT_CONJUGATED = ("ment", "ion", "ions", "caméra", "extra", "opéra")
_ENT_NOUNS = set(
    re.findall(
        r"\S+",
        """agent parent client accident président urgent souvent comment dont pendant cent différent récent""",
    )
)
_NEGATED_OR_REFLEXIVE = re.compile(  # "ne bénéficie pas", "n'est plus", or a reflexive: "se fonde", "s'inscrit"
    r"\bn(?:e\s+|['’])\w+\s+(?:pas|plus|jamais|guère|que)\b|\bs(?:e\s+|['’])[a-zà-ÿ]{3,}", re.I
)
_RELATIVE = re.compile(r"\s(?:qui|dont)\s", re.I)  # not "que": "Une fois que le foyer est équipé, …"
_NOUN_FIRST = re.compile(r"(?:tion|sion|ment|age|ité|ure|ance|ence|isme|eur|ie)s?$")


def verbs(s: str) -> int:
    """How many conjugated verbs (known forms, conjugations' endings, negations and reflexives)."""
    n = len(_NEGATED_OR_REFLEXIVE.findall(s))
    for w in re.findall(r"[a-zà-ÿœæ]+", s.lower()):
        n += w in _FINITE or bool(_CONJUGATED.search(w)) and not w.endswith(_NOT_CONJUGATED) and w not in _ENT_NOUNS
    return n


def noun_phrase(s: str) -> bool:
    """A noun phrase with a full stop, not a sentence: "Réduction du temps de traitement des dossiers.",
    "Une plateforme de mise en relation…", "Objets connectés : fabrication, maintenance…", or a name and
    its organisation ("Jean Marc Deshayes, Caux Seine Agglomération."). An infinitive first is advice."""
    words = re.findall(r"[A-Za-zÀ-ÿœæ]+", s)
    # "Ensemble de guides … qui souhaitent mener…": the one verb is a relative clause's
    main, relative = (*_RELATIVE.split(s, 1), "")[:2]
    if not words or says_what_to_do(s) or verbs(main) or verbs(relative) > 1:
        return False
    first = words[0].lower()
    return (
        first in {"un", "une", "des", "moins", "plus", "mise", "ensemble", "objet", "annexe", "article"}
        or bool(_NOUN_FIRST.search(first))
        or " : " in s[:60]
        or sum(w[:1].isupper() for w in words) >= 0.6 * len(words)
    )


_CONNECTOR = re.compile(
    r"^(?:(?:ainsi|de plus|par ailleurs|en effet|pour ce faire|en outre|de même|enfin|ensuite|puis|cependant|"
    r"toutefois|or|donc|aussi|concrètement|en pratique|par conséquent|par exemple)\s*,\s*|mais\s+|ainsi\s+(?=si\b))",
    re.IGNORECASE,
)


def without_connector(s: str) -> str:
    """The sentence without the connector that ties it to the one before ("De plus, le réutilisateur est
    tenu…" -> "Le réutilisateur est tenu…"): nothing else of it changes."""
    rest = _CONNECTOR.sub("", s, count=1)
    return rest[:1].upper() + rest[1:] if rest != s and rest else s
