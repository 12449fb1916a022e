"""Typed blocks of a passage: headings, paragraphs, lists, table cells, questionnaire items, contents
lines, running headers, cross-references and banners.

Ingestion types the blocks of each chunk once, with what it knows of the whole document (lines that run
on many pages), and stores them with the chunk as spans (``encode``/``decode``). The composer works from
these blocks; ``non_advice`` is the guard that keeps what is not advice out of an answer, and the
checker that the evaluation applies to every answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from assistant.plain import says_what_to_do, verbs

# kinds of block; only the first four can carry advice
PARAGRAPH, LEAD, ITEM, HEADING = "paragraph", "lead", "item", "heading"
TABLE, QUESTION, TOC, RUNNING, XREF, BANNER = "table", "question", "toc", "running", "xref", "banner"
KINDS = (PARAGRAPH, LEAD, ITEM, HEADING, TABLE, QUESTION, TOC, RUNNING, XREF, BANNER)
LABEL_WORDS = 6  # a unit this short without a verb or a determiner first is a label or a title, not advice
_DETERMINER = re.compile(
    r"(?:\d|(?:un|une|des|le|la|les|l['’]|du|de la|ce|cet|cette|ces|chaque|son|sa|ses|leurs?|notre|nos|votre|vos)\b)",
    re.IGNORECASE,
)  # "Un atelier de sensibilisation avec l'INR.", "800 entreprises inscrites.": an item of a list, not a label
WRAP_MIN_WORDS = 7  # a line of this many words without a sentence end goes on at the next line


@dataclass(frozen=True)
class Block:
    """One block of a passage: ``text`` is ``source_text[start:end]`` with its marker and wraps removed.

    ``level``: heading depth (1 = chapter); ``group``: blocks of one list (its lead-in and items) share it.
    """

    kind: str
    start: int
    end: int
    text: str
    level: int = 0
    group: int = -1


# --------------------------------------------------------------------------- line patterns

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED = re.compile(r"^\s*((?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,3})\.?\s+(?=[A-ZÀ-Ý«\"“])")
_DEEP_NUMBER = re.compile(r"^\s*((?:\d{1,2}|[A-Z])(?:\.\d{1,2}){1,3})\.?\s+[A-ZÀ-Ý]")
_ROMAN = re.compile(r"^\s*[IVX]{1,4}\.\s+[A-ZÀ-Ý]")
# a division of a law, a convention or an annex ("Chapitre 3 : Favoriser…", "Article 2 : Obligations…"); not a
# step ("Étape 1 : recueil des besoins"), which is the procedure itself
_DIVISION = re.compile(
    r"^\s*(?:(?P<major>chapitre|titre|partie|livre)|article|section|annexe)\s+(?:\d{1,2}(?:er)?|[IVX]{1,4}|premier)"
    r"\s*[:–—-]\s+\S",
    re.IGNORECASE,
)
# the start of a list item in a document: a bullet sign, "1." "1)" "(1)" "1°", or "a)" to "h)"
_LETTERED = re.compile(r"^\s*[a-h]\)\s+")
BULLET = re.compile(r"^\s*(?:[-−•▪●◦*–—➢►✓→‣■□❖◾]|\(?\d{1,2}[.)°]|[a-h][.)])\s+")
THRESHOLD = re.compile(r"(?:^|\s)[<>≤≥]\s?\d")  # a row of a table of amounts: "≤ 100 000 € HT 150 heures"
_NUMBERED_ITEM = re.compile(r"^\s*\(?\d{1,2}[.)°]\s+")
_ARROW = re.compile(r"^\s*[→➢►]\s*")
_TOC_LINE = re.compile(r"^(?!\d{1,3}$).{3,110}?(?:\s…\s*|\s)(\d{1,3})$")
TOC_TITLE = re.compile(r"^(table des mati[èe]res|sommaire|contents)$", re.IGNORECASE)
_RUNNING = re.compile(r"^[A-ZÀ-Ý0-9'’ ,.&-]{6,}\s\|\s.{2,}$")  # "GUIDE ACHATS NUMÉRIQUE RESPONSABLE | EQUIPE PROJET"
_XREF = re.compile(
    r"^(?:[→➢►]\s*)?(?:voir(?: aussi| livrable| le| la| les| l['’])?\b|cf\.?\s|pour en savoir plus|en savoir plus|"
    r"plus d['’]informations?|sources?\s*:|r[ée]f[ée]rences?\s*:|lien\s*:|https?://\S+$|www\.\S+$)",
    re.IGNORECASE,
)
_BANNER = re.compile(
    r"d[ée]couvrez (?:nos|notre|le|la|les)|nouveaux? guides?|nouvelle version (?:b[êe]ta|beta)|abonnez-vous|"
    r"suivez-nous|inscrivez-vous à (?:la|notre) (?:newsletter|lettre)|t[ée]l[ée]chargez (?:notre|le) (?:guide|livre)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"\bX{2,}\b|\bX\.\d|\.\.\.\s*%|…\s*%|\[\s*(?:…|\.\.\.|à compléter|a completer)\s*\]|_{3,}|"
    r"<(?!/?(?:script|img|a|p|div|span|br|b|i|iframe|style)\b)[^<>=/]{2,30}>|"
    r"\bà compl[ée]ter\b|\bnom de la collectivit[ée]\b\s*\]|"
    r"\boui\s*/\s*non\b|\bsi oui,?\s+(?:indiquer|indiquez|pr[ée]ciser|pr[ée]cisez)\b",  # a form's answer boxes
    re.IGNORECASE,
)
# a sample written in the first person for the reader to adapt, as the national consultation's guide gives
# them ("Exemple : Ma collectivité a mis en place une plateforme…"), or a contributor's own voice (a form's
# column header or pledge: "Je recherche un financement pour…", "Je m'impliquerai personnellement…");
# not the guide's own how-to ("en cliquant…")
_SAMPLE = re.compile(
    r"\b(?:ma (?:commune|collectivit[ée]|ville|mairie)|mon (?:territoire|intercommunalit[ée]))\b|^(?:je\b|j['’]\w)",
    re.IGNORECASE,
)
_ROW_LABEL = re.compile(r"^[A-ZÀ-Ý][\w'’-]+(?: [\w'’-]+)? / [A-ZÀ-Ý]")
_CAPTION = re.compile(r"^(?:figure|fig\.|tableau|illustration|sch[ée]ma|graphique)\s*\d+\s*[–:.-]", re.IGNORECASE)
_ANNOUNCE = re.compile(
    r"^(?:ci-dessous|ci-apr[èe]s)\b|\bvoici\b|\b(?:les|des|plusieurs) [ée]tapes (?:suivantes|ci-dessous)\b", re.I
)
# leading pictograms and Markdown admonition marks: "💡 Au-delà du sujet…", ":::warning Séparateurs…"
_PICTOGRAM = re.compile(r"^(?:[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\s]|:::[a-z]*)+")
_INVERSION = re.compile(r"\b[a-zà-ÿ]{2,}-(?:t-)?(?:il|elle|ils|elles|on|vous|nous)\b(?!-)|\best-ce\b", re.IGNORECASE)
_CONTINUATION = re.compile(r"^(?:de\s+|d['’]\s*)[a-zà-ÿ]+(?:er|ir|re)\b", re.IGNORECASE)  # not "Demander…"
_SENTENCE_END = (".", "!", "?", "…", ";", ":", "»", ")", '"', "”")


# a good practice's title with its code glued at the end, as the guide's PDF gives it
# ("Optimiser la gestion du parc des équipementsf.1"): the title of that practice's page
SHEET_TITLE = re.compile(r"^(?P<title>[A-ZÀ-Ý][^.!?:;]{5,90}?[a-zà-ÿ])(?P<code>[a-h]\.\d{1,2})$")


def heading_level(line: str) -> int:
    """The depth of the heading a line stands for (1 = chapter), or 0 if it is not one.

    Markdown '#', numbered titles ("4.1.2 Quand…"), short lines in capitals, "→ CAPITALS" labels.
    """
    s = line.strip()
    m = _MD_HEADING.match(s)
    if m:
        return len(m.group(1))
    if SHEET_TITLE.match(s):
        return 3
    if _ARROW.match(s):
        rest = _ARROW.sub("", s)
        if sum(c.isalpha() for c in rest) >= 5 and upper_share(rest) > CAPITALS and len(rest) <= 90:
            return 3
        return 0
    m = _DIVISION.match(s)
    if m and len(s) <= 110 and not _ends_sentence(s):
        return 2 if m.group("major") else 3
    if _DEEP_NUMBER.match(s) and len(s) <= 140 and (not _ends_sentence(s) or s.endswith(")")):
        return min(_DEEP_NUMBER.match(s).group(1).count(".") + 1, 4)  # "X.1.1 Fiabilité et transparence…"
    if not s[:1].isalnum() or not (3 <= len(s) <= 90) or s.count(" ") > 12:
        return 0
    if BULLET.match(s) and not _NUMBERED.match(s):
        return 0
    if s[-1] in ".,;:!»" or s[-1] == ")" and upper_share(s) <= CAPITALS:
        return 0
    letters = [c for c in s if c.isalpha()]
    if len(letters) < 3:
        return 0
    m = _NUMBERED.match(s) or _ROMAN.match(s)
    if m:
        depth = m.group(1).count(".") + 1 if _NUMBERED.match(s) else 1
        return min(depth, 4)
    if s.endswith("?"):
        return 0
    return 2 if upper_share(s) > CAPITALS and len(letters) >= 5 else 0


def upper_share(s: str) -> float:
    letters = [c for c in s if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


CAPITALS = 0.8  # share of capitals in the letters of a heading printed in capitals
LINKING_WORDS = frozenset(("de", "du", "des", "d’un", "d’une", "d'un", "d'une", "la", "le", "les", "et", "ou", "à"))
LINKING_WORDS |= {"au", "aux", "en", "un", "une", "pour", "sur", "vers", "dans", "par", "avec", "sans", "afin"}


def in_capitals(line: str) -> bool:
    """Is the line printed in capitals (more than ``CAPITALS`` of its letters)?"""
    return sum(c.isalpha() for c in line) >= 2 and upper_share(line) > CAPITALS


def ends_on_linking_word(line: str) -> bool:
    """Does the line stop on a word that needs the next one ("Audit initial d’un service de")?"""
    words = line.split()
    return bool(words) and words[-1].lower() in LINKING_WORDS


def heading_goes_on(previous: str, line: str) -> bool:
    """Is ``line``, in capitals, the next line of a heading in capitals that the layout broke ("LA DIRECTION
    DES ACHATS" / "DE L’ÉTAT", "MINISTÈRE" / "DE LA TRANSITION" / "ÉCOLOGIQUE")? It is when the line before is
    in capitals too, ends no sentence, is not the running header, and one of them shows the break: the
    line starts with a linking word, is a single word, or the line before ends with a linking word."""
    prev = previous.strip()
    if not (in_capitals(line) and in_capitals(prev)) or prev[-1:] in ".:;!?" or non_advice(prev) == "running":
        return False
    first = re.split(r"[\s’']", line.lower(), maxsplit=1)[0]
    return first in LINKING_WORDS or first == "d" or len(line.split()) == 1 or ends_on_linking_word(prev)


def toc_like(line: str) -> bool:
    """A title followed by a page number ("Que prévoit la loi ? 20"), not a sentence ending in a number."""
    m = _TOC_LINE.match(line)
    return bool(m) and not line[: m.start(1)].rstrip(" …").endswith((".", ",", ";", ":")) and len(line.split()) <= 16


def _is_short_label(line: str) -> bool:
    """A short line that names what follows ("Mise en œuvre"); not one cut after a linking word ("Soit en
    impact annuel d'Émissions de"), which goes on at the next line."""
    short = len(line) <= 50 and len(line.split()) <= 6 and line[:1].isupper()
    return short and not _ends_sentence(line) and not ends_on_linking_word(line)


def _is_label(line: str) -> bool:
    """A row label of a grid: one to three words, or "Culture / Tourisme" before its cell."""
    return (len(line.split()) <= 3 and not _ends_sentence(line) and line[:1].isupper()) or bool(_ROW_LABEL.match(line))


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith(_SENTENCE_END)


def _is_cell(line: str) -> bool:
    """A short fragment of a table: no sentence end, few words ("Moyen de", "preuve", "AUTRE")."""
    s = line.strip()
    return len(s) <= 40 and not _ends_sentence(s) and len(s.split()) <= 5 and not BULLET.match(s)


# --------------------------------------------------------------------------- parsing


# a form field's label printed beside the sentence that defines it, which names it again early on:
# "Mots clés Les mots clés caractérisent…", "Sigle Vous avez la possibilité d'apposer un sigle…"
_GLUED_LABEL = re.compile(
    r"^(?!(?:Les?|La|L['’]|Une?|Des)\b)([A-ZÀ-Ý][\w’'-]*(?: [\w’'-]+){0,3})\*? "
    r"(?=(?:Les?|La|Une?|Des|Vous|Ce|Cet|Cette|Il|Elle) |L['’])"
)


def _glued_label(s: str) -> int:
    """Length of the label glued before its defining sentence, or 0."""
    from assistant.text import fold

    m = _GLUED_LABEL.match(s)
    if not m or upper_share(m.group(1)) > CAPITALS:
        return 0
    opening = " ".join(s[m.end() :].split()[:10])
    return m.end() - 1 if re.search(rf"\b{re.escape(fold(m.group(1)))}", fold(opening)) else 0


# an admonition's title run into its first sentence (":::warning Séparateurs décimaux Dans un fichier CSV…")
_ADMONITION = re.compile(
    r"^:::[a-z]*\s+([A-ZÀ-Ý][^.!?:;]{2,60}?)\s+(?=(?:Dans|Le|La|Les|L['’]|Un|Une|Des|Si|Pour|En|Il|Elle|Ce|Cet|Cette|"
    r"Ces|Chaque|Tout|Toute|Vous|On|Nous)\s)"
)


def _lines(text: str) -> list[tuple[int, int, str]]:
    out, pos = [], 0
    for raw in text.split("\n"):
        s = raw.strip()
        if s:
            start = pos + raw.index(s[0])
            if m := _ADMONITION.match(s):  # its title is a line of its own; its mark is no text
                out.append((start + m.start(1), start + m.end(1), m.group(1)))
                start, s = start + m.end(), s[m.end() :]
            cut = _glued_label(s)
            if cut:
                out.append((start, start + cut, s[:cut]))
                start, s = start + cut + 1, s[cut + 1 :]
            out.append((start, start + len(s), s))
        pos += len(raw) + 1
    return out


def _classify(s: str, running: frozenset[str]) -> tuple[str, int]:
    from assistant.text import fold

    key = fold(s).strip()
    if s[:1].islower() and not BULLET.match(s):
        return PARAGRAPH, 0  # the rest of a wrapped line ("âgés de 5 ans ou plus ?")
    if key in running or _RUNNING.match(s):
        return RUNNING, 0
    if TOC_TITLE.match(s.strip("# ")):
        return TOC, 0
    if _BANNER.search(s) and len(s) <= 120:
        return BANNER, 0
    if _XREF.match(s):
        return XREF, 0
    level = heading_level(s)
    if level:
        return HEADING, level
    if _CAPTION.match(s):
        return HEADING, 4  # "FIGURE 2 – Création d'une organisation": a caption labels, it does not advise
    if s.endswith("?"):
        # a short question followed by its answer is a heading; a questionnaire item is a question
        return QUESTION, 0
    if BULLET.match(s):
        return ITEM, 0
    return PARAGRAPH, 0


def parse_blocks(text: str, running: frozenset[str] = frozenset()) -> list[Block]:
    """The typed blocks of a passage's text, in order.

    ``running``: accent-folded lines that ingestion found on many pages of the document (running
    headers or footers that survived cleaning).
    """
    lines = _lines(text)
    kinds = [_classify(s, running) for _, _, s in lines]
    # contents: a run of 3+ lines ending with a page number, or any such line after "Sommaire"
    toc_page = any(k == TOC for k, _ in kinds)
    tocs = [toc_like(s) for _, _, s in lines]
    for i, flag in enumerate(tocs):
        run = sum(tocs[j] for j in range(max(0, i - 2), min(len(lines), i + 3)))
        if flag and (toc_page or run >= 3):
            kinds[i] = (TOC, 0)
    # tables: runs of 3+ short fragments, and the lines they enclose
    cells = [k == PARAGRAPH and _is_cell(s) for (k, _), (_, _, s) in zip(kinds, lines, strict=True)]
    i = 0
    while i < len(lines):
        if not cells[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and (cells[j] or (j + 1 < len(lines) and cells[j + 1] and kinds[j][0] != HEADING)):
            j += 1
        if sum(cells[i:j]) >= 3:
            for m in range(i, j):
                if kinds[m][0] in (PARAGRAPH, QUESTION, ITEM):
                    kinds[m] = (TABLE if kinds[m][0] != QUESTION else QUESTION, 0)
        i = max(j, i + 1)
    # a grid of labels and sentences ("Citoyenneté", "Démocratie participative", then a need and a service)
    labels = [k == PARAGRAPH and _is_label(s) for (k, _), (_, _, s) in zip(kinds, lines, strict=True)]
    if sum(labels) >= 4:
        first, last = labels.index(True), len(labels) - 1 - labels[::-1].index(True)
        for m in range(first, last + 1):
            if kinds[m][0] == PARAGRAPH:
                kinds[m] = (TABLE, 0)
    # a short label line before its text is a heading ("Objectif", "Mise en œuvre", "Moyen de test")
    for n, ((k, _), (_, _, s)) in enumerate(zip(kinds, lines, strict=True)):
        nxt = kinds[n + 1][0] if n + 1 < len(kinds) else None
        nxt_line = lines[n + 1][2] if nxt else ""
        text_follows = not _is_short_label(nxt_line) and not nxt_line[:1].islower()
        before_text = text_follows and (nxt in (PARAGRAPH, LEAD, ITEM) or bool(_DIVISION.match(nxt_line)))
        if k == PARAGRAPH and _is_short_label(s) and before_text:
            kinds[n] = (HEADING, 4)
        # a part lettered like an item ("e) Aspects financiers", then its text), not in a lettered list: the
        # heading of what follows, not one more item of the list before it
        lettered = _LETTERED.match(s)
        title = s[lettered.end() :] if lettered and not (n > 0 and _LETTERED.match(lines[n - 1][2])) else ""
        if k == ITEM and title and _is_short_label(title) and nxt in (PARAGRAPH, LEAD):
            kinds[n] = (HEADING, 4)
    # a short question followed by a paragraph is a heading ("Quelle solution avons-nous trouvée ?")
    for n, ((k, _), (_, _, s)) in enumerate(zip(kinds, lines, strict=True)):
        nxt = kinds[n + 1][0] if n + 1 < len(kinds) else None
        if k == QUESTION and len(s) <= 80 and nxt in (PARAGRAPH, LEAD, ITEM) and not _is_questionnaire_line(s):
            kinds[n] = (HEADING, 3)

    blocks: list[Block] = []
    group = -1
    open_list = False  # the last block is a lead-in or an item of an open list
    unmarked = False  # items of the open list carry no marker (they follow a lead-in ending with ':')
    for (start, end, s), (kind, level) in zip(lines, kinds, strict=True):
        prev = blocks[-1] if blocks else None
        if kind == PARAGRAPH and prev and prev.kind in (PARAGRAPH, ITEM, LEAD) and _wraps(prev, s):
            blocks[-1] = _extend(prev, text, end)  # a wrapped line goes on the previous block
            if blocks[-1].text.endswith(":") and blocks[-1].kind == PARAGRAPH:
                group += 1
                blocks[-1] = _retype(blocks[-1], LEAD, group)
                open_list, unmarked = True, True
            continue
        if kind == ITEM:
            if not open_list or (prev and prev.kind == ITEM and prev.text.endswith(":")):
                group += 1  # a new list; an item ending with ':' leads the sub-list that follows it
                if prev and prev.kind in (PARAGRAPH, ITEM) and (prev.text.endswith(":") or _ANNOUNCE.search(prev.text)):
                    blocks[-1] = _retype(prev, LEAD, group)  # "…, voici la démarche à suivre." leads its list
            open_list, unmarked = True, False
            blocks.append(Block(ITEM, start, end, BULLET.sub("", s).strip(), 0, group))
            continue
        if kind == PARAGRAPH and open_list and unmarked and _next_item(blocks, group, s):
            blocks.append(Block(ITEM, start, end, s, 0, group))  # an unmarked item after "…suivantes :"
            continue
        if kind == PARAGRAPH and s.endswith(":"):
            group += 1
            blocks.append(Block(LEAD, start, end, s, 0, group))
            open_list, unmarked = True, True
            continue
        open_list = False
        blocks.append(Block(kind, start, end, _ARROW.sub("", s) if kind == HEADING else s, level))
    # a list item that is a question is a questionnaire item; every text as ``decode`` gives it back
    out = []
    for b in blocks:
        kind, group = (QUESTION, -1) if b.kind == ITEM and b.text.endswith("?") else (b.kind, b.group)
        out.append(Block(kind, b.start, b.end, _block_text(kind, text[b.start : b.end]), b.level, group))
    return out


def _is_questionnaire_line(s: str) -> bool:
    return "(s)" in s or bool(re.search(r"\b(candidat|soumissionnaire|titulaire|fournisseur)s?\b", s, re.I))


def _next_item(blocks: list[Block], group: int, line: str) -> bool:
    """Does ``line`` go on an unmarked list (items under a lead-in ending with ':')?"""
    items = [b.text for b in blocks if b.group == group and b.kind == ITEM]
    if items and items[0][:1].islower() and line[:1].isupper():
        return False  # items that go on the lead-in's sentence ("…de l'administration :" / "tout équipement…;")
    clause = line[:1].islower() and (not items or items[-1].endswith(";"))  # end with a sentence: however long
    if (len(line) > 220 and not clause) or len(items) >= 15:
        return False
    if not items or not items[-1].endswith("."):
        return True
    return len(line) <= 1.5 * max(len(t) for t in items) + 30  # "Une longue durée d'utilisation." and its siblings


def _wraps(prev: Block, line: str) -> bool:
    """Is ``line`` the rest of ``prev`` (a line wrapped in the middle of a sentence)?"""
    previous = prev.text
    if line.startswith(":::"):
        return False  # a Markdown admonition (":::warning …") opens a block of its own
    if prev.kind in (ITEM, LEAD) and line[:1].isupper() or previous.endswith(":") and line[:1] not in ":;,)":
        return False  # the next item of a list, or the first one after its lead-in
    if line[:1] in ":;,)" or (line[:1].islower() and not previous.endswith((".", "!", "?", ";"))):
        return True
    if ends_on_linking_word(previous) and not BULLET.match(line):
        return True  # "Soit en impact annuel d'Émissions de" / "Gaz à Effet de Serre…"
    if THRESHOLD.match(line) and THRESHOLD.search(previous):
        return True  # the next row of a table of thresholds ("> 100 000 € HT et ≤ 200 000 € HT 300 heures")
    # a sentence cut in the middle of a name ("…le Ministère de la Transition" / "Ecologique recommande…"):
    # long lines, or lines of many words, are not headings
    long = len(previous) > 60 or len(previous.split()) >= WRAP_MIN_WORDS
    return not _ends_sentence(previous) and long and not _is_cell(line)


def _extend(b: Block, text: str, end: int) -> Block:
    joined = re.sub(r"\s+", " ", text[b.start : end]).strip()
    body = BULLET.sub("", joined) if b.kind == ITEM else joined
    kind = QUESTION if b.kind == PARAGRAPH and body.endswith("?") else b.kind
    return Block(kind, b.start, end, body, b.level, b.group)


def _retype(b: Block, kind: str, group: int) -> Block:
    return Block(kind, b.start, b.end, b.text, b.level, group)


# --------------------------------------------------------------------------- storage with the chunk


def encode(blocks: list[Block]) -> str:
    """Compact JSON of the blocks' spans, stored in the chunk's metadata."""
    return json.dumps([[KINDS.index(b.kind), b.start, b.end, b.level, b.group] for b in blocks], separators=(",", ":"))


def decode(text: str, spans: str) -> list[Block]:
    """The blocks of a stored chunk; a chunk stored without them is parsed now."""
    if not spans:
        return parse_blocks(text)
    return [
        Block(KINDS[k], start, end, _block_text(KINDS[k], text[start:end]), level, group)
        for k, start, end, level, group in json.loads(spans)
    ]


def _block_text(kind: str, raw: str) -> str:
    """A block's text: one line, without its list marker, its heading marks, wraps or leading pictograms."""
    body = _PICTOGRAM.sub("", re.sub(r"\s+", " ", raw).strip())
    if kind in (ITEM, LEAD):
        body = BULLET.sub("", body)
    elif kind == HEADING:
        m = _MD_HEADING.match(body)
        body = m.group(2).strip() if m else _ARROW.sub("", body)
    return body


VECTOR_DIM = 256  # block vectors keep the first 256 of EmbeddingGemma's 768 dimensions (Matryoshka), in float16


def pack_vectors(vectors: list[list[float]], dim: int = VECTOR_DIM) -> str:
    """Vectors as stored with the chunk: truncated to ``dim``, renormalised, float16, base64."""
    import base64

    import numpy as np

    if not vectors:
        return ""
    a = np.asarray(vectors, dtype=np.float32)[:, :dim]
    a /= np.linalg.norm(a, axis=1, keepdims=True).clip(1e-9)
    return f"{a.shape[1]}:" + base64.b64encode(a.astype(np.float16).tobytes()).decode()


def unpack_vectors(packed: str):  # noqa: ANN201 - numpy array (blocks x dim), or None
    import base64

    import numpy as np

    if not packed:
        return None
    dim, data = packed.split(":", 1)
    return np.frombuffer(base64.b64decode(data), dtype=np.float16).astype(np.float32).reshape(-1, int(dim))


def query_for_blocks(vector: list[float], dim: int):  # noqa: ANN201 - numpy array (dim,)
    """The question's vector cut to the blocks' dimensions and renormalised."""
    import numpy as np

    q = np.asarray(vector[:dim], dtype=np.float32)
    return q / max(float(np.linalg.norm(q)), 1e-9)


# --------------------------------------------------------------------------- what is not advice


def _cut_quote(s: str) -> bool:
    """A quotation opened or closed outside the unit (the sentence split inside a testimonial)."""
    return any(s.count(closing) != s.count(opening) for opening, closing in (("«", "»"), ("“", "”")))


# a person's name (2 to 4 capitalised words) then their organisation, and nothing else: a quotation's signature
_ATTRIBUTION = re.compile(
    r"^(?:[A-ZÀ-Ý][\w’'-]+\s+){1,3}[A-ZÀ-Ý][\w’'-]+\s*[,–—]\s*"
    r"[A-ZÀ-Ý0-9][\w’'&-]*(?:\s+(?:[A-ZÀ-Ý0-9][\w’'&-]*|de|du|des|la|le|et|[ld]’[\w-]+))*$"
)


# a sentence that points at a link the answer cannot show ("… sont documentés sur cette page.", "… est
# disponible ici."), or a document's own version and licence line
_POINTER = re.compile(
    r"\b(?:(?:est|sont) disponibles? ici|(?:documenté|présenté|décrit|détaillé|recensé)e?s? sur cette page|"
    r"publiée? sous licence)\b",
    re.IGNORECASE,
)
# a glossary's line: an acronym, a colon, then what it stands for ("CCAP : cahier des clauses administratives
# particulières, un document…", "AO : Appel d'Offre", "AGEC : Loi n° 2020-105 … dites « loi AGEC »")
_DEFINED = re.compile(r"^([A-Z][A-Z0-9&]{1,9})s?\s*:\s+(\S.*)$", re.DOTALL)
_JOINING = {"de", "des", "du", "la", "le", "les", "l", "d", "et", "en", "à", "au", "aux", "pour", "sur", "un", "une"}


def definition(s: str) -> bool:
    """A glossary line: what an acronym stands for, not something to do. The acronym's letters are the
    initials of the next words, in order (words may be skipped), or the definition names it again."""
    m = _DEFINED.match(s.strip())
    if not m or m.group(1) in {"NB", "PS"}:
        return False
    acro, tail = m.groups()
    if re.search(rf"\b{acro}\b", tail):
        return True
    words = [w for w in re.findall(r"[^\W\d_]+", tail) if w.lower() not in _JOINING][: len(acro) + 3]
    letters = iter(w[0].upper() for w in words)
    return all(c in letters for c in acro if c.isalpha())


_LINK = re.compile(r"\(?\s*https?://\S+?\s*\)?(?=[\s,.;:]|$)")


def _resource_link(s: str) -> bool:
    """A resource named with its web address ("NumEcoDiag (https://…) : diagnostic RGESN", "Sobriété éditoriale
    (https://…), Ferreole Lespinasse"): where to read more, not something to do. Ten words at most besides the
    address, and not opening with a verb in the infinitive ("Intégrer le RGESN (https://…) comme clause…")."""
    if not _LINK.search(s):
        return False
    rest = _LINK.sub(" ", s).split()
    return len(rest) <= 10 and not (rest and re.fullmatch(r"[A-ZÉ]?[a-zéèêàâîôûç]+(?:er|ir|re)", rest[0]))


_QUESTION_END = re.compile(r"\?[\d.\s]*$")


def non_advice(unit: str, in_list: bool = False) -> str | None:
    """Why a unit shown as advice (a step, a bullet, a sentence) is not advice, or None if it may be.

    The classes of the issue: a heading, a question, a contents line, a placeholder, a banner, a
    cross-reference, a table cell without its header, a running header, a fragment. ``in_list``: the
    unit is an item quoted under its list's lead-in, which it may continue ("de publier des données ;").
    """
    s = re.sub(r"\s*\[\d{1,3}\]", "", unit).strip().rstrip(" .").strip()
    s = re.sub(r"\s*\[…\]$", "", s)
    if not s:
        return "fragment"
    words = s.split()
    if _RUNNING.match(s):
        return "running"
    if toc_like(s) and len(words) <= 14:
        return "toc"
    if _PLACEHOLDER.search(s):
        return "placeholder"
    if _BANNER.search(s):
        return "banner"
    if _XREF.match(s) or _resource_link(s) or _POINTER.search(s):
        return "xref"
    if (
        _QUESTION_END.search(s)  # "… ses cibles utilisatrices ?1.2." (the next criterion's number glued on)
        or "? " in s
        or _INVERSION.search(s)
        or _is_questionnaire_line(s)
        and re.search(r"^(quel|pr[ée]cis)", s, re.I)
    ):
        return "question"  # "Emballages, transport ? si oui…", "Votre entreprise prend-elle en considération…"
    if (
        heading_level(s)
        or (heading_level(unit.strip().rstrip(" .").strip()) or upper_share(s) > CAPITALS)
        and len(words) <= 15
    ):
        return "heading"  # "LES ÉQUIPEMENTS RECONDITIONNÉS.", "OU CAHIER DES CLAUSES PARTICULIèRES (CCP)"
    if _ROW_LABEL.match(s):
        return "table"  # "Culture / Tourisme Les habitants…": a row label glued to its cell
    if _SAMPLE.search(s) and not re.search(r"\ben cliquant\b", s, re.I):
        return "placeholder"  # "Exemple : Ma collectivité a mis en place…": a sample to adapt, not advice
    if _ANNOUNCE.search(s):
        return "fragment"  # "Voici les étapes pour publier.": an announcement of what follows, not advice
    if _cut_quote(s):
        return "fragment"  # "…en commun » Cédric Grenet, Caux Seine Agglomération.": a testimonial's tail
    if _ATTRIBUTION.match(s):
        return "fragment"  # "Jean Marc Deshayes, Caux Seine Agglomération.": who said the quotation before it
    if not in_list and _CONTINUATION.match(s):
        return "fragment"  # "De faire labelliser son produit.": the end of a lead-in's sentence
    if in_list:
        return "fragment" if len(words) < 2 or s.endswith(":") else None
    if len(words) < 4 or s[:1].islower() or s[:1] in "([" or s.endswith((":", ";", ",", " et", " ou", " de")):
        return "fragment"
    if len(words) <= LABEL_WORDS and not verbs(s) and not says_what_to_do(s) and not _DETERMINER.match(s):
        return "fragment"  # "Moyen de test ou de contrôle.": a practice sheet's field label, a title, a reference
    return None
