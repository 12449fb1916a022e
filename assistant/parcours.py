"""Parcours projet: the stages of a project and their guiding questions (data, ``corpus/parcours.toml``),
each question answered from the corpus as an ordered checklist of cited steps (a roadmap), kept with
the published snapshot it was computed on.

The answers are computed at ingestion (``build``): a question is answered again only when the passages
its retrieval brings back changed, so adding a deliverable changes the stages it touches and only those.
A reader whose published snapshot is newer than the file computes what is missing (``roadmaps``).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tomllib

from assistant.errors import CapacitiesError
from assistant.files import read_json, write_json_atomic
from assistant.types import Answer, Passage, Suggestion

ROLES = {
    "agent": "Agent d'une collectivité",
    "elu": "Élu",
    "entreprise": "Entreprise qui travaille avec les collectivités",
}
MODE = {"agent": "agent", "elu": "elu", "entreprise": "agent"}  # how each role is answered
MIN_STEPS = 3  # a guiding question answered with fewer cited steps is answered poorly


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    when: str
    questions: tuple[str, ...]
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> extra questions

    def questions_for(self, role: str) -> tuple[str, ...]:
        return self.questions + self.roles.get(role, ())


@dataclass(frozen=True)
class Profile:
    id: str
    label: str
    notes: dict[str, str] = field(default_factory=dict)  # stage id -> what differs for this territory


@dataclass(frozen=True)
class Parcours:
    stages: tuple[Stage, ...]
    profiles: tuple[Profile, ...] = ()

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        known = ", ".join(s.id for s in self.stages)
        raise CapacitiesError(f"Étape inconnue : « {stage_id} » ; étapes du parcours : {known}.")

    def next_stage(self, stage_id: str) -> Stage | None:
        ids = [s.id for s in self.stages]
        i = ids.index(stage_id)
        return self.stages[i + 1] if i + 1 < len(ids) else None

    def questions(self) -> list[tuple[str, str]]:
        """Every (mode, question) the parcours asks, once each."""
        out: dict[tuple[str, str], None] = {}
        for stage in self.stages:
            for role, mode in MODE.items():
                for q in stage.questions_for(role):
                    out[(mode, q)] = None
        return list(out)


def _line_of(text: str, needle: str) -> int:
    """The 1-based line of the file where ``needle`` first appears (1 when absent)."""
    i = text.find(needle)
    return text.count("\n", 0, i) + 1 if i >= 0 else 1


def parse(text: str, name: str = "parcours.toml") -> Parcours:
    """The parcours in ``text``; a French error naming the line for a file that cannot be used."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"line (\d+)", str(e))
        end = text.rstrip("\n").count("\n") + 1  # "at end of document"
        line = getattr(e, "lineno", None) or (int(found[1]) if found else end)
        raise CapacitiesError(
            f"{name}, ligne {line} : fichier TOML illisible ({e.msg if hasattr(e, 'msg') else e})."
        ) from None

    def bad(where: str, what: str) -> CapacitiesError:
        return CapacitiesError(f"{name}, ligne {_line_of(text, where)} : {what}")

    stages_data = data.get("stages")
    if not isinstance(stages_data, dict) or not stages_data:
        return_line = _line_of(text, "[stages")
        raise CapacitiesError(
            f"{name}, ligne {return_line} : aucune étape ([stages.<id>] avec title, when, questions)."
        )
    stages = []
    for sid, st in stages_data.items():
        where = f"[stages.{sid}]"
        if not isinstance(st, dict):
            raise bad(where, f"l'étape « {sid} » doit être une table.")
        for key in ("title", "when"):
            if not isinstance(st.get(key), str) or not st[key].strip():
                raise bad(where, f"l'étape « {sid} » n'a pas de « {key} » (texte).")
        qs = st.get("questions")
        if not isinstance(qs, list) or not qs or not all(isinstance(q, str) and q.strip() for q in qs):
            raise bad(where, f"l'étape « {sid} » doit avoir une liste « questions » de textes non vides.")
        roles = {}
        for role, extra in (st.get("roles") or {}).items():
            if role not in ROLES:
                raise bad(f"[stages.{sid}.roles.{role}]", f"rôle inconnu « {role} » ; rôles : {', '.join(ROLES)}.")
            more = extra.get("questions") if isinstance(extra, dict) else None
            if not isinstance(more, list) or not all(isinstance(q, str) and q.strip() for q in more):
                raise bad(f"[stages.{sid}.roles.{role}]", "le rôle doit avoir une liste « questions » de textes.")
            roles[role] = tuple(q.strip() for q in more)
        stages.append(Stage(sid, st["title"].strip(), st["when"].strip(), tuple(q.strip() for q in qs), roles))
    profiles = []
    for pid, pr in (data.get("profiles") or {}).items():
        if not isinstance(pr, dict) or not isinstance(pr.get("label"), str):
            raise bad(f"[profiles.{pid}]", f"le profil « {pid} » doit avoir un « label » (texte).")
        unknown = [k for k in pr if k != "label" and k not in stages_data]
        if unknown:
            raise bad(f"[profiles.{pid}]", f"le profil « {pid} » nomme une étape inconnue : {unknown[0]}.")
        profiles.append(Profile(pid, pr["label"], {k: str(v) for k, v in pr.items() if k != "label"}))
    return Parcours(tuple(stages), tuple(profiles))


