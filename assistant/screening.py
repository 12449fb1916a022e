"""Question screening: control characters and length, orders to the assistant, prompt-leak and
fabrication requests, follow-ups, the kind of answer a question wants. (What in a document speaks to
an AI, and passages as a model is shown them, are ``assistant.hostile``.)"""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import CapacitiesError
from assistant.settings import Settings
from assistant.text import CONTROL_BUT_LINES, content_words, sentences


def readable(text: str) -> str:
    """Text whose invalid UTF-8 bytes (kept by Python as lone surrogates, e.g. from a command line typed
    in a Latin-1 terminal) are read as Windows-1252: "g\\udce9n\\udce9ral" becomes "général"."""
    return _SURROGATE.sub(_as_cp1252, text)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _as_cp1252(m: re.Match) -> str:
    code = ord(m.group())
    return bytes([code - 0xDC00]).decode("cp1252", errors="replace") if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def clean_question(question: str) -> str:
    """The question without control characters and runs of spaces: what is checked, counted and searched."""
    q = unicodedata.normalize("NFC", readable(question or ""))
    q = CONTROL_BUT_LINES.sub(" ", q)
    return re.sub(r"[ \t]+", " ", q).strip()


def characters(n: int) -> str:
    """« 9 999 caractères », thousands apart by a narrow no-break space, as French prints them."""
    return f"{n:,} caractère{'s' if n > 1 else ''}".replace(",", "\u202f")


def check_question(question: str, settings: Settings) -> str:
    """The question cleaned of control characters, or a French error saying what to change."""
    q = clean_question(question)
    if not q:
        raise CapacitiesError(
            "La question est vide : écrivez une question, par exemple « Comment organiser un atelier ? »."
        )
    if len(q) > settings.max_question_chars:
        raise CapacitiesError(
            f"La question fait {characters(len(q))} ; la limite est de {characters(settings.max_question_chars)}. "
            "Posez une question plus courte (une ou deux phrases)."
        )
    if not re.search(r"\w", q):
        raise CapacitiesError("La question ne contient aucun mot : reformulez-la.")
    return q


_PROCEDURE = re.compile(
    r"\b(comment|proc[ée]d|[ée]tapes?|d[ée]marche|mettre en (?:place|œuvre|oeuvre)|mise en (?:place|œuvre|oeuvre)|"
    r"que faire|quoi faire|par o[uù] commencer|organiser|lancer|m[ée]thode|faut-il|dois-je|devons-nous|"
    r"conseils?|bonnes pratiques|s'y prendre)\b",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^(et|mais|alors|aussi|ou bien|dans ce cas|et si|et pour|et pour les?|et dans|et quand|et avec)\b|"
    r"\b(cela|ça|celle-ci|celui-ci|ceux-ci|celles-ci|ce point|cette [ée]tape|ces [ée]tapes|le m[êe]me)\b",
    re.IGNORECASE,
)
_INVENT = re.compile(
    r"\b(invente|inventer|inventez|fabrique|imagine)\w*\b.{0,40}\b(source|r[ée]f[ée]rence|citation|page|document)",
    re.IGNORECASE,
)
_PROMPT_LEAK = re.compile(
    r"\b(quel(?:le)?s? (?:est|sont)|donne|montre|r[ée]v[èe]le|affiche|r[ée]p[èe]te|[ée]cris|dis|recopie)"
    r"[- ]?(?:moi|nous)?\s+(ton|votre|tes|vos|le|ta|les)\s+(prompt|consignes?|instructions?)\b|"
    r"\bsystem prompt\b|\bprompt syst[eè]me\b",
    re.IGNORECASE,
)
# An order to the assistant runs to the end of its clause: " et ", a comma, a colon, a semicolon or
# a sentence end (a full stop followed by a space: "data.gouv.fr" does not end it). What follows,
# often the real question ("ignore tes instructions et explique-moi comment…"), is kept.
_CLAUSE_END = r".*?(?=\s+et\s|[,:;]|[.?!](?:\s|$)|$)[,:;.?!]?"
_ORDER = re.compile(
    r"(ignore[rz]?|oublie[rz]?|ne tiens? pas compte)\s+(de\s+)?(tes|vos|les|toutes? (?:les|tes|vos))?\s*"
    r"(consignes?|instructions?|r[èe]gles?|directives?)" + _CLAUSE_END + "|"
    r"\b(tu es|vous [êe]tes) (d[ée]sormais|maintenant)" + _CLAUSE_END + "|"
    r"\bignore (all|previous|the above)" + _CLAUSE_END,
    re.IGNORECASE,
)


