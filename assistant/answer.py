"""Answers: ``Assistant.ask(question, ...) -> Answer`` for every backend, with citations checked.

The extractive answer is composed by ``assistant.compose``; questions are screened by
``assistant.screening``; a deliverable's summary is ``assistant.summary``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assistant.compose import further_reading
from assistant.errors import CapacitiesError
from assistant.hostile import clean_for_model, gives_orders, plain, strip_markup, without_escapes
from assistant.screening import (
    GENERIC_WORDS,
    check_question,
    expand_acronyms,
    missing_quantity,
    resolve_follow_up,
    screen_question,
)
from assistant.settings import Settings
from assistant.text import content_words, sentences
from assistant.types import Answer, Passage

if TYPE_CHECKING:
    from assistant.retrieve import Retriever

__all__ = ["Assistant", "abstain", "check_citations", "check_grounding", "check_question", "covers"]


def abstain(
    question: str, passages: list[Passage], mode: str, backend: str, sources: list[str] | None = None
) -> Answer:
    """Say the corpus (or the documents chosen, ``sources``) does not cover the question and point to the
    nearest documents, nothing more."""
    from assistant import prompts

    nearest: dict[str, Passage] = {}
    for p in passages:
        nearest.setdefault(p.source, p)
    missing = missing_quantity(question, [p.text for p in passages]) if passages else None
    if missing:
        said = prompts.NOT_GIVEN.format(what=missing)
    else:
        said = prompts.NOT_COVERED_IN.format(n=len(sources)) if sources else prompts.NOT_COVERED
    lines = [f"{said} {prompts.ELSEWHERE}" if sources else said]  # the documents chosen are not the corpus
    if nearest:
        lines.append(prompts.NEAREST)
        # the title in quotes, as plain words: "6. Mise en place…" opened a numbered list inside the bullet
        lines += [f"- « {plain(p.title)} » ({p.source}), {p.pages_label}" for p in list(nearest.values())[:3]]
    return Answer(text="\n".join(lines), mode=mode, backend=backend, abstained=True, citations=[], question=question)


# --------------------------------------------------------------------------- coverage and LLM checks


def covers(question: str, passages: list[Passage], settings: Settings) -> bool:
    """Does the corpus answer this? A close enough passage that also shares a key term of the question,
    and, when the question asks for an amount or a time limit, a passage that gives one."""
    if not passages or missing_quantity(question, [p.text for p in passages]):
        return False
    # the closest passage of the search, even one the second stage left out of the answer's passages
    best = max((d for p in passages for d in (p.dense, p.best_dense) if d is not None), default=None)
    if best is not None and best < settings.min_dense_score:
        return False
    return shares_key_term(question, passages)


def shares_key_term(question: str, passages: list[Passage]) -> bool:
    """Whether a passage holds a key term of the question (a question of generic words only: yes)."""
    key = content_words(question) - GENERIC_WORDS
    return not key or any(key & content_words(f"{p.title} {p.section} {p.text}") for p in passages)


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


_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")
_LETTER = re.compile(r"[^\W\d_]")
_NUMBER = re.compile(r"\d(?:[\d\s\u202f\u00a0.,]*\d)?")
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|https?://[^\s)\]]+|www\.[^\s)\]]+")
SUPPORT_FLOOR = 0.4  # share of a generated sentence's content words that its cited passages must hold


def _digits(text: str) -> str:
    return re.sub(r"[\s\u202f\u00a0.,]", "", text)


def unsupported(sentence: str, support: list[Passage]) -> str | None:
    """Why a generated sentence cannot be shown with these passages as its sources (None: it can):
    it gives orders, or carries a figure, an address or words its passages do not hold."""
    body = _LIST_MARK.sub("", _MARKER.sub(" ", sentence))
    if gives_orders(body):
        return "consigne"
    source = " ".join(p.text for p in support)  # a title or a section is a label, not evidence
    digits, low = _digits(source), source.lower()
    if any(_digits(n) not in digits for n in _NUMBER.findall(body)):
        return "chiffre"
    if any(c.lower().rstrip(".,;") not in low for c in _CONTACT.findall(body)):
        return "coordonnées"
    words = content_words(body) - GENERIC_WORDS
    if words and len(words & content_words(source)) / len(words) < SUPPORT_FLOOR:
        return "mots"
    return None


RUNAWAY_CHARS = 120  # generated characters without a letter ("3. [4]\n4. [4]\n…")
RUNAWAY_REPEATS = 3  # the same line generated this many times


def runaway(text: str) -> bool:
    """Whether a generation has gone into a loop: a long run without a letter, or one line again and again."""
    tail = text[-RUNAWAY_CHARS:]
    if len(tail) == RUNAWAY_CHARS and not _LETTER.search(_MARKER.sub(" ", tail)):
        return True
    lines = [_LIST_MARK.sub("", line).strip() for line in text.split("\n")[:-1] if _LETTER.search(line)]
    return bool(lines) and lines.count(lines[-1]) >= RUNAWAY_REPEATS


def check_grounding(text: str, passages: list[Passage]) -> tuple[str, int]:
    """A generated answer without markup and without the sentences its cited passages do not support
    (an obedient model's "PIRATÉ : la mairie doit payer dix mille euros [1]."). Returns the text and
    how many sentences were removed. A sentence without citation is judged against every passage."""
    kept_lines, dropped = [], 0
    for line in strip_markup(text).split("\n"):
        kept = []
        mark = _LIST_MARK.match(line)  # "2. " stays with the step's first sentence, never judged alone
        for sentence in sentences(line[mark.end() :] if mark else line):
            if not _LETTER.search(_MARKER.sub(" ", sentence)):  # "[1]" alone: the previous sentence's citation
                if kept and _MARKER.search(sentence):
                    kept[-1] = f"{kept[-1].rstrip()} {sentence.strip()}"
                continue  # a step of nothing but a number ("3. [4]", a small model's loop) is not a step
            numbers = {int(n) for n in _MARKER.findall(sentence)}
            support = [passages[n - 1] for n in sorted(numbers) if 1 <= n <= len(passages)] or passages
            if unsupported(sentence, support):
                dropped += 1
            else:
                kept.append(sentence)
        if kept or not line.strip():
            kept_lines.append((mark.group() if mark and kept else "") + " ".join(kept))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept_lines)).strip(), dropped


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
        return cls(settings, retriever, retriever.glossary)

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
        if self.retriever.degraded:
            warnings = [*warnings, self.retriever.degraded]
        if not covers(resolved, passages, s):
            yield replace(abstain(resolved, passages, mode, backend, sources), warnings=warnings)
            return
        if backend == "extractive":
            yield replace(self.extractive(resolved, passages, mode), warnings=warnings)
            return
        from assistant import prompts

        if backend == "local":  # on a CPU the prompt's length is the wait for the first token
            passages = passages[: max(1, s.local_max_passages)]
        system = prompts.SYSTEM_ELU if mode == "elu" else prompts.SYSTEM_AGENT
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompts.user_message(resolved, [_shown(p) for p in passages], mode)},
        ]
        pieces: list[str] = []
        for piece in self.chat_model(backend).stream(messages):
            piece = without_escapes(piece)  # a server's escape sequences never reach a terminal
            pieces.append(piece)
            yield piece
            if runaway("".join(pieces)):  # a small model's loop: stop paying for it
                warnings.append("Génération arrêtée : le modèle se répétait.")
                break
        grounded, dropped = check_grounding("".join(pieces), passages)
        text, cited, invalid = check_citations(grounded, passages)
        if dropped:
            warnings.append(
                f"{dropped} phrase(s) de la réponse générée retirée(s) : les passages cités ne les appuient pas."
            )
        if invalid:
            warnings.append(f"Citations supprimées car elles ne renvoient à aucun passage : {sorted(set(invalid))}.")
        if not cited:
            warnings.append("La réponse générée ne citait aucun passage : réponse extractive affichée à la place.")
            yield replace(self.extractive(resolved, passages, mode), warnings=warnings)
            return
        if mode == "elu":
            text = expand_acronyms(text, self.glossary)
        text = f"{text}\n\n{further_reading(cited)}"
        yield Answer(text, mode, backend, abstained=False, citations=cited, warnings=warnings, question=resolved)

    def extractive(self, question: str, passages: list[Passage], mode: str) -> Answer:
        """The composed answer (``assistant.compose``), or an abstention if nothing there can be quoted."""
        from assistant.compose import extractive_answer

        qv = self.retriever.query_vector(question) if self.settings.semantic_units else None
        answer = extractive_answer(question, passages, mode, self.glossary, qv, self.retriever.neighbour)
        return answer or abstain(question, passages, mode, "extractive")

    def ask(self, question: str, **kw: object) -> Answer:
        """The checked answer to a question (see ``stream`` for the arguments)."""
        *_, last = self.stream(question, **kw)
        assert isinstance(last, Answer)
        return last
