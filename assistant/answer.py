"""Answers: ask(question, ...) -> Answer for every backend, with citations checked."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assistant.errors import CapacitiesError
from assistant.readability import kandel_moles
from assistant.settings import Settings
from assistant.text import content_words
from assistant.types import Answer, Passage

if TYPE_CHECKING:
    from assistant.retrieve import Retriever

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def check_question(question: str, settings: Settings) -> str:
    """The question cleaned of control characters, or a French error saying what to change."""
    q = unicodedata.normalize("NFC", question or "")
    q = _CONTROL.sub(" ", q)
    q = re.sub(r"[ \t]+", " ", q).strip()
    if not q:
        raise CapacitiesError(
            "La question est vide : écrivez une question, par exemple « Comment organiser un atelier ? »."
        )
    if len(q) > settings.max_question_chars:
        raise CapacitiesError(
            f"La question fait {len(q):,} caractères ; la limite est de {settings.max_question_chars:,}. "
            "Posez une question plus courte (une ou deux phrases).".replace(",", "\u202f")
        )
    if not re.search(r"\w", q):
        raise CapacitiesError("La question ne contient aucun mot : reformulez-la.")
    return q


# --------------------------------------------------------------------------- question analysis

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
# a sentence in a document that speaks to an AI is never quoted as advice
_DOC_INJECTION = re.compile(
    r"\b(ignore[rz]? (toutes )?(tes|vos|les) (consignes|instructions)|en tant qu'(ia|assistant)|"
    r"(assistant|mod[eè]le|ia)\s*[,:]\s*(r[ée]ponds|ignore|dis)|prompt|"
    r"r[ée]ponds?\s+(uniquement\s+|simplement\s+|toujours\s+)?que|nouvelles?\s+consignes?|"
    r"consignes?\s+(pour|à)\s+l['’](ia|assistant)|ignore (all|previous))\b|</?passage",
    re.IGNORECASE,
)
_CITATION_LIKE = re.compile(r"\s*\[\d{1,3}\]")  # "[2]" in a document would pass for one of our citations


def clean_for_model(text: str) -> str:
    """A passage as a generative model is shown it: without the sentences that give orders to an AI
    and without "[n]" marks that look like our citations (a model that obeys them has nothing to obey)."""
    lines = []
    for line in text.split("\n"):
        lines.append(" ".join(s for s in _sentences(line) if not _DOC_INJECTION.search(s)))
    return _CITATION_LIKE.sub("", "\n".join(lines))


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


# --------------------------------------------------------------------------- extractive answers

_BULLET = re.compile(r"^\s*(?:[-•▪●◦*–➢►✓]|\(?\d{1,2}[.)°]|[a-h][.)])\s+")
_SENT_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=[«\"(]?[A-ZÀ-ÝÉ0-9])")
_STEP_WORDS = re.compile(
    r"\b([ée]tape|d'abord|ensuite|puis|enfin|premi[eè]rement|deuxi[eè]mement|il (?:faut|convient|est recommand[ée])|"
    r"veiller|pr[ée]voir|s'assurer|doi(?:t|vent)|recommand)\w*",
    re.IGNORECASE,
)
_VERB_START = re.compile(r"^(?:[A-ZÀ-Ý][a-zà-ÿ]+(?:er|ir|re|ez)|[ÉE]tablir|Faire|Mettre|Prendre|Construire)\b")
_NOT_VERBS = set(
    [
        "premier",
        "dernier",
        "entre",
        "notre",
        "votre",
        "cahier",
        "autre",
        "contre",
        "titre",
        "chiffre",
        "centre",
        "lettre",
        "ordre",
        "nombre",
        "cadre",
        "membre",
        "libre",
        "propre",
        "quatre",
        "outre",
        "chez",
        "assez",
        "offre",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
        "hier",
        "filière",
        "matière",
        "manière",
        "première",
        "dossier",
        "fichier",
        "calendrier",
        "papier",
        "métier",
        "plusieurs",
        "leur",
        "leurs",
        "pour",
        "sur",
        "par",
        "alors",
    ]
)
# words of the question that say what kind of answer is wanted, not what it is about
_QUESTION_WORDS = set(
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


def _is_step_like(text: str, is_list: bool) -> float:
    first = text.split(" ", 1)[0].strip('«"(').lower()
    if text.endswith("?") or first == "voici":
        return -1.0  # a question or an announcement ("Voici les étapes…") is not a step
    score = 0.0
    if is_list:
        score += 0.3
    if _VERB_START.match(text.lstrip('«"( ')) and first not in _NOT_VERBS:
        score += 0.5
    if _STEP_WORDS.search(text):
        score += 0.3
    return score


_ABBREV = re.compile(r"(?:\b(?:art|p|pp|cf|ex|n°|no|vol|chap|M|Mme|env|etc)\.|\b[A-Z]\.)$")


def _sentences(text: str) -> list[str]:
    """Split at sentence ends, not after "art.", "p.", "cf." or an initial."""
    out: list[str] = []
    for piece in _SENT_SPLIT.split(text):
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _continues(previous: str, line: str) -> bool:
    """Is ``line`` the rest of a sentence wrapped from ``previous`` (not a new block after a heading)?"""
    if line[:1].islower():
        return True
    return not previous.endswith((".", ":", "!", "?", ";")) and len(previous) > 60


def _units(text: str) -> list[tuple[str, bool, int]]:
    """(unit, is_list_item, position) for the sentences and list items of a passage."""
    blocks: list[tuple[list[str], bool]] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            blocks.append(([], False))
            continue
        m = _BULLET.match(line)
        if m:
            blocks.append(([line[m.end() :].strip()], True))
        elif blocks and blocks[-1][0] and _continues(blocks[-1][0][-1], line):
            blocks[-1][0].append(line)  # a wrapped line goes on the previous block
        else:
            blocks.append(([line], False))
    out: list[tuple[str, bool, int]] = []
    for lines, is_list in blocks:
        if not lines:
            continue
        joined = re.sub(r"\s+", " ", " ".join(lines)).strip()
        pieces = [joined] if is_list else _sentences(joined)
        for piece in pieces:
            piece = _CITATION_LIKE.sub("", piece).strip(" -–•→►▪")
            letters = sum(c.isalpha() for c in piece)
            if len(piece) >= 25 and letters >= 0.6 * len(piece) and not _DOC_INJECTION.search(piece):
                out.append((piece, is_list, len(out)))
    return out


PLAIN_WEIGHT = 0.006  # how much readability counts against relevance when writing for elected officials
_WHY = re.compile(r"\b(pourquoi|int[ée]r[êe]t|enjeux?|b[ée]n[ée]fices?|avantages?|à quoi sert)\b", re.IGNORECASE)
_REASON = re.compile(
    r"\b(car|parce que|permet|r[ée]dui|[ée]vite|impact|[ée]conomi|[ée]mission|principal|majorit|\d+ ?%)", re.IGNORECASE
)


def _sentence(text: str) -> str:
    """A list item quoted inside prose gets its full stop."""
    return text if text.endswith((".", "!", "?", "…", "]", ")")) else text + "."


def _trim(text: str, limit: int = 360) -> str:
    """Lightly trim a long unit at a clause boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in ("; ", ", ", " "))
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + " […]"


