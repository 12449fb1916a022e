"""Plain French for élus: a quoted sentence said with common words and cut into shorter sentences.

The élu modes (the « En bref » answer and the deliverable summary for élus) quote sentences of
administrative prose that read harder than the questions they answer. Two rewrites, both deterministic and
reviewable, make them plainer without changing what they say:

- **Common words** (``LEXICON``): the administrative turns that the French plain-language guides ask writers
  to replace ("afin de" → "pour", "au sein de" → "dans", "il convient de" → "il faut", "effectuer" →
  "faire", "l'ensemble des" → "tous les"…). Each entry keeps the grammar around it: a noun is replaced only
  after a determiner that fits both genders, a verb only in the forms listed.
- **Shorter sentences** (``split``): a sentence is cut where a second complete sentence starts: at ";",
  at ", mais", at ", ce qui" (→ ". Cela"), at ", car" (→ ". En effet,") and at ", et" before a subject.
  A cut is made only if both parts are complete sentences (``plain.complete_sentence``).

What is rewritten is never a quotation: the source cards keep the text as printed, and the answer says
that its sentences are simplified. ``plain_sentence`` is what the composers call.
"""

from __future__ import annotations

import re

from assistant import prompts
from assistant.blocks import non_advice
from assistant.plain import complete_sentence, verbs

_A = "['’]"  # either apostrophe of the corpus
_AFTER = "(sur|à|pour|dans|par|avec|entre|de|chez|auprès de)"  # a preposition: what follows is no subject
# "au sein de" → "dans" only before a determiner: "au sein de réseaux" would give "dans réseaux"
_DET = r"(?= (?:la|le|les|leurs?|son|sa|ses|ce|cet|cette|ces|chaque|notre|votre|nos|vos|toute?s?|une?)\b| l')"
_DET_ELIDED = r"(?=une?\b)"


def _de(head: str, new: str, det: bool = False) -> list[tuple[str, str]]:
    """ "``head`` de" and, before a vowel, "``head`` d'", both said ``new`` ("afin de", "afin d'" → "pour");
    with ``det``, only before a determiner ("au sein de la" → "dans la", not "au sein de réseaux")."""
    return [(f"{head} de{_DET if det else ''}", new), (f"{head} d'{_DET_ELIDED if det else ''}", f"{new} ")]