def load(path: Path, fallback: Path | None = None) -> tuple[Parcours | None, str | None]:
    """(parcours, warning): the file's parcours; when the file is bad, the last valid one kept in
    ``fallback`` (written by ``build``) and the French reason; (None, None) without a file."""
    if not path.is_file():
        return None, None
    try:
        return parse(path.read_text(encoding="utf-8"), path.name), None
    except CapacitiesError as e:
        kept = read_json(fallback, {}).get("parcours") if fallback is not None else None
        if kept:
            return _from_json(kept), f"{e} Le dernier parcours valide reste en service."
        raise


def _from_json(d: dict) -> Parcours:
    stages = tuple(
        Stage(s["id"], s["title"], s["when"], tuple(s["questions"]), {r: tuple(q) for r, q in s["roles"].items()})
        for s in d["stages"]
    )
    return Parcours(stages, tuple(Profile(p["id"], p["label"], p["notes"]) for p in d.get("profiles", [])))


# --------------------------------------------------------------------------- answers and roadmaps


@dataclass(frozen=True)
class Step:
    text: str  # as the answer shows it, without its [n] marks
    citations: tuple[int, ...]  # the answer's citation numbers (1-based) the step rests on


_MARK = re.compile(r"\s*\[(\d{1,3})\]")
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")
_LABEL = re.compile(r"^\s*\*\*[^*]+\*\*\s*:?\s*$")
_AFTER_MARKS = re.compile(r"([.!?…])((?:\s*\[\d{1,3}\])+)\s+")


def steps(answer: Answer) -> list[Step]:
    """The answer as a checklist: each numbered step or bullet, and each cited sentence of its prose."""
    from assistant import prompts
    from assistant.text import sentences

    body = answer.text.split(f"\n\n{prompts.FURTHER}")[0]
    frame = {prompts.INTRO_STEPS, prompts.INTRO_FACTS, prompts.COMPLEMENTS, prompts.INTRO_ELU, prompts.IMPLICATIONS}
    out = []
    for raw in body.split("\n"):
        line = raw.strip()
        if not line or _LABEL.match(line) or line.startswith(("[…]", prompts.ACRONYMS)) or line.strip("*: ") in frame:
            continue
        m = _ITEM.match(line)
        # prose: one unit per sentence, its "[n]" marks kept with it ("… équipements. [1] D'un point…")
        prose = _AFTER_MARKS.sub(r"\1\2\n", line)
        units = [line[m.end() :]] if m else [u for piece in prose.split("\n") for u in sentences(piece)]
        for unit in units:
            marks = tuple(dict.fromkeys(int(n) for n in _MARK.findall(unit)))
            text = _MARK.sub("", unit).strip()
            if text and not text.endswith(":"):
                out.append(Step(text, marks))
    return out


@dataclass
class Entry:
    """One guiding question answered: the answer and the passages retrieval brought back for it."""

    mode: str
    question: str
    retrieved: list[str]  # chunk ids: when they change, the answer is computed again
    answer: Answer

    @property
    def cited_steps(self) -> list[Step]:
        return [s for s in steps(self.answer) if s.citations]

    @property
    def poor(self) -> bool:
        return self.answer.abstained or len(self.cited_steps) < MIN_STEPS


def _answer_from(d: dict) -> Answer:
    return Answer(
        **(
            d
            | {
                "citations": [Passage(**p) for p in d["citations"]],
                "suggestions": [Suggestion(**x) for x in d["suggestions"]],
            }
        )
    )