def is_procedure_question(question: str) -> bool:
    return bool(_PROCEDURE.search(question))


def resolve_follow_up(question: str, history: list[str] | None) -> str:
    """A question that leans on the previous turn ("et pour une petite commune ?") gets its context."""
    if not history:
        return question
    words = re.findall(r"\w+", question)
    if _FOLLOW_UP.search(question) or len(words) <= 4:
        return f"{history[-1].rstrip(' ?')} — {question}"
    return question


def screen_question(question: str) -> tuple[str, str | None, list[str]]:
    """(question without embedded orders, refusal message or None, warnings)."""
    from assistant import prompts

    if _INVENT.search(question):
        return question, prompts.REFUSE_INVENT, []
    if _PROMPT_LEAK.search(question):
        return question, prompts.REFUSE_PROMPT, []
    cleaned = _ORDER.sub(" ", question)
    if cleaned != question:
        cleaned = re.sub(r"\s+", " ", cleaned).strip(" ,;:")
        cleaned = re.sub(r"^(et|puis|mais)\s+", "", cleaned, flags=re.IGNORECASE)
        if not re.search(r"\w{3,}", cleaned):
            return question, prompts.REFUSE_PROMPT, []
        return cleaned, None, [prompts.IGNORED_ORDER]
    return question, None, []


# words of the question that say what kind of answer is wanted, not what it is about
GENERIC_WORDS = set(
    [
        "comment",
        "quel",
        "quell",
        "quels",
        "quelles",
        "pourquoi",
        "faut",
        "fair",
        "proced",
        "etap",
        "demarch",
        "mettr",
        "plac",
        "pouvon",
        "peut",
        "doit",
        "dois",
        "devon",
        "quoi",
        "collect",
        "collectivit",
        "commun",
        "territoir",
        "elus",
        "elu",
        "agent",
        "nous",
        "notr",
        "mon",
        "ma",
        "exist",
        "object",
        "princip",
        "conseil",
        "lanc",
        "organis",
    ]
)

_LIST_QUESTION = re.compile(
    r"\bquel(?:le)?s\s+(?:sont\s+les\s+)?(?:exigences|clauses|crit[eè]res|[ée]tapes|r[eè]gles|bonnes pratiques|actions|"
    r"points|mesures|outils|[ée]l[ée]ments|conditions|obligations|pi[eè]ces|documents|leviers|questions|principes|"
    r"informations|recommandations|pr[ée]conisations|moyens|solutions)\b|\b(?:que|quoi)\s+(?:dois-je|doit-on|faut-il)\b|"
    r"\bliste\b|\bquoi (?:mettre|[ée]crire|pr[ée]voir|v[ée]rifier)\b",
    re.IGNORECASE,
)


_DEFINITION_QUESTION = re.compile(
    r"\bqu['’]est[- ]ce qu|\bque\s+(?:signifie|veut dire|mesure|désigne)\b|\bc['’]est quoi\b|\bdéfinition\b|"
    r"\bà quoi (?:sert|servent|correspond)",
    re.IGNORECASE,
)


def asks_definition(question: str) -> bool:
    """ "Que mesure le PUE ?", "Qu'est-ce que le CCAP ?": a glossary's entry may answer it."""
    return bool(_DEFINITION_QUESTION.search(question))


def wants_list(question: str) -> bool:
    """ "Quelles exigences je peux écrire dans le CCAP ?": the answer is a list, though not a procedure."""
    return bool(_LIST_QUESTION.search(question))