@dataclass
class _Candidate:
    text: str
    passage: int  # index in the passages list
    position: float
    relevance: float
    step: float
    stems: set[str]


def _candidates(question: str, passages: list[Passage], clauses: bool = False) -> list[_Candidate]:
    """Sentences and list items of the passages, scored against the question.

    ``clauses``: also offer the clauses of long sentences (cut at ';' or ':'), for plain language.
    """
    q = content_words(question) - _QUESTION_WORDS or content_words(question)
    out = []
    for rank, p in enumerate(passages):
        # the section title counts a little: a list item under "Rédiger le cahier des charges" is on topic
        section = 0.3 * len(q & content_words(p.section)) / max(1, len(q)) if q else 0.0
        for text, is_list, pos in _units(p.text):
            pieces = [text]
            if clauses and len(text.split()) > 25:
                pieces += [part for part in re.split(r"\s*[;:]\s+", text) if len(part) >= 40 and part != text]
            for k, piece in enumerate(pieces):
                stems = content_words(piece)
                shared = len(q & stems) / max(1, len(q)) if q else 0.0
                step = _is_step_like(piece, is_list)
                out.append(_Candidate(piece, rank, pos + 0.01 * k, shared + section + 0.15 / (1 + rank), step, stems))
    return out


def _pick(cands: list[_Candidate], n: int, key, min_relevance: float) -> list[_Candidate]:  # noqa: ANN001
    chosen: list[_Candidate] = []
    for c in sorted(cands, key=key, reverse=True):
        if c.relevance < min_relevance:
            continue
        if any(len(c.stems & o.stems) / max(1, len(c.stems | o.stems)) > 0.6 for o in chosen):
            continue  # consecutive chunks overlap: the same sentence comes twice
        chosen.append(c)
        if len(chosen) == n:
            break
    return chosen