class Roadmaps:
    """The answers of every guiding question on one published snapshot (``data/parcours.json``)."""

    def __init__(self, parcours: Parcours, snapshot: str, entries: dict[tuple[str, str], Entry]) -> None:
        self.parcours, self.snapshot, self.entries = parcours, snapshot, entries

    def for_stage(self, stage_id: str, role: str) -> list[Entry]:
        stage = self.parcours.stage(stage_id)
        return [self.entries[(MODE[role], q)] for q in stage.questions_for(role) if (MODE[role], q) in self.entries]

    def save(self, path: Path) -> None:
        rows = [
            {"mode": e.mode, "question": e.question, "retrieved": e.retrieved, "answer": asdict(e.answer)}
            for e in self.entries.values()
        ]
        write_json_atomic(path, {"snapshot": self.snapshot, "parcours": asdict(self.parcours), "entries": rows})

    @classmethod
    def read(cls, path: Path) -> Roadmaps | None:
        data = read_json(path, None)
        if not isinstance(data, dict) or "entries" not in data:
            return None
        try:
            entries = {
                (r["mode"], r["question"]): Entry(r["mode"], r["question"], r["retrieved"], _answer_from(r["answer"]))
                for r in data["entries"]
            }
            return cls(_from_json(data["parcours"]), data["snapshot"], entries)
        except (KeyError, TypeError):
            return None  # written by another version: computed again

    def stages_documents(self, stage_id: str) -> list[str]:
        """The deliverables a stage's answers cite, most cited first (a free question is scoped to them)."""
        count: dict[str, int] = {}
        for role in ROLES:
            for e in self.for_stage(stage_id, role):
                for p in e.answer.citations:
                    count[p.source] = count.get(p.source, 0) + 1
        return sorted(count, key=lambda s: -count[s])


def build(assistant, parcours: Parcours, snapshot: str, previous: Roadmaps | None = None) -> tuple[Roadmaps, list[str]]:  # noqa: ANN001
    """Every guiding question answered on ``snapshot``; (roadmaps, ids of the stages whose answers changed).
    A question whose retrieved passages are those of ``previous`` keeps its answer."""
    s = assistant.retriever.settings
    old = previous.entries if previous is not None else {}
    entries: dict[tuple[str, str], Entry] = {}
    changed: set[tuple[str, str]] = set()
    for mode, question in parcours.questions():
        retrieved = [p.id for p in assistant.retriever.search(question, k=s.top_k)]
        kept = old.get((mode, question))
        if kept is not None and kept.retrieved == retrieved:
            entries[(mode, question)] = kept
            continue
        entries[(mode, question)] = Entry(
            mode, question, retrieved, assistant.ask(question, mode=mode, backend="extractive")
        )
        changed.add((mode, question))
    stages = [
        st.id for st in parcours.stages if any((MODE[r], q) in changed for r in ROLES for q in st.questions_for(r))
    ]
    return Roadmaps(parcours, snapshot, entries), stages


def coverage(roadmaps: Roadmaps) -> list[dict]:
    """Per stage, for maintainers: the documents and pages that feed it, and its poorly answered questions
    (abstention, or fewer than ``MIN_STEPS`` cited steps): the deliverables to write next."""
    out = []
    for stage in roadmaps.parcours.stages:
        pages: set[tuple[str, int]] = set()
        poor = []
        for role in ROLES:
            for e in roadmaps.for_stage(stage.id, role):
                pages |= {(p.source, n) for p in e.answer.citations for n in range(p.page_start, p.page_end + 1)}
                if e.poor and (e.mode, e.question) not in [(m, q) for m, q, _ in poor]:
                    poor.append(
                        (
                            e.mode,
                            e.question,
                            "sans réponse" if e.answer.abstained else f"{len(e.cited_steps)} étape(s) citée(s)",
                        )
                    )
        out.append(
            {
                "stage": stage.id,
                "title": stage.title,
                "documents": len({src for src, _ in pages}),
                "pages": len(pages),
                "poor": [{"mode": m, "question": q, "why": w} for m, q, w in poor],
            }
        )
    return out


