"""Extractive answers composed from the typed blocks of the retrieved passages.

Agents: when the best evidence is a list, one lead sentence naming the deliverable, the list quoted
whole and in order (its lead-in, then its items, cut at the end with "[…]" when long), then at most two
complementary points. Otherwise the best passages are read in their order, best first, as much as
fits in 240 words (labels on top): each paragraph's advice sentences in their own order (so "Cette
opération…" follows what it refers to), runs of list items, lists whole, under their headings as
labels; a sentence repeated by overlapping chunks is shown once, one cut by the end of its chunk not at
all. Reading the pages in order covers more of what they say than picking the sentences that share the
question's words (``evals.composers``: 0.649 against 0.635 on the project's set). Élus:
« En bref » in 2 to 4 short complete sentences, then « Pour votre collectivité » in 2 or 3 bullets,
about 150 words at most, plainest sentences first. Every unit is quoted from a passage, with its
citation, and nothing that ``blocks.non_advice`` rejects is ever shown as advice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from assistant import blocks as B
from assistant import prompts
from assistant.hostile import gives_orders, strip_citation_marks
from assistant.plain import (
    advises,
    complete_sentence,
    infinitive_first,
    noun_phrase,
    opens_alone,
    says_what_to_do,
    standalone,
    without_connector,
)
from assistant.readability import kandel_moles
from assistant.screening import GENERIC_WORDS, asks_definition, expand_acronyms, is_procedure_question, wants_list
from assistant.simplify import notice, plain_sentence
from assistant.text import FRAMING, content_words, fold, overlap_join, sentences
from assistant.types import Answer, Passage, Suggestion

Embed = Callable[[list[str]], list[list[float]]]  # texts -> document vectors
Neighbour = Callable[[str, int], Passage | None]  # (source, chunk index) -> that chunk, if indexed

AGENT_WORDS = 240  # an agent answer's body stays under this many words (the target median is 250)
ELU_WORDS = 150
ELU_RESERVES = (0, 10, 25, 40)  # words kept for labels and spelled-out acronyms: the least that keeps ELU_WORDS
ELU_POOL = 4  # the élu filter of long sentences applies only if it leaves at least this many sentences
ELU_ALONE = 1  # sentences that lean on the one before are left out if this many others stand alone
LIST_MARGIN = 0.15  # relevance added to the best list when the question asks how to proceed
COMPLEMENT_FLOOR = 0.5  # a complement to a quoted list is at least this share of its relevance
ELU_MAX_SENTENCE = 40  # longer sentences are left out of élu answers when there are enough others
LENGTH = 0.01  # relevance taken per word over 15, for élus
PLAIN = 0.1  # relevance per point of Kandel–Moles above 50, for élus (0.02 until 2026-12-07: see the README)
_LEXICON = re.compile(r"^(?:lexique|glossaire|définitions|vocabulaire|sigles|acronymes)\s*:?$", re.IGNORECASE)
SHORT_ITEM = 12  # words of a list item that is a short line; see ``_continuation``
LIST_WORDS = 170  # a quoted list longer than this is cut at the end with "[…]"
SEMANTIC_UNITS = 12  # candidate units embedded at query time, when the evaluation asks for it
RANK_PRIOR = 1.0  # relevance given to the units of the best passage, halved for the second, a third for the third…
STEP_FORM = 0.15  # relevance added to a sentence that says what to do
ANAPHORA = 0.3  # relevance taken from a sentence that leans on the one before it ("Cela…", "Ce référentiel…")
PASSAGE_FLOOR = 0.4  # a passage is read if its best segment has this share of the best one's relevance
READ_PASSAGES = 4  # an answer that is not a list reads at most this many of the best passages
MEANING = 1.0  # weight of the cosine with the question against the share of its stems
_COLLECTIVITY = re.compile(
    r"\b(collectivit|commune|territoir|[ée]lus?\b|intercommunal|mairie|d[ée]partement|r[ée]gion|agents?\b|"
    r"doi(?:t|vent)|obligat|permet|peu(?:t|vent))",
    re.IGNORECASE,
)
_SUPPLIER = re.compile(  # another party than the collectivity, by whom a sentence opens
    r"^(?:pour (?:une|les|des) entreprises?|l(?:e|es) (?:candidat|soumissionnaire|titulaire|prestataire|fournisseur)s?|"
    r"l(?:e |es |['’])r[ée]utilisat(?:eur|rice)s?)\b",
    re.I,
)
_ACRONYM = re.compile(r"\b[A-Z]{2,}[0-9]*\b")


@dataclass
class Unit:
    """A quotable piece of a passage: a sentence of a paragraph, or a list item."""

    text: str
    passage: int  # index in the passages list
    block: int  # index of its block in the passage
    relevance: float = 0.0
    stems: set[str] = field(default_factory=set)
    order: int = 0  # its sentence's place in the block

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class Procedure:
    """A list of one passage: its lead-in and its items, in order (items may go on in the next chunk)."""

    passage: int
    lead: str
    items: list[tuple[str, int]]  # (item, index of the passage that holds it)
    heading: str
    relevance: float = 0.0
    blocks: list[tuple[int, int]] = field(default_factory=list)  # (passage, block) of its lead-in and items
    group: int = -1  # its group among the blocks of its passage
    found: int = -1  # the passage it was found in, when its lead-in is in the chunk before (``passage``)
    # when the lead-in is itself an item of a list ("→ Inventorier…, permet de :"), the items of that list
    # which follow the nested one ("→ Optimiser son parc…"): quoted as the next steps (``_quote_list``)
    resumed: list[tuple[str, int]] = field(default_factory=list)


class Citer:
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
        out = []
        for key in self.keys:
            group = sorted((self.passages[i] for i in self.members[key]), key=lambda p: p.index)
            text = group[0].text
            for p in group[1:]:
                text = overlap_join(text, p.text)
            blocks = group[0].blocks if len(group) == 1 else ""  # merged text: its blocks are parsed anew
            end = max(p.page_end for p in group)
            # cards, exports and the parcours's saved answers need no vectors
            out.append(replace(group[0], text=text, page_end=end, blocks=blocks, block_vectors="", page_vector=""))
        return out


# --------------------------------------------------------------------------- candidates


def _question_stems(question: str) -> set[str]:
    q = content_words(question)
    return q - GENERIC_WORDS or q


def _lexical(q: set[str], stems: set[str]) -> float:
    return len(q & stems) / max(1, len(q)) if q else 0.0


def passage_blocks(p: Passage) -> list[B.Block]:
    return B.decode(p.text, p.blocks)


def _units(
    passages: list[Passage], per_passage: list[list[B.Block]], q: set[str], definitions: bool = False
) -> list[Unit]:
    """Advice-eligible sentences and items of the passages, scored by shared stems and passage rank.

    A glossary's entry ("CCAP : cahier des clauses…") is read only if the question asks what something is
    (``definitions``); otherwise it is not advice, nor is the sentence after it, which leans on it."""
    out: list[Unit] = []
    for i, (p, blocks) in enumerate(zip(passages, per_passage, strict=True)):
        section = 0.3 * _lexical(q, content_words(p.section))
        led = {b.group for b in blocks if b.kind == B.LEAD}
        joined = _quotations_joined(blocks)
        for j, b in enumerate(blocks):
            if b.kind not in (B.PARAGRAPH, B.ITEM) or b.kind == B.ITEM and b.group in led or j not in joined:
                continue  # an item under a lead-in is quoted with its list, never alone
            text = joined[j]
            pieces = [text] if b.kind == B.ITEM else [x.strip() for x in sentences(text)]
            if not definitions and B.definition(strip_citation_marks(pieces[0])):
                continue  # its next sentences lean on it too ("Intégré au dossier…, il précise…")
            if b.kind == B.PARAGRAPH and j == len(blocks) - 1 and not _ENDED.search(pieces[-1]):
                pieces = pieces[:-1]  # the chunk ends in the middle of it ("Il faut noter que le Ministère de")
            for k, s in enumerate(pieces):
                s = strip_citation_marks(s).strip()
                if B.non_advice(s) or not quotable(s) or gives_orders(s):  # shown alone: it must stand alone
                    continue
                if b.kind == B.ITEM and len(split := sentences(s)) > 1 and any(B.non_advice(x) for x in split):
                    continue  # an item of two sentences is read as two: "Connexion minimum pour accéder au service."
                stems = content_words(s)
                rel = _lexical(q, stems) + section + RANK_PRIOR / (1 + i) + 0.25 * (p.dense or 0.0)
                rel += STEP_FORM * says_what_to_do(s) - ANAPHORA * (not opens_alone(s))
                out.append(Unit(s, i, j, rel, stems, k))
    return out


def _quotations_joined(blocks: list[B.Block]) -> dict[int, str]:
    """Each block's text, with the next one joined when a quotation opened in it closes there (the
    parser took "Analyse du cycle de vie - Principes et cadres », complétée…" for a list item); the
    block joined to the one before has no entry."""
    out: dict[int, str] = {}
    skip = -1
    for j, b in enumerate(blocks):
        if j == skip:
            continue
        text = b.text
        nxt = blocks[j + 1] if j + 1 < len(blocks) else None
        if (
            nxt
            and b.kind == B.PARAGRAPH
            and text.count("«") > text.count("»")
            and nxt.text.count("»") > nxt.text.count("«")
        ):
            sep = " " if text.rstrip().endswith((".", ":")) else ". "  # the full stop the parser took away
            text, skip = f"{text}{sep}{nxt.text}", j + 1
        out[j] = text
    return out


_ENDED = re.compile(r"[.!?…»”\")\]]\s*$")


def quotable(s: str) -> bool:
    """Long enough, and mostly letters; a table of thresholds ("≤ 100 000 € HT 150 heures (1 mois) > …") is
    mostly amounts, so its letters are counted against what is printed, not its spaces."""
    letters = sum(c.isalpha() for c in s)
    size = sum(not c.isspace() for c in s) if B.THRESHOLD.search(s) else len(s)
    return len(s) >= 25 and letters >= 0.6 * size


def _procedures(
    passages: list[Passage],
    per_passage: list[list[B.Block]],
    q: set[str],
    neighbour: Neighbour | None,
    definitions: bool = False,
) -> list[Procedure]:
    """Every list of the passages with 2+ advice items; a list that ends its chunk goes on in the next one
    (that chunk then joins ``passages`` and ``per_passage``, so its items are cited to their own page). A
    lexicon ("Lexique :", "Glossaire") says what words mean, not what to do: a list only for a question
    about what something is (``definitions``)."""
    out: list[Procedure] = []
    consumed: set[tuple[int, int]] = set()
    for i in range(len(passages)):
        p, blocks = passages[i], per_passage[i]
        groups: dict[int, list[int]] = {}
        for j, b in enumerate(blocks):
            if b.group >= 0:
                groups.setdefault(b.group, []).append(j)
        for group, members in groups.items():
            if (i, group) in consumed:
                continue
            lead = next(((i, j) for j in members if blocks[j].kind == B.LEAD), None)
            items = [(i, j) for j in members if blocks[j].kind == B.ITEM]
            if lead is None and members[0] == 0 and items and neighbour is not None:
                lead, before = _begun_before(passages, per_passage, i, blocks[items[0][1]].text, neighbour)
                items = before + items
            if len(items) < 2 and not (lead and members[-1] == len(blocks) - 1):
                continue
            kinds = [B.non_advice(per_passage[a][j].text) for a, j in items]
            bad = sum(1 for k in kinds if k in ("question", "placeholder", "toc", "xref"))
            if bad > len(items) / 3:
                continue  # a questionnaire or a template, not advice
            if members[-1] == len(blocks) - 1 and neighbour is not None:
                short = all(len(per_passage[a][j].text.split()) <= SHORT_ITEM for a, j in items)
                items += _continuation(passages, per_passage, i, neighbour, consumed, short)
            items, resumed = _one_level(passages, per_passage, items)
            # the items after a nested list are those of the list its lead-in is an item of: same marker
            same = (
                lead and resumed and _marker(passages, per_passage, lead) == _marker(passages, per_passage, resumed[0])
            )
            resumed = _one_level(passages, per_passage, resumed)[0] if same else []

            def advice(pairs: list[tuple[int, int]], alone: bool) -> list[tuple[str, int, int]]:
                # without a lead-in, an item is shown as a step of its own: it reads alone, as a step does; it
                # opens neither on the end of a sentence begun before this chunk ("de mutualiser les coûts…")
                # nor on a symbol ("% de rack confinés"), and is no label ("Nombre d'ateliers réalisés.")
                texts = [(strip_citation_marks(per_passage[a][b].text).strip(), a, b) for a, b in pairs]
                return [
                    x
                    for x in texts
                    if not B.non_advice(x[0], in_list=True)
                    and not gives_orders(x[0])
                    and (not alone or (x[0][:1].isupper() or x[0][:1].isdigit()) and not B.non_advice(x[0]))
                ]

            texts, after = advice(items, not lead), advice(resumed, True)
            if len(texts) < 2:
                continue
            lead_text = strip_citation_marks(per_passage[lead[0]][lead[1]].text).strip() if lead else ""
            if gives_orders(lead_text):
                continue  # a list introduced by an order to an AI is not quoted at all
            if _LEXICON.match(lead_text) and not definitions:
                continue
            la, lj = lead if lead else (i, members[0])  # a list begun in the chunk before belongs to that chunk
            above = reversed(per_passage[la][:lj])
            heading = next((b.text for b in above if b.kind == B.HEADING), passages[la].section)
            # the lead-in and the first items say what a list is about; a long list shares many stems anyway
            stems = content_words(f"{lead_text} {' '.join(t for t, _, _ in texts[:6])}")
            rel = (
                0.8 * _lexical(q, stems)
                + 0.4 * _lexical(q, content_words(f"{heading} {lead_text}"))
                + RANK_PRIOR / (1 + i)
                + 0.25 * (p.dense or 0.0)
            )
            where = [(a, b) for _, a, b in texts + after] + ([lead] if lead else [])
            own = group if la == i else per_passage[la][lj].group
            items_at = [(t, a) for t, a, _ in texts]
            found = i if la != i else -1
            out.append(
                Procedure(la, lead_text, items_at, heading, rel, where, own, found, [(t, a) for t, a, _ in after])
            )
    # the tail of a list found in a chunk retrieved before the one that starts it is not a list of its own;
    # a list read from both of its chunks is one list, ranked as the better of the two
    best: dict[tuple[int, int], Procedure] = {}
    for pr in out:
        key = (pr.passage, pr.group)
        if key not in consumed and (key not in best or pr.relevance > best[key].relevance):
            best[key] = pr
    return list(best.values())


def _marker(passages: list[Passage], per_passage: list[list[B.Block]], at: tuple[int, int]) -> str:
    """The marker the block ``at`` (passage, block) is printed with, its numbers and letters as "N" ("−",
    "→", "N.", "N)"); "" if none."""
    b = per_passage[at[0]][at[1]]
    m = B.BULLET.match(passages[at[0]].text[b.start : b.end])
    return re.sub(r"\d+|[a-h](?=[.)])", "N", m.group(0).strip()) if m else ""


def _one_level(
    passages: list[Passage], per_passage: list[list[B.Block]], items: list[tuple[int, int]]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """A list's items up to the first printed with another marker, and the items from it on: a list nested
    in an item ("→ Inventorier les matériels…, permet de :" then "− connaître l'état de son parc…") ends
    where the outer one resumes ("→ Optimiser son parc…", which is not one more thing that inventorying
    allows)."""
    marks = [_marker(passages, per_passage, at) for at in items]
    k = next((k for k in range(1, len(marks)) if marks[k] != marks[k - 1]), len(items))
    return items[:k], items[k:]


def _begun_before(
    passages: list[Passage], per_passage: list[list[B.Block]], i: int, first: str, neighbour: Neighbour
) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """The lead-in and the first items of a list that opens chunk ``i`` without its lead-in, when the chunk
    before holds them (the tail "De coordonnées géographiques ; Des adresses corrigées" opened an answer);
    that chunk joins ``passages`` and ``per_passage`` if it is not there yet. (None, []) when it does not."""
    p = passages[i]
    prev = neighbour(p.source, p.index - 1)
    if prev is None:
        return None, []
    blocks = passage_blocks(prev)
    lead = next((j for j in reversed(range(len(blocks))) if blocks[j].kind == B.LEAD), None)
    if lead is None:
        return None, []
    own = [j for j, b in enumerate(blocks) if b.kind == B.ITEM and b.group == blocks[lead].group]
    texts = [blocks[j].text for j in own]
    if first not in texts:
        return None, []  # the chunk before ends on another list, or this one goes on without overlap
    k = _join(passages, per_passage, prev, blocks)
    return (k, lead), [(k, j) for j in own[: texts.index(first)]]


def _join(
    passages: list[Passage], per_passage: list[list[B.Block]], p: Passage, blocks: list[B.Block] | None = None
) -> int:
    """The index of ``p`` among ``passages``, where it joins them (with its ``blocks``) if it is not there."""
    k = next((n for n, o in enumerate(passages) if o.id == p.id), None)
    if k is None:
        passages.append(p)
        per_passage.append(blocks if blocks is not None else passage_blocks(p))
        k = len(passages) - 1
    return k


def _continuation(
    passages: list[Passage],
    per_passage: list[list[B.Block]],
    i: int,
    neighbour: Neighbour,
    consumed: set,
    short: bool = False,
) -> list[tuple[int, int]]:
    """(passage, block) of the items at the start of the next chunk of the same document; their list
    in that chunk is marked ``consumed`` (it is the end of this one, not a list of its own).

    ``short``: the list's items so far are short lines without a bullet; the next chunk, which does not
    hold their lead-in, reads the rest of them as paragraphs, and its short one-line paragraphs are
    taken as items too (the nine environmental requirements of the purchasing guide's p. 88 stopped
    after two)."""
    p = passages[i]
    nxt = neighbour(p.source, p.index + 1)
    if nxt is None:
        return []
    k = _join(passages, per_passage, nxt)
    # what this chunk's blocks hold (a passage merged over a page break has more text than blocks)
    own = per_passage[i]
    flat = re.sub(r"\s+", " ", p.text[: own[-1].end] if own else p.text)
    items = []
    for j, b in enumerate(per_passage[k]):
        if b.text in flat:
            continue  # consecutive chunks overlap: skip what this one already holds
        if b.kind == B.RUNNING and not items:
            continue
        if b.kind != B.ITEM and not (short and b.kind == B.PARAGRAPH and _item_like(b.text)):
            break  # the list ends here; a new heading or lead-in starts another one
        items.append((k, j))
    consumed.update((k, per_passage[k][j].group) for _, j in items)
    return items


def _item_like(text: str) -> bool:
    """A one-line paragraph as short as a list item, that introduces nothing."""
    t = text.strip()
    return "\n" not in t and len(t.split()) <= SHORT_ITEM and not t.endswith(":")


def rank_by_meaning(
    units: list[Unit],
    procedures: list[Procedure],
    passages: list[Passage],
    n_blocks: list[int],
    query_vector: list[float] | None,
    embed: Embed | None = None,
) -> None:
    """Add each candidate's cosine with the question to its relevance (``MEANING`` times).

    Units are scored with the vectors of their blocks, pooled at ingestion from their passage's own
    forward pass (no cost here); a list with the mean cosine of its lead-in and items. ``n_blocks``: how
    many blocks each passage has (its vectors are used only if they are as many). ``embed``
    (texts -> document vectors) instead embeds the best candidates now, which costs a forward pass per
    candidate: the evaluation compares both.
    """
    import numpy as np

    if query_vector is None:
        return
    if embed is not None:
        top_u = sorted(units, key=lambda u: -u.relevance)[:SEMANTIC_UNITS]
        top_p = sorted(procedures, key=lambda pr: -pr.relevance)[:4]
        texts = [u.text for u in top_u] + [f"{pr.lead} {' ; '.join(t for t, _ in pr.items[:6])}" for pr in top_p]
        if texts:
            q = np.asarray(query_vector, dtype=np.float32)
            sims = np.asarray(embed(texts), dtype=np.float32) @ q
            for x, sim in zip([*top_u, *top_p], sims, strict=True):
                x.relevance += MEANING * float(sim)
        return
    # a passage's vectors count when there is one per block (an index built before them has none)
    sims: dict[int, object] = {}
    for i, p in enumerate(passages):
        v = B.unpack_vectors(p.block_vectors)
        if v is not None and len(v) == n_blocks[i]:
            sims[i] = v @ B.query_for_blocks(query_vector, v.shape[1])
    for u in units:
        if u.passage in sims:
            u.relevance += MEANING * float(sims[u.passage][u.block])
    for pr in procedures:
        if all(i in sims for i, _ in pr.blocks):
            pr.relevance += MEANING * float(np.mean([sims[i][j] for i, j in pr.blocks]))


# --------------------------------------------------------------------------- answers


def end_unit(text: str) -> str:
    """A quoted unit ends with its own punctuation, or a full stop."""
    text = text.rstrip(" ;,")
    return text if text.endswith((".", "!", "?", "…", "]", ")", "»")) else text + "."


def trim_words(text: str, limit: int, whole_clauses: bool = False) -> str | None:
    """``text`` cut to ``limit`` words and marked "[…]", at a ';' or ',' in its second half if there is
    one. ``whole_clauses``: only at such a clause boundary (past its first third), else None: a quoted
    sentence is never cut in the middle of a phrase ("…peuvent être édités par les membres de […]")."""
    words = text.split()
    if len(words) <= limit:
        return text
    cut = " ".join(words[:limit])
    for sep in ("; ", ", "):
        k = cut.rfind(sep)
        if k > len(cut) // (3 if whole_clauses else 2):
            return cut[:k].rstrip(" ,;:") + " […]"
    return None if whole_clauses else cut.rstrip(" ,;:") + " […]"


def _words(lines: list[str]) -> int:
    return sum(len(re.sub(r"\[\d+\]", "", line).split()) for line in lines)


OUTLINE_PARTS = 3  # a guide's numbered parts that say what to do, for a question on its whole subject
_PART = re.compile(r"^(\d{1,2})(?:\.(\d{1,2}))?\.?\s+(\S.*)$")  # "4 Publier un jeu de données", "4.2 Décrire…"
OUTLINE_CHUNKS = 400  # a document read for its parts has at most this many chunks


def _outline(
    question: str, passages: list[Passage], per_passage: list[list[B.Block]], neighbour: Neighbour | None
) -> list[tuple[int, str, list[tuple[int, str]]]]:
    """The parts of the best passage's guide that say what to do, in order, each with the index of the
    chunk it opens (joined to ``passages``) and its sub-parts that say what to do: when the question is
    about the guide's whole subject ("Comment publier les données de la commune sur data.gouv.fr ?" and
    « Publier les données sur data.gouv.fr »), the way is the guide's plan (create an account, an
    organisation, publish a dataset…), which no single page gives. [] otherwise."""
    if not passages or neighbour is None:
        return []
    best = passages[0]
    asked = content_words(question) - content_words(" ".join(FRAMING))
    if not asked or not asked <= content_words(best.title):
        return []
    parts: list[tuple[int, str, list[tuple[int, str]]]] = []
    seen: set[tuple[str, str | None]] = set()
    for index in range(OUTLINE_CHUNKS):
        chunk = neighbour(best.source, index)
        if chunk is None:
            break
        for b in passage_blocks(chunk):
            m = _PART.match(b.text) if b.kind == B.HEADING else None
            if not m or (m.group(1), m.group(2)) in seen:
                continue  # consecutive chunks overlap: a part's heading may open two of them
            seen.add((m.group(1), m.group(2)))
            title = m.group(3).rstrip(" .")
            if m.group(2) is None:
                parts.append((index, title, []))
            elif parts and infinitive_first(title) and not gives_orders(title):
                parts[-1][2].append((index, title))
    parts = [x for x in parts if infinitive_first(x[1]) and not gives_orders(x[1])]  # an action, not an order to an AI
    if len(parts) < OUTLINE_PARTS:
        return []
    chunks = {
        i: _join(passages, per_passage, neighbour(best.source, i)) for x in parts for i in [x[0], *(j for j, _ in x[2])]
    }
    return [(chunks[i], title, [(chunks[j], t) for j, t in subs]) for i, title, subs in parts]


def _agent(
    question: str,
    passages: list[Passage],
    per_passage: list[list[B.Block]],
    units: list[Unit],
    procs: list[Procedure],
    citer: Citer,
    outline: list[tuple[int, str, list[tuple[int, str]]]] | None = None,
) -> list[str]:
    if outline:  # the guide's plan, then what its best passages add
        lines = [prompts.INTRO_OUTLINE.format(title=_named(passages[outline[0][0]].title))]
        for n, (i, title, subs) in enumerate(outline, 1):
            lines.append(f"{n}. {title}. {citer.mark(i)}")
            lines += [f"   - {t}. {citer.mark(j)}" for j, t in subs]
        used = [content_words(title) for _, title, _ in outline]
        segs = [x for x in _segments(units, procs, per_passage) if not x.leans]
        room = AGENT_WORDS - _words(lines)
        extra = _choose(segs, room, COMPLEMENT_FLOOR * max((x.relevance for x in segs), default=0.0), 2, used)
        extra = _render(extra, passages, per_passage, citer, room, False, labels=False)
        return lines + (["", prompts.COMPLEMENTS, *extra] if extra else [])
    best_proc = max(procs, key=lambda pr: pr.relevance, default=None)
    best_unit = max(units, key=lambda u: u.relevance, default=None)
    procedure = is_procedure_question(question) or wants_list(question)
    segs = _segments(units, procs, per_passage)
    # the form follows the evidence: a list that answers as well as the best sentence is quoted whole
    margin = LIST_MARGIN if procedure else 0.0
    if best_proc is not None and (best_unit is None or best_proc.relevance + margin >= best_unit.relevance):
        return _quote_list(best_proc, passages, per_passage, units, segs, citer)
    if not segs:
        return []
    # otherwise the best passages are read in their order, their advice whole (a paragraph's sentences,
    # a run of items, a list): the points of a page are spread over it, not gathered round the sentence
    # that shares the question's words
    best: dict[int, float] = {}
    for x in segs:
        best[x.passage] = max(best.get(x.passage, x.relevance), x.relevance)
    floor = PASSAGE_FLOOR * max(best.values())  # a passage on another subject is not read at all
    read = {i for i in sorted(best)[:READ_PASSAGES] if best[i] >= floor}
    reading = [x for x in segs if x.passage in read]
    reading.sort(key=lambda x: (x.passage, x.block))
    room = AGENT_WORDS - _words([prompts.INTRO_STEPS])
    if procedure:  # fewer than two paragraphs that say what to do are facts, not a procedure of one step
        trial = _render(reading, passages, per_passage, Citer(passages), room, True)
        procedure = sum(bool(re.match(r"\d+\. ", line)) for line in trial) >= 2
    lines = _render(reading, passages, per_passage, citer, room, procedure)
    return [prompts.INTRO_STEPS if procedure else prompts.INTRO_FACTS, *lines]


SEGMENT_WORDS = 90  # a paragraph quoted as one segment keeps at most this many words around its best sentence


@dataclass
class Segment:
    """What the composer quotes as one piece: a paragraph's advice sentences in order, a run of list
    items without a lead-in, or a list whole (``proc``)."""

    passage: int
    block: int  # its first block
    units: list[Unit]  # in order; empty for a list
    relevance: float
    proc: Procedure | None = None
    leans: bool = False  # it opens with a sentence that leans on what comes before its paragraph ("Il dépose…")

    @property
    def words(self) -> int:
        if self.proc:
            return len(self.proc.lead.split()) + sum(len(t.split()) for t, _ in self.proc.items)
        return sum(u.words for u in self.units)

    @property
    def stems(self) -> set[str]:
        if self.proc:
            return content_words(f"{self.proc.lead} {' '.join(t for t, _ in self.proc.items)}")
        return set().union(*(u.stems for u in self.units))


def _segments(units: list[Unit], procs: list[Procedure], per_passage: list[list[B.Block]]) -> list[Segment]:
    """Paragraphs (their advice sentences, cut to ``SEGMENT_WORDS`` around the best one), runs of list
    items without a lead-in, and lists whole, each scored by its best unit."""
    by_block: dict[tuple[int, int], list[Unit]] = {}
    for u in units:
        by_block.setdefault((u.passage, u.block), []).append(u)
    out: list[Segment] = []
    items: dict[tuple[int, int], list[Unit]] = {}
    for (i, j), us in by_block.items():
        b = per_passage[i][j]
        if b.kind == B.ITEM and b.group >= 0:
            items.setdefault((i, b.group), []).extend(us)
            continue
        best = max(range(len(us)), key=lambda k: us[k].relevance)
        lo = hi = best
        grew = True
        while grew:  # the best sentence, then its neighbours, the next one first
            grew = False
            if hi + 1 < len(us) and sum(u.words for u in us[lo : hi + 2]) <= SEGMENT_WORDS:
                hi, grew = hi + 1, True
            if lo > 0 and sum(u.words for u in us[lo - 1 : hi + 1]) <= SEGMENT_WORDS:
                lo, grew = lo - 1, True
        # a sentence that leans on the one before ("… peuvent y contribuer", "Cela…") comes with its antecedent
        while lo > 0 and not opens_alone(us[lo].text):
            lo -= 1
        leans = not opens_alone(us[lo].text)  # its antecedent lies before the paragraph: see ``_render``
        out.append(Segment(i, j, us[lo : hi + 1], max(u.relevance for u in us[lo : hi + 1]), leans=leans))
    for (i, _), us in items.items():
        us.sort(key=lambda u: u.block)
        out.append(Segment(i, us[0].block, us, max(u.relevance for u in us)))
    for pr in procs:
        at = pr.passage if pr.found < 0 else pr.found  # read where it was found, in the order of retrieval
        if pr.found >= 0 and pr.relevance < max((x.relevance for x in out if x.passage == at), default=0.0):
            continue  # a list begun before, whose tail opens a chunk retrieved for something else
        first = min(j for k, j in pr.blocks if k == at)
        out.append(Segment(at, first, [], pr.relevance, pr))
    return out


def _choose(candidates: list, room: float, floor: float, n: int = 99, exclude: list[set[str]] | None = None) -> list:
    """The best candidates (units or segments) above ``floor`` that fit in ``room`` words (the last one
    may be cut), at most ``n``, none that repeats one already chosen or ``exclude``: consecutive chunks
    overlap, and lists repeat across a document."""
    chosen = []
    seen = list(exclude or [])
    for x in sorted(candidates, key=lambda x: -x.relevance):
        if x.relevance < floor or room < 15 or len(chosen) == n:
            break
        stems = x.stems
        if any(len(stems & o) / max(1, len(stems | o)) > 0.5 for o in seen):
            continue
        chosen.append(x)
        seen.append(stems)
        room -= x.words
    return chosen


def _render(
    chosen: list[Segment],
    passages: list[Passage],
    per_passage: list[list[B.Block]],
    citer: Citer,
    room: int,
    numbered: bool,
    labels: bool = True,
) -> list[str]:
    """Segments as lines within ``room`` words, in the order of ``chosen``: a paragraph is one step or
    bullet, a list its lead-in then its items (among steps, one step with its items nested); the heading
    above a segment is its label (``labels``), never a step; a lead-in in capitals is put in sentence
    case. A segment that does not fit gives its room to the next one; a list is cut only at its end, and
    only after two items; a sentence already shown is not shown again (overlapping chunks repeat it).
    Labels are not counted in ``room``: they frame the quoted words."""
    shown: set[str] = set()
    out: list[str] = []
    current, n = None, 0

    def fit(texts: list[str], taken: list[str]) -> list[str]:
        nonlocal room
        kept = []
        for t in texts:
            t = _GLYPH.sub("", t)
            key = re.sub(r"\W+", " ", fold(t)).strip()
            if key in shown:
                continue
            cut = trim_words(t, room, whole_clauses=True) if room >= 12 else None
            if cut is None or cut != t and B.non_advice(cut):
                break  # a paragraph's next sentence is not shown without the one before it, nor a stub of it
            unit = end_unit(cut)
            room -= len(unit.split())
            shown.add(key)
            taken.append(key)
            kept.append(unit)
            if cut != t:
                break  # nothing follows a sentence cut with "[…]" ("… des métiers […] Puis, si du code […]")
        return kept

    after: tuple[int, int] | None = None  # (passage, last block) of the segment shown last
    for x in chosen:
        if room < 15:
            break
        p, blocks = passages[x.passage], per_passage[x.passage]
        if x.leans and not (
            after
            and after[0] == x.passage
            and after[1] < x.block
            and not any(b.kind == B.HEADING for b in blocks[after[1] + 1 : x.block])
        ):
            # "… peuvent y contribuer." under a heading, without what it leans on: from its first sentence
            # that stands alone, if it has one
            units = x.units
            while units and not opens_alone(units[0].text):
                units = units[1:]
            if not units:
                continue
            x = replace(x, units=units, block=units[0].block, leans=False)
        heading = next((b.text for b in reversed(blocks[: x.block]) if b.kind == B.HEADING), p.section)
        section = label(heading) if labels and heading != p.title and len(chosen) > 1 else None
        before, taken = room, []
        lead, lines = None, []
        if x.proc:
            lead = x.proc.lead if x.proc.lead.endswith(":") else end_unit(x.proc.lead) if x.proc.lead else None
            plain = label(lead) if lead and B.upper_share(lead) > B.CAPITALS else None
            lead = f"{plain} :" if plain else lead  # "EXEMPLE DE CAS PRATIQUE :" reads "Exemple de cas pratique :"
            room -= len(lead.split()) if lead else 0
            for item, where in x.proc.items:
                texts = fit([item], taken)
                if not texts:
                    break
                lines.append((texts, where))
            if len(lines) < min(2, len(x.proc.items)):
                lines = []  # a lead-in and one item of a longer list would say it ends there
        elif blocks[x.units[0].block].kind == B.ITEM:
            lines = [(t, x.passage) for u in x.units for t in [fit([u.text], taken)] if t]
        else:
            lines = [(t, x.passage) for t in [fit([u.text for u in x.units], taken)] if t]
        if not lines:
            room = before  # nothing of it is shown: neither its label nor its lead-in alone
            shown.difference_update(taken)
            continue
        after = (x.passage, max(j for k, j in x.proc.blocks if k == x.passage) if x.proc else x.units[-1].block)
        if section and len(section.split()) >= 2 and section != current:
            out.append(f"**{section}**")
            current = section
        if lead and numbered:
            # among steps, a list is one step: its lead-in, its items nested under it (not steps of their
            # own); a lead-in that leans on what comes before it ("Cette déclaration… :") is no step
            step = opens_alone(lead)
            n += step
            out.append(f"{f'{n}. ' if step else ''}{lead} {citer.mark(x.proc.passage)}")
            indent = " " * len(f"{n}. ") if step else ""
            out += [f"{indent}- {' '.join(texts)} {citer.mark(where)}" for texts, where in lines]
            continue
        if lead:
            out.append(f"{lead} {citer.mark(x.proc.passage)}")
        # among steps, a paragraph that only describes ("La plateforme rassemble…") is context, not a step
        context = numbered and not x.proc and blocks[x.units[0].block].kind != B.ITEM
        context = context and not any(advises(t) for texts, _ in lines for t in texts)
        for texts, where in lines:
            n += not context
            out.append(f"{'' if context else f'{n}. ' if numbered else '- '}{' '.join(texts)} {citer.mark(where)}")
    return out


_LIST = re.compile(r"^\s*(?:\d{1,2}\.|-)\s")


def markdown_blocks(lines: list[str]) -> list[str]:
    """Lines with a blank line wherever Markdown would otherwise glue one to the line before it: a label
    after an item would close that item ("- créer… **Open data**"), a paragraph after a step would go on
    in it, and a step numbered "3." after a paragraph would not start a list. A line that announces what
    follows (ending with ':') keeps its items right under it."""
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        under = _LIST.match(prev) or strip_citation_marks(prev).endswith(":")  # an item goes on under these
        if prev and line and not (_LIST.match(line) and under):
            out.append("")
        out.append(line)
    return out


_GLYPH = re.compile(r"^\s*(?:[>»→•·▪◦]|-{1,2}|[−–—])\s+")


_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_NUMBERING = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z](?:\.\d{1,2}){1,3}\.?|[IVX]{1,4}\.|[a-h]\))\s+")


def label(heading: str | None) -> str | None:
    """A heading fit to label part of an answer, without its numbering, a practice's code put first;
    None for a truncated heading, a question from a questionnaire, a contents or a glossary line."""
    if not heading or gives_orders(heading):
        return None
    h = _NUMBERING.sub("", _GLYPH.sub("", strip_citation_marks(heading))).strip(" :")
    if sheet := B.SHEET_TITLE.match(h):  # "…à remplacerd.2", a practice's code glued: "d.2 …", as its page says
        h = f"{sheet['code']} {sheet['title']}"
    if not 3 <= len(h) <= 90 or h.count("(") != h.count(")") or B.non_advice(h) in ("toc", "running", "xref"):
        return None
    if B.definition(h) or _DATE.search(h):  # "AO : Appel d'Offre", "Date : 05/01/2021": not a part's title
        return None
    if re.match(r"(?i)(?:ou|et)\b", h):
        return None  # the second line of a two-line heading ("OU CAHIER DES CLAUSES PARTICULIÈRES (CCP)")
    if B.upper_share(h) <= B.CAPITALS:
        return h
    # in sentence case, an acronym keeps its capitals: in brackets ("Cahier des clauses … (CCAP)"), or a word
    # without a vowel ("… ou CCP", "RGPD"), which no French word in capitals is
    acronyms = {w.lower(): w for w in re.findall(r"\b[B-DF-HJ-NP-TV-XZ]{2,6}\b", h)}
    sentence = re.sub(r"\(([a-zà-ÿ]{2,6})\)", lambda m: f"({m[1].upper()})", h[:1].upper() + h[1:].lower())
    return re.sub(r"\b[a-z]{2,6}\b", lambda m: acronyms.get(m[0], m[0]), sentence)


def _quote_list(
    proc: Procedure,
    passages: list[Passage],
    per_passage: list[list[B.Block]],
    units: list[Unit],
    segs: list[Segment],
    citer: Citer,
) -> list[str]:
    """A lead sentence, the list whole and in order (cut at the end when long), then at most two
    complementary segments: a paragraph of its page or of another, or a list of another page."""
    p = passages[proc.passage]
    heading = label(proc.heading) if proc.heading != p.title else None
    part = prompts.LIST_PART.format(heading=_named(heading)) if heading else ""
    lines = [prompts.INTRO_LIST.format(title=_named(p.title), pages=p.pages_label, part=part)]
    mark = citer.mark(proc.passage)
    preamble = _preamble(proc, per_passage[proc.passage], units)
    if preamble:
        lines.append(" ".join(f"{end_unit(u.text)} {mark}" for u in preamble))
    # a lead-in that is an item of a list resumed after its own: it is the first step, its items nested under it
    nested = bool(proc.resumed)
    if proc.lead:
        lead = proc.lead if proc.lead.endswith(":") else end_unit(proc.lead)
        lines.append(f"{'1. ' if nested else ''}{lead} {mark}")
    shown = [("   - " if nested else f"{n}. ", t, w) for n, (t, w) in enumerate(proc.items, 1)]
    shown += [(f"{n}. ", t, w) for n, (t, w) in enumerate(proc.resumed, 2)]
    budget = LIST_WORDS
    for n, (prefix, item, where) in enumerate(shown, 1):
        words = len(item.split())
        if budget < words and n > 3:
            rest = len(shown) - n + 1
            more = prompts.MORE_ONE if rest == 1 else prompts.MORE_MANY.format(n=rest)
            lines.append(prompts.MORE_ITEMS.format(more=more, pages=passages[where].pages_label))
            break
        budget -= words
        lines.append(f"{prefix}{end_unit(item)} {citer.mark(where)}")
    used = [content_words(t) for t, _ in proc.items + proc.resumed] + [content_words(proc.lead)]
    used += [u.stems for u in preamble]
    # the same list again, from an overlapping chunk (a list whose tail opens a chunk retrieved for something
    # else has no segment: ``_segments``)
    used += [x.stems for x in segs if x.proc is proc]
    # points at least half as relevant as the list: a paragraph of its page, or one from elsewhere, or a
    # list from another page (another list of its own page is the one the ranking passed over)
    list_pages = {(passages[k].source, passages[k].page_start) for _, k in proc.items} | {(p.source, p.page_start)}
    others = [
        x
        for x in segs
        if not any(u in preamble for u in x.units)
        and not (x.proc and (passages[x.passage].source, passages[x.passage].page_start) in list_pages)
    ]
    room = AGENT_WORDS - _words(lines)
    floor = COMPLEMENT_FLOOR * proc.relevance
    others = [x for x in others if not x.leans]  # a complement is read alone: it must open alone
    extra = _render(_choose(others, room, floor, 2, used), passages, per_passage, citer, room, False, labels=False)
    if extra:
        lines += ["", prompts.COMPLEMENTS, *extra]
    return lines


TITLE_WORDS = 10  # a document's title or a part's heading named in a lead sentence is cut after this many words


def _named(title: str) -> str:
    """A title short enough to name a document in a sentence: its first ``TITLE_WORDS`` words and "…",
    without a word left hanging ("… afin de …"), when it is longer (the source card gives it whole)."""
    words = title.split()
    if len(words) <= TITLE_WORDS + 2:
        return title
    words = words[:TITLE_WORDS]
    while len(words) > 1 and B.ends_on_linking_word(" ".join(words)):
        words.pop()
    return f"{' '.join(words).rstrip(' ,;:–—-')}…"


def _preamble(proc: Procedure, blocks: list[B.Block], units: list[Unit], words: int = 60) -> list[Unit]:
    """The sentences just before the list, under the same heading: what the procedure is for
    (``blocks``: those of the list's passage)."""
    first = min(j for i, j in proc.blocks if i == proc.passage)
    start = next((j + 1 for j in range(first - 1, -1, -1) if blocks[j].kind == B.HEADING), 0)
    out: list[Unit] = []
    for u in reversed([u for u in units if u.passage == proc.passage and start <= u.block < first]):
        if sum(x.words for x in out) + u.words > words:
            break
        out.insert(0, u)
    return out


def _plain_score(u: Unit, glossary: dict[str, str]) -> float:
    undefined = sum(1 for a in _ACRONYM.findall(u.text) if a not in glossary)
    km = kandel_moles(u.text)
    return u.relevance + PLAIN * (km - 50) - LENGTH * max(0, u.words - 15) - 0.2 * undefined


def _clauses(units: list[Unit]) -> list[Unit]:
    """Long sentences offer their clauses cut at ';' as short sentences of their own, and what follows a
    label and its colon ("Promouvoir une stratégie… : à partir de 2025, les communes… doivent…")."""
    out = []
    for u in units:
        parts = []
        if u.words > 22 and ";" in u.text:
            parts = re.split(r"\s*;\s+", u.text)
        head, colon, tail = u.text.partition(" : ")
        if colon and len(head.split()) <= 12 and len(tail.split()) >= 6 and not says_what_to_do(tail.capitalize()):
            parts.append(tail[:1].upper() + tail[1:])
        for part in parts:
            part = end_unit(part)
            if complete_sentence(part) and not B.non_advice(part):
                out.append(Unit(part, u.passage, u.block, u.relevance, content_words(part), u.order))
    return out


def _unlinked(u: Unit) -> Unit:
    """The unit without its leading connector ("Pour ce faire, les collectivités…"), and without the
    relevance it lost for leaning on the sentence before, if it no longer does."""
    text = without_connector(u.text)
    if text == u.text:
        return u
    return replace(u, text=text, relevance=u.relevance + ANAPHORA * (opens_alone(text) and not opens_alone(u.text)))


def _elu(units: list[Unit], q: set[str], glossary: dict[str, str], citer: Citer, rewritten: list[bool]) -> list[str]:
    """« En bref »: the 2 plainest relevant sentences that stand alone (up to 4 if room is left), each
    perhaps followed by the sentence of its paragraph that leans on it; then « Pour votre collectivité »:
    2 or 3 sentences or actions about what the collectivity does, must or may do, or items of a list on the
    question's subject. Each is said in plain French (``simplify.plain_sentence``); ``rewritten`` gets, for
    each, whether that changed it. As many as ``ELU_WORDS`` hold once shown."""

    def where(u: Unit) -> tuple[int, int, int]:
        return u.passage, u.block, u.order

    # a sentence that leans on the one before may follow it, as on the page ("… de son offre. Un tel
    # positionnement ne saurait reposer sur…"): the next sentence of the same paragraph, whole
    follows = {where(u): u for u in units if complete_sentence(u.text, ELU_MAX_SENTENCE) and not standalone(u.text)}
    # what a supplier or a reuser does or should do ("Pour une entreprise, il est important de…", "Le candidat
    # décrira…", "Le réutilisateur est tenu de…") is advice for others than the élu, unless the élu asks about them
    suppliers = bool(
        q & {"entrepris", "candidat", "soumissionnair", "fournisseur", "prestatair", "titulair", "reutilis"}
    )
    units = [_unlinked(u) for u in units if suppliers or not _SUPPLIER.match(u.text)]
    # whole sentences that stand on their own, the plain ones if there are enough of them
    pool = [u for u in units if complete_sentence(u.text)] + _clauses(units)
    if len(pool) < ELU_ALONE:  # the passages have long sentences only: those of up to 40 words, rather than none
        pool += [u for u in units if u not in pool and complete_sentence(u.text, ELU_MAX_SENTENCE)]
    pool = pool or [u for u in units if not noun_phrase(u.text)] or units
    alone = [u for u in pool if standalone(u.text)]
    pool = alone if len(alone) >= ELU_ALONE else pool
    short = [u for u in pool if u.words <= ELU_MAX_SENTENCE]
    pool = short if len(short) >= ELU_POOL else pool
    # a bullet may be a noun phrase, as a list's item is ("Formation des agents à la donnée."); « En bref » not
    items = [u for u in units if noun_phrase(u.text) and standalone(u.text) and u.words <= ELU_MAX_SENTENCE]
    # nor a short action ("Viser différents niveaux d'écolabels."), unless the passages hold nothing else
    actions = [u for u in units if u not in pool and infinitive_first(u.text) and standalone(u.text) and u.words >= 3]
    meaning = {id(u): u.relevance for u in pool}
    for u in pool + items + actions:
        u.relevance = _plain_score(u, glossary)
    ranked = _choose(pool + items, float("inf"), float("-inf"), 8)  # plainness may take relevance below zero
    ranked += _choose(actions, float("inf"), float("-inf"), 2, [u.stems for u in ranked])
    # an action ("Organiser des ateliers…") is a bullet: run together, actions read as a list without its marks
    prose = [u for u in ranked if u not in items and not infinitive_first(u.text)]
    if len(prose) < 2:  # actions took the best places: the brief still gets the best sentences left
        more = [u for u in pool if u not in ranked and not infinitive_first(u.text)]
        prose += _choose(more, float("inf"), float("-inf"), 2 - len(prose), [u.stems for u in ranked])
        ranked += [u for u in prose if u not in ranked]
    prose = prose or [u for u in ranked if u not in items]
    # the brief opens on the sentence that answers best, plain or not; plainness chooses the others
    lead = max(prose, key=lambda u: meaning.get(id(u), float("-inf")), default=None)
    prose.sort(key=lambda u: u is not lead)

    def concerns(u: Unit) -> bool:
        # an item of a list on the question's subject ("Objets connectés : fabrication, maintenance…")
        on_subject = u in items and bool(u.stems & q)
        return bool(_COLLECTIVITY.search(u.text) or infinitive_first(u.text) or on_subject)

    def choose(budget: int) -> tuple[list[Unit], list[Unit]]:
        summary = prose[:2]
        words = sum(u.words for u in summary)
        impl: list[Unit] = []
        for u in ranked:
            if u not in summary and len(impl) < 3 and concerns(u) and words + u.words <= budget:
                impl.append(u)
                words += u.words
        for u in ranked:
            if u in summary or u not in prose:
                continue
            if u not in impl and len(summary) < 4 and words + u.words <= budget - 20 * (len(impl) < 2):
                summary.append(u)
                words += u.words
        # what the collectivity must or may do is said under its own label, not in the brief: a sentence
        # of the brief that says it (not its first, the best answer) becomes a bullet while two stay
        for u in summary[1:]:
            if len(impl) < 2 and len(summary) > 2 and concerns(u):
                summary.remove(u)
                impl.append(u)
        for u in list(summary):
            then = follows.get((u.passage, u.block, u.order + 1))
            shown = {where(x) for x in summary + impl}
            if then and len(summary) < 4 and where(then) not in shown and words + then.words <= budget:
                summary.append(then)
                words += then.words
        return sorted(summary, key=where), impl

    def render(summary: list[Unit], impl: list[Unit], mark: Callable[[int], str]) -> list[str]:
        def said(u: Unit) -> str:
            return f"{plain_sentence(end_unit(u.text))} {mark(u.passage)}"

        lines = [f"**{prompts.INTRO_ELU}**", " ".join(said(u) for u in summary)]
        if impl:
            lines += ["", f"**{prompts.IMPLICATIONS}**"]
            lines += [f"- {said(u)}" for u in impl]
        return lines

    # as many sentences as ELU_WORDS hold once shown: labels, plain wording and spelled-out acronyms counted
    for reserve in ELU_RESERVES:
        summary, impl = choose(ELU_WORDS - reserve)
        shown = expand_acronyms("\n".join(render(summary, impl, lambda _: "")), glossary)
        if len(shown.split()) <= ELU_WORDS:
            break
    if not summary:
        return []
    rewritten += [plain_sentence(end_unit(u.text)) != end_unit(u.text) for u in summary + impl]
    return render(summary, impl, citer.mark)


_GOES_ON = B.LINKING_WORDS - {"des", "les", "la", "le", "un", "une"} | {"ou", "d"}  # words no title starts with


def suggestions(
    body: str, cited: list[Passage], neighbour: Neighbour | None, n: int = 3, question: str = ""
) -> list[Suggestion]:
    """Next questions from the section headings of the cited pages and of their neighbours, nearest first
    ("Rédiger le cahier des charges (p. 52)"); never a heading the answer already shows, nor the question
    just asked (a suggestion followed asks its heading: it would be offered again under its own answer)."""
    from assistant.text import fold

    seen = {fold(h) for h in re.findall(r"« ([^»]+) »", body)} | {fold(p.title) for p in cited}
    seen.add(fold(question.strip().rstrip(" ?")))
    seen |= {fold(line.strip("* ")) for line in body.splitlines() if line.startswith("**")}
    out: list[Suggestion] = []
    for distance in (0, 1, -1, 2, -2, *range(3, 13)):  # nearest first, then the next parts of the document
        for p in cited:
            other = p if distance == 0 else neighbour(p.source, p.index + distance) if neighbour else None
            if other is None:
                continue
            heads: list[str] = []
            blocks = passage_blocks(other)
            for j, b in enumerate(blocks):
                if b.kind != B.HEADING or b.level > 3:
                    continue
                if heads and j and blocks[j - 1].kind == B.HEADING and B.heading_goes_on(blocks[j - 1].text, b.text):
                    heads[-1] += f" {b.text}"  # a heading in capitals that the layout broke over two lines
                elif B.in_capitals(b.text) and re.split(r"[\s’']", b.text.lower(), maxsplit=1)[0] in _GOES_ON:
                    continue  # the second line of such a heading whose first line was not kept as one (it
                    # recurs on many pages, so ingestion took it for a running header): "EN FONCTION DE…"
                else:
                    heads.append(b.text)
            for h in [*heads, other.section]:
                text = label(h)
                if not text or len(text.split()) < 2 or fold(text) in seen or B.non_advice(text) == "question":
                    continue
                seen.add(fold(text))
                out.append(Suggestion(f"{text} ({other.pages_label})", text, other.source))
                if len(out) == n:
                    return out
    return out


def further_reading(cited: list[Passage]) -> str:
    """One line per citation: its number, document, pages and section (the app shows cards instead)."""
    lines = [prompts.FURTHER]
    for n, p in enumerate(cited, 1):
        section = f" — {p.section}" if p.section and p.section != p.title else ""
        lines.append(f"- [{n}] {p.title} ({p.source}), {p.pages_label}{section}")
    return "\n".join(lines)


def _candidates(
    question: str,
    passages: list[Passage],
    per_passage: list[list[B.Block]],
    neighbour: Neighbour | None,
    lists: bool = True,
) -> tuple[set[str], list[Unit], list[Procedure]]:
    """The question's stems, and what may be quoted for it: units and (``lists``) lists. A list that goes on
    in the next chunk appends that chunk to ``passages`` and ``per_passage`` (never without ``neighbour``)."""
    q = _question_stems(question)
    definitions = asks_definition(question)
    units = _units(passages, per_passage, q, definitions)
    procs = _procedures(passages, per_passage, q, neighbour, definitions) if lists else []
    return q, units, procs


def extractive_answer(
    question: str,
    passages: list[Passage],
    mode: str,
    glossary: dict[str, str],
    query_vector: list[float] | None = None,
    neighbour: Neighbour | None = None,
    embed: Embed | None = None,
) -> Answer | None:
    """The composed extractive answer, with its next questions, or None when nothing can be quoted."""
    from assistant.screening import acronym_note, expand_acronyms

    passages = list(passages)  # a list that goes on in the next chunk brings that chunk in
    per_passage = [passage_blocks(p) for p in passages]
    q, units, procs = _candidates(question, passages, per_passage, neighbour, lists=mode == "agent")
    rank_by_meaning(units, procs, passages, [len(b) for b in per_passage], query_vector, embed)
    asks_how = is_procedure_question(question) or wants_list(question)
    outline = _outline(question, passages, per_passage, neighbour) if mode == "agent" and asks_how else None
    citer = Citer(passages)
    rewritten: list[bool] = []
    lines = (
        _elu(units, q, glossary, citer, rewritten)
        if mode == "elu"
        else _agent(question, passages, per_passage, units, procs, citer, outline)
    )
    if not lines or not citer.keys:
        return None
    body = "\n".join(markdown_blocks(lines))
    if mode == "elu":
        body = expand_acronyms(body, glossary)
    # an agent's steps stay as printed: the acronyms they use are spelled out under them
    note = acronym_note(body, glossary) if mode == "agent" else ""
    cited = citer.cited
    text = "\n\n".join(part for part in (body, note, further_reading(cited)) if part)
    return Answer(
        text,
        mode,
        "extractive",
        False,
        cited,
        notice(sum(rewritten)),
        question,
        suggestions(body, cited, neighbour, question=question),
    )


def candidate_texts(question: str, passages: list[Passage]) -> list[str]:
    """Every piece the composer may quote for ``question``, before any ranking: the sentences and items
    that stand alone, and the lists whole (lead-in and items). ``evals.ceilings`` reads it."""
    _, units, procs = _candidates(question, passages, [passage_blocks(p) for p in passages], None)
    return [u.text for u in units] + [f"{pr.lead} {' '.join(t for t, _ in pr.items)}".strip() for pr in procs]