class _Citer:
    """Numbers passages in order of first citation; passages of the same page share one number."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.keys: list[tuple[str, int]] = []
        self.members: dict[tuple[str, int], list[int]] = {}

    def mark(self, i: int) -> str:
        p = self.passages[i]
        key = (p.source, p.page_start)
        if key not in self.members:
            self.keys.append(key)
            self.members[key] = []
        if i not in self.members[key]:
            self.members[key].append(i)
        return f"[{self.keys.index(key) + 1}]"

    @property
    def cited(self) -> list[Passage]:
        from assistant.retrieve import overlap_join

        out = []
        for key in self.keys:
            group = sorted((self.passages[i] for i in self.members[key]), key=lambda p: p.index)
            text = group[0].text
            for p in group[1:]:
                text = overlap_join(text, p.text)
            out.append(replace(group[0], text=text, page_end=max(p.page_end for p in group)))
        return out


def further_reading(cited: list[Passage]) -> str:
    from assistant import prompts

    lines = [prompts.FURTHER]
    for n, p in enumerate(cited, 1):
        section = f" — {p.section}" if p.section and p.section != p.title else ""
        lines.append(f"- [{n}] {p.title} ({p.source}), {p.pages_label}{section}")
    return "\n".join(lines)


def expand_acronyms(text: str, glossary: dict[str, str]) -> str:
    """Spell out each acronym the corpus defines, at its first use."""
    for acro, long in glossary.items():
        m = re.search(rf"\b{re.escape(acro)}\b", text)
        if m and long.lower() not in text.lower():
            text = text[: m.start()] + f"{acro} ({long})" + text[m.end() :]
    return text


def _undefined_acronyms(text: str, glossary: dict[str, str]) -> int:
    return sum(1 for a in re.findall(r"\b[A-Z]{2,}[0-9]*\b", text) if a not in glossary)


def extractive_answer(question: str, passages: list[Passage], mode: str, glossary: dict[str, str]) -> Answer:
    """Compose the answer from the passages' own sentences and list items, each with its citation."""
    from assistant import prompts

    cands = _candidates(question, passages, clauses=mode == "elu")
    citer = _Citer(passages)
    parts: list[str] = []
    if mode == "elu":
        why = bool(_WHY.search(question))

        # short, plain sentences first; for "pourquoi", sentences that give a reason or an effect;
        # sentences with unexplained acronyms last
        def plain(c: _Candidate) -> float:
            words = len(c.text.split())
            score = c.relevance - 0.02 * max(0, words - 15) - 0.2 * _undefined_acronyms(c.text, glossary)
            score += PLAIN_WEIGHT * (kandel_moles(c.text) - 50)  # easier sentences first (index ~50 = hard)
            return score + (0.15 if why and _REASON.search(c.text) else 0.0)

        summary = _pick(cands, 3, plain, 0.2)
        summary.sort(key=lambda c: (c.passage, c.position))
        parts.append(prompts.INTRO_ELU)
        parts.append(" ".join(f"{_sentence(_trim(c.text, 240))} {citer.mark(c.passage)}" for c in summary))
        used = {id(c) for c in summary}
        impl = [
            c
            for c in cands
            if id(c) not in used
            and re.search(r"collectivit|commune|territoir|élu|doi(?:t|vent)|obligat|permet", c.text)
        ]
        impl = _pick(impl, 2, plain, 0.25)
        if impl:
            parts.append(prompts.IMPLICATIONS)
            parts.extend(f"- {_trim(c.text, 240)} {citer.mark(c.passage)}" for c in impl)
        body = expand_acronyms("\n".join(parts), glossary)
    elif is_procedure_question(question):
        steps = _pick([c for c in cands if c.step >= 0], 6, lambda c: c.relevance + c.step, 0.15)
        # document order inside each document; documents in the order retrieval ranked them
        first_rank: dict[str, int] = {}
        for i, p in enumerate(passages):
            first_rank.setdefault(p.source, i)
        steps.sort(key=lambda c: (first_rank[passages[c.passage].source], passages[c.passage].index, c.position))
        parts.append(prompts.INTRO_STEPS)
        parts.extend(f"{n}. {_trim(c.text)} {citer.mark(c.passage)}" for n, c in enumerate(steps, 1))
        body = "\n".join(parts)
    else:
        facts = _pick(cands, 3, lambda c: c.relevance, 0.2)
        facts.sort(key=lambda c: (c.passage, c.position))
        parts.append(prompts.INTRO_FACTS)
        parts.extend(f"- {_trim(c.text)} {citer.mark(c.passage)}" for c in facts)
        body = "\n".join(parts)
    if not citer.keys:
        return abstain(question, passages, mode, "extractive")
    cited = citer.cited
    text = f"{body}\n\n{further_reading(cited)}"
    return Answer(text=text, mode=mode, backend="extractive", abstained=False, citations=cited, question=question)