def current(assistant, settings) -> tuple[Roadmaps | None, str | None]:  # noqa: ANN001
    """(roadmaps of the published snapshot, warning) for a reader: the file written at ingestion when it
    is current; else what is missing computed now (an index restored, the parcours edited since) and kept."""
    parcours, warning = load(settings.parcours_path, settings.roadmaps_path)
    if parcours is None:
        return None, None
    snapshot = assistant.retriever.lexical.digest
    kept = Roadmaps.read(settings.roadmaps_path)
    if kept is not None and kept.snapshot == snapshot and kept.parcours == parcours:
        return kept, warning
    roadmaps, _ = build(assistant, parcours, snapshot, kept)
    with contextlib.suppress(OSError):  # a read-only data folder: answered again by the next reader
        roadmaps.save(settings.roadmaps_path)
    return roadmaps, warning


# --------------------------------------------------------------------------- export for a meeting


@dataclass
class Sheet:
    """A roadmap as a user takes it away: the stage, the role, what is ticked and noted."""

    stage: Stage
    role: str
    entries: list[Entry]
    profile: Profile | None = None
    done: set[tuple[int, int]] = field(default_factory=set)  # (question index, step index) ticked
    notes: dict[int, str] = field(default_factory=dict)  # question index -> the user's note

    def footnotes(self) -> tuple[list[list[tuple[Step, list[int]]]], list[str]]:
        """Per question, its cited steps with their footnote numbers; and the footnotes, numbered once
        each across the sheet (document, pages)."""
        labels: dict[str, int] = {}
        per_question = []
        for e in self.entries:
            rows = []
            for st in e.cited_steps:
                nums = []
                for n in st.citations:
                    if 1 <= n <= len(e.answer.citations):
                        p = e.answer.citations[n - 1]
                        label = f"{p.title} ({p.source}), {p.pages_label}"
                        nums.append(labels.setdefault(label, len(labels) + 1))
                rows.append((st, nums))
            per_question.append(rows)
        return per_question, list(labels)


def _heading(sheet: Sheet) -> list[str]:
    import time

    lines = [f"Rôle : {ROLES[sheet.role]}."]
    if sheet.profile is not None:
        lines.append(
            f"Territoire : {sheet.profile.label}."
            + (f" {sheet.profile.notes[sheet.stage.id]}" if sheet.stage.id in sheet.profile.notes else "")
        )
    lines.append(
        f"{sheet.stage.when} Feuille de route préparée le {time.strftime('%d/%m/%Y')} d'après les livrables CAPACities."
    )
    return lines


def to_markdown(sheet: Sheet) -> str:
    """The roadmap as Markdown: a checklist per guiding question, the sources as footnotes."""
    from assistant.render import escape_markdown

    per_question, notes = sheet.footnotes()
    out = [f"# Parcours projet — {sheet.stage.title}", "", *_heading(sheet), ""]
    for qi, (e, rows) in enumerate(zip(sheet.entries, per_question, strict=True)):
        out += [f"## {escape_markdown(e.question)}", ""]
        for si, (st, nums) in enumerate(rows):
            box = "x" if (qi, si) in sheet.done else " "
            out.append(f"- [{box}] {escape_markdown(st.text)}" + "".join(f"[^{n}]" for n in nums))
        if sheet.notes.get(qi, "").strip():
            out += ["", f"Note : {escape_markdown(sheet.notes[qi].strip())}"]
        out.append("")
    out += [f"[^{n}]: {escape_markdown(label)}" for n, label in enumerate(notes, 1)]
    return "\n".join(out).rstrip() + "\n"


def to_docx(sheet: Sheet) -> bytes:
    """The roadmap as a Word document (opens in Word and LibreOffice): a checklist per guiding question,
    each step followed by the numbers of its sources in superscript, the sources listed at the end."""
    import io

    from docx import Document

    per_question, notes = sheet.footnotes()
    doc = Document()
    doc.core_properties.title = f"Parcours projet — {sheet.stage.title}"
    doc.core_properties.language = "fr-FR"
    doc.add_heading(f"Parcours projet — {sheet.stage.title}", level=1)
    for line in _heading(sheet):
        doc.add_paragraph(line)
    for qi, (e, rows) in enumerate(zip(sheet.entries, per_question, strict=True)):
        doc.add_heading(e.question, level=2)
        for si, (st, nums) in enumerate(rows):
            para = doc.add_paragraph(("☑ " if (qi, si) in sheet.done else "☐ ") + st.text)
            if nums:
                para.add_run(",".join(str(n) for n in nums)).font.superscript = True
        if sheet.notes.get(qi, "").strip():
            doc.add_paragraph(f"Note : {sheet.notes[qi].strip()}")
    doc.add_heading("Sources", level=2)
    for n, label in enumerate(notes, 1):
        doc.add_paragraph(f"{n}. {label}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