# (pattern, replacement): patterns are matched whole-word and case-insensitively; "'" stands for either
# apostrophe. A replacement keeps the capital of the text it replaces.
LEXICON: list[tuple[str, str]] = [
    # purpose and means
    *_de("afin", "pour"),
    ("afin que", "pour que"),
    ("afin qu'", "pour qu'"),
    *_de("en vue", "pour"),
    *_de("dans le but", "pour"),
    *_de("dans l'objectif", "pour"),
    ("aux fins de", "pour"),
    ("par le biais du", "par le"),
    ("par le biais des", "par les"),
    *_de("par le biais", "par", det=True),
    ("à destination du", "pour le"),
    ("à destination des", "pour les"),
    *_de("à destination", "pour", det=True),
    ("en ce qui concerne", "pour"),
    ("s'agissant du", "pour le"),
    ("s'agissant des", "pour les"),
    *_de("s'agissant", "pour", det=True),
    # place and time
    ("au sein du", "dans le"),
    ("au sein des", "dans les"),
    *_de("au sein", "dans", det=True),
    ("à l'issue du", "après le"),
    ("à l'issue des", "après les"),
    *_de("à l'issue", "après", det=True),
    ("préalablement au", "avant le"),
    ("préalablement aux", "avant les"),
    (f"préalablement à{_DET}", "avant"),
    ("à compter du", "dès le"),
    ("à compter de", "dès"),
    ("au préalable", "d'abord"),
    ("ultérieurement", "plus tard"),
    ("à l'heure actuelle", "aujourd'hui"),
    ("actuellement", "aujourd'hui"),
    ("lorsque", "quand"),
    ("lorsqu'", "quand "),
    # quantity and manner
    # after a preposition only: as a subject, "L'ensemble des agents est formé" keeps its singular verb;
    # never "des", whose noun's gender says "tous" or "toutes"
    (f"{_AFTER} (?:l'ensemble|l'intégralité|la totalité) du", r"\1 tout le"),
    (f"{_AFTER} (?:l'ensemble|l'intégralité|la totalité) de la", r"\1 toute la"),
    ("la majorité des", "la plupart des"),
    *_de("un certain nombre", "plusieurs"),
    ("un grand nombre de", "beaucoup de"),
    ("un grand nombre d'", "beaucoup d'"),
    ("davantage", "plus"),
    ("approximativement", "environ"),
    ("fréquemment", "souvent"),
    ("uniquement", "seulement"),
    ("également", "aussi"),
    ("systématiquement", "toujours"),
    ("par conséquent", "donc"),
    # ability, need and aim
    *_de("est en mesure", "peut"),
    *_de("sont en mesure", "peuvent"),
    *_de("être en mesure", "pouvoir"),
    *_de("est susceptible", "peut"),
    *_de("sont susceptibles", "peuvent"),
    *_de("a la possibilité", "peut"),
    *_de("ont la possibilité", "peuvent"),
    *_de("a pour objectif", "vise à"),
    *_de("ont pour objectif", "visent à"),
    *_de("a pour objet", "vise à"),
    *_de("ont pour objet", "visent à"),
    *_de("il est nécessaire", "il faut"),
    ("il est nécessaire que", "il faut que"),
    *_de("il est indispensable", "il faut"),
    *_de("il convient", "il faut"),
    *_de("il est attendu", "il faut"),
    ("nécessiter", "demander"),
    ("nécessite", "demande"),
    ("nécessitent", "demandent"),
    ("nécessitant", "demandant"),
    ("requiert", "demande"),
    ("requièrent", "demandent"),
    ("de s'avérer", "d'être"),
    ("s'avérer", "être"),
    ("s'avère", "est"),
    ("s'avèrent", "sont"),
    # verbs
    ("effectuer", "faire"),
    ("effectue", "fait"),
    ("effectuent", "font"),
    ("effectué", "fait"),
    ("effectuée", "faite"),
    ("effectués", "faits"),
    ("effectuées", "faites"),
    ("procéder à la", "faire la"),
    ("procéder à l'", "faire l'"),
    ("procéder au", "faire le"),
    ("procéder aux", "faire les"),
    ("procède à la", "fait la"),
    ("procède à l'", "fait l'"),
    ("procède au", "fait le"),
    ("procède aux", "fait les"),
    ("procèdent à la", "font la"),
    ("procèdent à l'", "font l'"),
    ("procèdent au", "font le"),
    ("procèdent aux", "font les"),
    # "ne dispose pas de moyens", not "de la compétence" nor "d'un agent" ("n'a pas la", "n'a pas d'agent")
    ("ne dispose pas de(?= (?!la\\b))", "n'a pas de"),
    ("ne disposent pas de(?= (?!la\\b))", "n'ont pas de"),
    ("dispose d'un", "a un"),
    ("dispose d'une", "a une"),
    ("disposent d'un", "ont un"),
    ("disposent d'une", "ont une"),
    ("de disposer d'un", "d'avoir un"),
    ("de disposer d'une", "d'avoir une"),
    ("disposer d'un", "avoir un"),
    ("disposer d'une", "avoir une"),
    ("mettre à disposition(?! d)", "fournir"),
    ("met à disposition(?! d)", "fournit"),
    ("mettent à disposition(?! d)", "fournissent"),
    ("optimiser", "améliorer"),
    ("optimise", "améliore"),
    ("optimisent", "améliorent"),
    ("pérenniser", "faire durer"),
    ("appréhender", "comprendre"),
    # nouns, where the determiner fits both
    ("collectivités territoriales", "collectivités"),
    ("collectivité territoriale", "collectivité"),
    ("(?<=les )établissements publics de coopération intercommunale", "intercommunalités"),
    ("(?<=des )établissements publics de coopération intercommunale", "intercommunalités"),
    ("(?<=aux )établissements publics de coopération intercommunale", "intercommunalités"),
    ("(?<=(?:les|des|aux|ses|nos|vos) )administrés", "habitants"),
    ("méthodologie", "méthode"),
    ("méthodologies", "méthodes"),
    ("l'utilisation(?= d)", "l'usage"),
]