def abstain(question: str, passages: list[Passage], mode: str, backend: str) -> Answer:
    """Say the corpus does not cover the question and point to the nearest documents, nothing more."""
    from assistant import prompts

    nearest: dict[str, Passage] = {}
    for p in passages:
        nearest.setdefault(p.source, p)
    lines = [prompts.NOT_COVERED]
    if nearest:
        lines.append(prompts.NEAREST)
        lines += [f"- {p.title} ({p.source}), {p.pages_label}" for p in list(nearest.values())[:3]]
    return Answer(text="\n".join(lines), mode=mode, backend=backend, abstained=True, citations=[], question=question)


# --------------------------------------------------------------------------- coverage and LLM checks


def covers(question: str, passages: list[Passage], settings: Settings) -> bool:
    """Does the corpus answer this? A close enough passage that also shares a key term of the question."""
    if not passages:
        return False
    best = max((p.dense for p in passages if p.dense is not None), default=None)
    if best is not None and best < settings.min_dense_score:
        return False
    key = content_words(question) - _QUESTION_WORDS
    if not key:
        return True  # a question made only of generic words: the dense score decides
    return any(key & content_words(f"{p.title} {p.section} {p.text}") for p in passages)


_MARKER = re.compile(r"\[(\d{1,3})\]")


def _shown(p: Passage) -> Passage:
    return replace(p, text=clean_for_model(p.text))


def check_citations(text: str, passages: list[Passage]) -> tuple[str, list[Passage], list[int]]:
    """Renumber valid [n] markers in order of use; drop those that point to no passage.

    Returns the checked text, the cited passages (in their new order) and the invalid numbers.
    """
    order: list[int] = []
    invalid: list[int] = []

    def sub(m: re.Match) -> str:
        n = int(m.group(1))
        if not 1 <= n <= len(passages):
            invalid.append(n)
            return ""
        if n not in order:
            order.append(n)
        return f"[{order.index(n) + 1}]"

    checked = _MARKER.sub(sub, text)
    checked = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", checked)).strip()
    return checked, [passages[n - 1] for n in order], invalid


# --------------------------------------------------------------------------- the one entry point