# A question that asks for an amount or a time limit is answered only by passages that give one: the
# corpus's pages on the same topic, without it, answer something else (python -m evals.abstention).
_NUMBER_WORDS = "un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|quarante|soixante"
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_QUANTITIES = {
    "montant": (
        re.compile(
            r"\bquel(?:le)?s?\s+(?:est\s+le\s+|sont\s+les\s+)?(?:montants?|prix|co[uû]ts?|sommes?|tarifs?)\b|"
            r"\bà\s+quel\s+prix\b|\bcombien\s+(?:[\w'’-]+\s+){0,3}?co[uû]t|"
            r"\bà\s+partir\s+de\s+quel(?:le)?\s+(?:montant|somme)\b",
            re.IGNORECASE,
        ),
        re.compile(r"€|\beuros?\b|\bEUR\b", re.IGNORECASE),
    ),
    "délai": (
        re.compile(
            r"\b(?:dans|sous|en)\s+quels?\s+délais?\b|\bquels?\s+(?:est\s+le\s+|sont\s+les\s+)?délais?\b|"
            r"\ben\s+combien\s+de\s+temps\b|\bpour\s+quand\b|\b(?:à|avant)\s+quelle\s+date\b|\bd['’]ici\s+quand\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"(?:\d+|\b(?:{_NUMBER_WORDS}))\s*(?:h|heures?|jours?|semaines?|mois|ans|années?)\b|"
            rf"\b(?:19|20)\d{{2}}\b|\bdélais?\b|\bau plus tard\b|\b(?:{_MONTHS})\b",
            re.IGNORECASE,
        ),
    ),
}


_QUANTITY_WORDS = content_words("montant prix coût somme tarif délai temps date quand combien coûter")


def asked_quantity(question: str) -> str | None:
    """ "À partir de quel montant…?" → "montant"; "… et dans quel délai ?" → "délai"; otherwise None."""
    return next((kind for kind, (asks, _) in _QUANTITIES.items() if asks.search(question)), None)


def missing_quantity(question: str, texts: list[str]) -> str | None:
    """The amount or time limit the question asks for when no sentence of ``texts`` gives one next to a
    key term of the question (None otherwise): a decree's year or a price on the same page about something
    else is not the answer."""
    kind = asked_quantity(question)
    if not kind:
        return None
    gives = _QUANTITIES[kind][1]
    key = content_words(question) - GENERIC_WORDS - _QUANTITY_WORDS
    for t in texts:
        if any(gives.search(s) and (not key or key & content_words(s)) for s in sentences(t)):
            return None
    return kind


def _first_use(acro: str, text: str) -> re.Match[str] | None:
    """The acronym's first use outside a web address ("…/RGESN.pdf" is left alone)."""
    for m in re.finditer(rf"\b{re.escape(acro)}\b", text):
        token = text[text.rfind(" ", 0, m.start()) + 1 : m.end()]
        if "://" not in token and "www." not in token:
            return m
    return None


def undefined_acronyms(text: str, glossary: dict[str, str]) -> list[tuple[str, str]]:
    """The acronyms the corpus defines that ``text`` uses without their long form, in order of use."""
    found = [(m.start(), a, long) for a, long in glossary.items() if (m := _first_use(a, text))]
    return [(a, long) for _, a, long in sorted(found) if long.lower() not in text.lower()]


def expand_acronyms(text: str, glossary: dict[str, str]) -> str:
    """Spell out each acronym the corpus defines, at its first use."""
    for acro, long in undefined_acronyms(text, glossary):
        m = _first_use(acro, text)
        if m:
            text = text[: m.start()] + f"{acro} ({long})" + text[m.end() :]
    return text


def acronym_note(text: str, glossary: dict[str, str], limit: int = 6) -> str:
    """The line "Sigles : CCTP (cahier des clauses techniques particulières) ; …" under a text left as printed."""
    from assistant.prompts import ACRONYMS

    pairs = undefined_acronyms(text, glossary)[:limit]
    return f"{ACRONYMS} " + " ; ".join(f"{a} ({long})" for a, long in pairs) + "." if pairs else ""