# ", ainsi que" at a sentence's head means "as" ("Ainsi que le prévoit la loi…"): only inside a sentence
# and "En outre," heading one is read "therefore" once said "Aussi,"
_INSIDE: list[tuple[str, str]] = [("ainsi que", "et"), ("ainsi qu'", "et "), ("en outre", "aussi")]


def _compile(pattern: str) -> re.Pattern[str]:
    body = pattern.replace("'", _A)
    tail = r"(?![\w-])" if body[-1].isalpha() else ""  # an apostrophe or a lookahead ends the match itself
    return re.compile(rf"(?<![\w’'-]){body}{tail}", re.IGNORECASE)


_RULES = [(_compile(p), r) for p, r in LEXICON]
_RULES_INSIDE = [(_compile(p), r) for p, r in _INSIDE]


def _keep_case(found: str, new: str, curly: bool) -> str:
    """``new`` with the capital of the ``found`` text it replaces, and its text's apostrophes."""
    if curly or "’" in found:
        new = new.replace("'", "’")
    return new[:1].upper() + new[1:] if found[:1].isupper() else new


def common_words(text: str) -> str:
    """``text`` with the administrative turns of ``LEXICON`` replaced by common words."""
    curly = "’" in text or "'" not in text  # French typography, unless the text has straight ones only
    for rx, new in _RULES:
        text = rx.sub(lambda m, new=new: _keep_case(m.group(0), m.expand(new), curly), text)
    for rx, new in _RULES_INSIDE:
        text = rx.sub(lambda m, new=new: _keep_case(m.group(0), new, curly) if m.start() else m.group(0), text)
    return text


_SUBJECT = (
    r"(?:les?|la|l['’]|ils?|elles?|on|nous|vous|chaque|ces|cette|cet|ce(?= \w+ (?:est|sont|a|ont|peut|doit))|"
    r"leurs?|ses|son|sa|une?|des|toute?s?)"
)
# (where to cut, how the second sentence opens, whether a verb must follow the cut): "…, ce qui souvent
# est…" would give "Cela souvent est…"
_CUTS: list[tuple[re.Pattern[str], str, bool]] = [
    (re.compile(r"\s*;\s+"), "", False),
    (re.compile(rf",\s+mais\s+(?={_SUBJECT}\b)", re.IGNORECASE), "Mais ", False),
    (re.compile(r",\s+ce qui\s+"), "Cela ", True),
    (re.compile(rf",\s+car\s+(?={_SUBJECT}\b)", re.IGNORECASE), "En effet, ", False),
    (re.compile(rf",\s+et\s+(?={_SUBJECT}\b)", re.IGNORECASE), "", False),
]


def _end(s: str) -> str:
    s = s.strip().rstrip(",;:")
    return s if s.endswith((".", "!", "?", "…")) else f"{s}."


def split(sentence: str) -> list[str]:
    """The sentence cut where a second complete sentence starts, each part ended with a full stop; the
    sentence whole where no cut leaves two complete sentences."""
    if "\n" in sentence:  # a reference or a table, not prose
        return [sentence]
    for rx, opener, verb_next in _CUTS:
        for m in rx.finditer(sentence):
            head, rest = _end(sentence[: m.start()]), sentence[m.end() :]
            if verb_next and not verbs(rest.split(" ", 1)[0]):
                continue
            tail = _end(opener + rest if opener else rest[:1].upper() + rest[1:])
            if complete_sentence(head, 99) and complete_sentence(tail, 99) and verbs(head) and verbs(tail):
                return split(head) + split(tail)
    return [sentence]


def notice(rewritten: int) -> list[str]:
    """The warning an answer carries when ``rewritten`` of its sentences are not as printed."""
    return [prompts.SIMPLIFIED.format(n=rewritten)] if rewritten else []


def plain_sentence(sentence: str) -> str:
    """A quoted sentence in plain French: common words, and cut into complete sentences where it can be;
    as it is if the rewrite would read as what is no advice ("vise à compléter" is a template's blank)."""
    plain = split(common_words(sentence))
    if any(non_advice(p) for p in plain) and not non_advice(sentence):
        return sentence
    return " ".join(plain)