@dataclass
class Assistant:
    """Everything an answer needs, loaded once: retriever, glossary, optional chat model."""

    settings: Settings
    retriever: Retriever
    glossary: dict[str, str] = field(default_factory=dict)
    chat: object | None = None  # a ChatModel for the openai/local backends

    @classmethod
    def load(cls, settings: Settings, retriever: Retriever | None = None) -> Assistant:
        from assistant.retrieve import Retriever as _R

        retriever = retriever or _R(settings)
        path = settings.data_dir / "glossary.json"
        glossary = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        return cls(settings, retriever, glossary)

    def chat_model(self, backend: str):  # noqa: ANN201
        if self.chat is None or getattr(self.chat, "backend", None) != backend:
            from assistant.models import load_chat_model

            self.chat = load_chat_model(self.settings, backend)
        return self.chat

    def stream(
        self,
        question: str,
        mode: str | None = None,
        backend: str | None = None,
        history: list[str] | None = None,
        sources: list[str] | None = None,
    ) -> Iterator[str | Answer]:
        """Yield pieces of text as they are generated, then the checked Answer (always last)."""
        s = self.settings
        mode = mode or s.mode
        backend = backend or s.backend
        if mode not in {"agent", "elu"}:
            raise CapacitiesError(f"Mode inconnu : {mode}. Choix : agent, elu.")
        if backend not in {"extractive", "openai", "local"}:
            raise CapacitiesError(f"Moteur de réponse inconnu : {backend}. Choix : extractive, openai, local.")
        question = check_question(question, s)
        question, refusal, warnings = screen_question(question)
        if refusal:
            yield Answer(refusal, mode, backend, abstained=True, question=question)
            return
        resolved = resolve_follow_up(question, history)
        passages = self.retriever.search(resolved, k=s.top_k, sources=sources)
        if not covers(resolved, passages, s):
            yield replace(abstain(resolved, passages, mode, backend), warnings=warnings)
            return
        if backend == "extractive":
            yield replace(extractive_answer(resolved, passages, mode, self.glossary), warnings=warnings)
            return
        from assistant import prompts

        system = prompts.SYSTEM_ELU if mode == "elu" else prompts.SYSTEM_AGENT
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompts.user_message(resolved, [_shown(p) for p in passages], mode)},
        ]
        pieces: list[str] = []
        for piece in self.chat_model(backend).stream(messages):
            pieces.append(piece)
            yield piece
        text, cited, invalid = check_citations("".join(pieces), passages)
        if invalid:
            warnings.append(f"Citations supprimées car elles ne renvoient à aucun passage : {sorted(set(invalid))}.")
        if not cited:
            warnings.append("La réponse générée ne citait aucun passage : réponse extractive affichée à la place.")
            yield replace(extractive_answer(resolved, passages, mode, self.glossary), warnings=warnings)
            return
        if mode == "elu":
            text = expand_acronyms(text, self.glossary)
        text = f"{text}\n\n{further_reading(cited)}"
        yield Answer(text, mode, backend, abstained=False, citations=cited, warnings=warnings, question=resolved)

    def ask(self, question: str, **kw: object) -> Answer:
        """The checked answer to a question (see ``stream`` for the arguments)."""
        *_, last = self.stream(question, **kw)
        assert isinstance(last, Answer)
        return last


# --------------------------------------------------------------------------- summary of one deliverable


def summarize(retriever: Retriever, source: str, mode: str = "agent", glossary: dict[str, str] | None = None) -> Answer:
    """Key points of one document, each quoted from its page: the sentences whose words the
    document uses most (Luhn-style), spread over its sections, in reading order."""
    glossary = glossary or {}
    chunks = [c for c in retriever.lexical.chunks if c.source == source]
    if not chunks:
        known = ", ".join(retriever.sources[:20])
        raise CapacitiesError(f"Document inconnu : {source}. Documents indexés : {known}.")
    passages = [Passage(**vars(c)) for c in chunks]
    freq: dict[str, int] = {}
    for c in chunks:
        for t in content_words(c.text):
            freq[t] = freq.get(t, 0) + 1
    cands = []
    for i, p in enumerate(passages):
        for text, _is_list, pos in _units(p.text):
            stems = content_words(text)
            if len(stems) < 4:
                continue
            weight = sum(freq.get(t, 0) for t in stems) / (len(stems) ** 0.7)
            if mode == "elu":
                weight -= 2.0 * _undefined_acronyms(text, glossary) + 0.2 * max(0, len(text.split()) - 20)
            cands.append(_Candidate(text, i, pos, weight, 0.0, stems))
    n_points = 5 if mode == "elu" else 8
    chosen: list[_Candidate] = []
    sections_used: dict[str, int] = {}
    for c in sorted(cands, key=lambda c: -c.relevance):
        section = passages[c.passage].section
        if sections_used.get(section, 0) >= 2 or any(
            len(c.stems & o.stems) / len(c.stems | o.stems) > 0.5 for o in chosen
        ):
            continue
        sections_used[section] = sections_used.get(section, 0) + 1
        chosen.append(c)
        if len(chosen) == n_points:
            break
    chosen.sort(key=lambda c: (passages[c.passage].index, c.position))
    citer = _Citer(passages)
    title = chunks[0].title
    limit = 240 if mode == "elu" else 360
    lines = [f"Points clés de « {title} » ({source}) :"]
    lines += [f"- {_trim(c.text, limit)} {citer.mark(c.passage)}" for c in chosen]
    body = "\n".join(lines)
    if mode == "elu":
        body = expand_acronyms(body, glossary)
    cited = citer.cited
    text = f"{body}\n\n{further_reading(cited)}"
    return Answer(text, mode, "extractive", abstained=False, citations=cited, question=source)
