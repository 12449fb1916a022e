"""Text cleaning for extracted pages: characters, hyphenation, running headers/footers, spacing, garbage detection."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from assistant.types import Page


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- Rule 1: characters --------------------------------------------------------------------------

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
# Odd spaces (NBSP, narrow NBSP, en/em/thin spaces, ideographic) become plain spaces; zero-width ones vanish.
_SPACES = str.maketrans(
    dict.fromkeys(
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\f\v", " "
    )
)
_ZERO_WIDTH = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\x00", ""))
# Control characters other than newline never carry meaning in extracted text.
_CONTROL_RE = re.compile(r"[\x01-\x08\x0b-\x1f\x7f]")
# Symbol/Wingdings fonts put bullets in the private use area (U+F0A7, U+F06C, U+F0B7...).
_PRIVATE_BULLET_AT_START_RE = re.compile(r"(?m)^([ ]*)[\ue000-\uf8ff]+[ ]*")
_PRIVATE_USE_RE = re.compile(r"[\ue000-\uf8ff]")
# Table-of-contents leaders (". . . . . 12") are pure noise for retrieval.
_LEADERS_RE = re.compile(r"[ ]*(?:\.[ ]?){4,}[ ]*")


def normalize_chars(text: str) -> str:
    """Ligatures to letters, odd spaces to spaces, soft/non-breaking hyphens resolved, control chars dropped."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.translate(_LIGATURES).translate(_SPACES).translate(_ZERO_WIDTH)
    # PDFium marks a hyphen it removed at a line break with U+FFFE and drops the newline; restore the
    # line break so the hyphenation rule below decides like it does for pypdf text.
    text = text.replace("\ufffe", "-\n")
    # A soft hyphen only shows at a line break: there it is a hyphenation point, elsewhere it is invisible.
    text = re.sub(r"\u00ad[ ]*\n", "-\n", text).replace("\u00ad", "")
    # U+2011 is what the etalab PDFs use for every hyphen, including line-end ones.
    text = text.replace("\u2011", "-")
    text = _CONTROL_RE.sub("", text)
    text = _PRIVATE_BULLET_AT_START_RE.sub(r"\1• ", text)
    text = _PRIVATE_USE_RE.sub("", text)
    return _LEADERS_RE.sub(" … ", text)


# --- Rule 2: hyphenation ------------------------------------------------------------------------


_LETTERS = r"[^\W\d_]"
_WORD_RE = re.compile(rf"{_LETTERS}+(?:-{_LETTERS}+)*")
# The cut word, its second half, what sticks to it ("-France", ".", ","), and the end of that line if it
# ends there: the whole word moves up to the first line so line lengths (and reflow) stay meaningful.
# Anchored at a word's start: unanchored, each letter of a long run restarts the scan (quadratic: a
# 256 KB run of letters took 478 s).
_LINE_END_HYPHEN_RE = re.compile(rf"(?<!{_LETTERS})({_LETTERS}+)-[ ]*\n[ ]*({_LETTERS}+)(\S*)[ ]*(\n?)")
# Second halves that make a genuine compound ("est-ce", "celle-ci", "peut-être", "a-t-il").
_COMPOUND_TAILS = _wordset(
    "ci là être t il ils elle elles on je tu nous vous ce même mêmes y en le la les lui leur moi toi"
)
# First halves that are prefixes kept with a hyphen ("sous-traitance", "non-recours", "après-midi").
_COMPOUND_HEADS = _wordset("demi semi mi non sous quasi après avant arrière porte vice soi grand grande")


def _inside_url(text: str, start: int) -> bool:
    """Whether the word starting at ``start`` continues a URL, a path or an e-mail address."""
    before = text[max(0, start - 200) : start]
    chunk = before.rsplit(None, 1)[-1] if before and not before[-1].isspace() else ""
    return "/" in chunk or "@" in chunk or "www." in chunk


def word_counts(text: str) -> Counter[str]:
    """Lowercased word counts (hyphenated compounds kept whole), used to decide line-end hyphens."""
    return Counter(w.lower() for w in _WORD_RE.findall(text))


def join_hyphenated(text: str, vocabulary: Counter[str] | None = None) -> str:
    """Join words cut by a hyphen at a line end ("coopéra-\\ntion" -> "coopération").

    Only lowercase-lowercase cuts are joined. When the document itself spells the word with a hyphen
    elsewhere (``vocabulary``), or the halves look like a compound, the hyphen is kept but the cut closed.
    """
    vocab = vocabulary if vocabulary is not None else word_counts(text)

    def decide(m: re.Match[str]) -> str:
        left, right, tail = m.group(1), m.group(2), m.group(3)
        newline = "\n" if m.group(4) or m.end() < len(m.string) else ""
        hyphenated = f"{left}-{right}{tail}{newline}"
        # "Pas-de-\nCalais", "COVID-\n19": capitals mean a compound; so does a URL, cut at its own hyphens.
        if not (left[-1].islower() and right[0].islower()) or _inside_url(m.string, m.start()):
            return hyphenated
        joined_n = vocab[(left + right).lower()]
        # "Hauts-\nde-France" is a compound, "sto-\nry-board" a cut word: a known joined form tells them apart.
        if tail.startswith("-") and joined_n == 0:
            return hyphenated
        hyphen_n = vocab[f"{left}-{right}".lower()]
        if hyphen_n > joined_n:
            return hyphenated
        if joined_n == 0 and (right.lower() in _COMPOUND_TAILS or left.lower() in _COMPOUND_HEADS):
            return hyphenated
        return f"{left}{right}{tail}{newline}"

    return _LINE_END_HYPHEN_RE.sub(decide, text)


# --- Rule 3: running headers and footers --------------------------------------------------------

EDGE_LINES = 3  # how many non-empty lines at the top and at the bottom of a page can be a header/footer
HEADER_MIN_SHARE = 0.4  # a header/footer line repeats on at least this share of the document's pages...
HEADER_MIN_PAGES = 3  # ...and on at least this many pages
_PAGE_NUMBER_RE = re.compile(r"^(?:page|p\.)?[ ]*[-–—]?[ ]*(\d{1,4})[ ]*(?:(?:/|sur|of)[ ]*\d{1,4})?[ ]*[-–—]?$", re.I)
_DIGITS_RE = re.compile(r"\d+")
_NON_KEY_RE = re.compile(r"\s+")


def line_key(line: str) -> str:
    """A line's identity for header matching: no whitespace (the etalab text is glued), digits as '#', lowercase."""
    return _DIGITS_RE.sub("#", _NON_KEY_RE.sub("", line)).lower()


def _edge_indexes(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def remove_running_lines(pages: Sequence[Page], margins: Sequence[str] | None = None) -> tuple[list[Page], int]:
    """Drop running headers/footers and page numbers; return the pages and how many lines were dropped.

    A header/footer is a line near the top or bottom of a page whose key repeats on a large share of pages.
    When ``margins`` (the text PDFium finds in each page's top and bottom bands) is given, a candidate must
    also sit in that page's margin: this keeps repeated section labels of the body ("Objectif", "Quel
    problème avons-nous cherché à résoudre ?") that a frequency rule alone would delete. Bare page numbers
    are recognised by their value (page + a constant offset), so numbers that are content ("1.3") stay.
    """
    split = [p.text.split("\n") for p in pages]
    filled_pages = sum(1 for p in pages if p.text.strip())
    threshold = max(HEADER_MIN_PAGES, math.ceil(HEADER_MIN_SHARE * filled_pages))

    key_pages: Counter[str] = Counter()
    offsets: Counter[int] = Counter()
    for page, lines in zip(pages, split, strict=True):
        keys, page_offsets = set(), set()
        for i in _edge_indexes(lines):
            m = _PAGE_NUMBER_RE.match(lines[i].strip())
            if m:
                page_offsets.add(int(m.group(1)) - page.page)
            else:
                keys.add(line_key(lines[i]))
        key_pages.update(keys)
        offsets.update(page_offsets)
    # A header has words; a repeated bare number or code ("1.3" on every criterion page) is content.
    running = {k for k, n in key_pages.items() if n >= threshold and any(c.isalpha() for c in k)}
    offset, offset_n = offsets.most_common(1)[0] if offsets else (0, 0)
    numbered = offset_n >= threshold

    margin_keys = [line_key(m) for m in margins] if margins is not None else None
    out: list[Page] = []
    dropped = 0
    for n, (page, lines) in enumerate(zip(pages, split, strict=True)):
        drop = set()
        for i in _edge_indexes(lines):
            stripped = lines[i].strip()
            m = _PAGE_NUMBER_RE.match(stripped)
            if m:
                if numbered and int(m.group(1)) - page.page == offset:
                    drop.add(i)
                continue
            key = line_key(stripped)
            if key in running and (margin_keys is None or key in margin_keys[n]):
                drop.add(i)
        dropped += len(drop)
        kept = [line for i, line in enumerate(lines) if i not in drop]
        out.append(replace(page, text="\n".join(kept)) if drop else page)
    return out, dropped


# --- Rule 6: whitespace and line structure ------------------------------------------------------

# A line starting like this begins a list item or a heading: the line break before it is structure.
_BLOCK_START_RE = re.compile(
    r"^(?:[•●○◦▪▫■□‣⁃∙·*>#|→➢➤►▶✓✔✗☐-]"  # bullets, quotes, Markdown headings and tables
    r"|[–—]\s|\d{1,3}[.)]\s|[a-zA-Z][.)]\s|\(\w{1,3}\)\s"  # "– item", "1. item", "a) item", "(i) item"
    r"|(?:[A-Z]|\d+)(?:\.\d+)+\.?\s|\d{1,2}\s+[A-ZÀ-ÖØ-Þ])"  # "2.1 Titre", "X.2.2 Titre", "2 Titre"
)
_TOC_ENTRY_RE = re.compile(r"…\s*\d+$")  # "Cadre général … 3": each table-of-contents entry is its own line
REFLOW_MIN_WIDTH = 40  # pages whose long lines are shorter than this (slides) are never reflowed
REFLOW_FULL_LINE = 0.6  # a line at least this share of the page's line width was wrapped by the layout


# Words after which a sentence cannot stop: a line ending with one goes on, even before a capital
# ("produite par la" / "Direction générale").
_OPEN_WORDS = _wordset(
    "à au aux avec chez dans de des du en entre et l la le les leur leurs d ou où par pour qu que qui dont sans "
    "sous sur un une ce cet cette ces son sa ses notre nos votre vos mon ma mes est sont a ont très plus ne pas "
    "the of and to"
)


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` carries on the sentence of ``previous``: a lowercase start, or an open end before it."""
    if line[0].islower():
        return True
    if previous.endswith((",", "’", "'", "-", "–")):
        return True
    last = previous.rsplit(None, 1)[-1].lower()
    return last in _OPEN_WORDS


def _heading_like(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def _collapse_spaces(line: str, keep_indent: bool) -> str:
    body = line.lstrip(" ")
    indent = line[: len(line) - len(body)] if keep_indent and body else ""
    return indent + re.sub(r"[ ]{2,}", " ", body).rstrip()


def normalize_whitespace(text: str, reflow: bool = True) -> str:
    """Collapse spaces and blank lines; with ``reflow``, join lines the layout wrapped inside a sentence.

    Paragraph breaks (blank lines) stay, and so does every line break before a list item or a heading,
    after a line ending a sentence or introducing a list (":"), and around short lines (titles, slide text).
    """
    # PDF lines lose their indentation (extraction noise); Markdown/text keep it (nested lists, code).
    lines = [_collapse_spaces(line, keep_indent=not reflow) for line in text.split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    width = lengths[min(len(lengths) - 1, int(0.9 * len(lengths)))]
    out: list[str] = []
    previous = ""  # the last physical line, to judge whether it was wrapped
    for line in lines:
        if not line:
            if out and out[-1]:
                out.append("")
            previous = ""
            continue
        wrapped = (
            reflow
            and out
            and out[-1]
            and width >= REFLOW_MIN_WIDTH
            and len(previous) >= REFLOW_FULL_LINE * width
            and not previous.endswith((".", "!", "?", ":", ";", "…"))
            and not _TOC_ENTRY_RE.search(previous)
            and not _BLOCK_START_RE.match(line)
            and _heading_like(previous) == _heading_like(line)
            and _continues(previous, line)
        )
        if wrapped:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        previous = line
    return "\n".join(out).strip("\n").rstrip()


# --- Measures and garbage detection -------------------------------------------------------------

_TOKEN_RE = re.compile(rf"{_LETTERS}+")
LONG_TOKEN_LETTERS = 20  # a "word" this long is almost always several words glued together


def long_token_ratio(text: str) -> float:
    """Share of letter-only tokens with 20+ letters: about 0 for normal French, 0.15-0.3 for glued text."""
    tokens = _TOKEN_RE.findall(text)
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if len(t) >= LONG_TOKEN_LETTERS) / len(tokens)


# Frequent function words: real French prose has 20-50 % of them, a mis-encoded text layer almost none.
# A few English ones so that an English page is not mistaken for garbage.
_STOPWORDS = _wordset(
    "a à au aux avec c ce ces cet cette d dans de des du elle en est et il ils je l la le les leur leurs "
    "lors mais même n ne nous on ou où par pas plus pour qu que qui s sa se ses si son sont sur tout tous "
    "un une vous y être été afin ainsi aussi comme entre sans sous très the of and to in is for on with "
    "that are by this"
)
_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüÿœæ")
GARBAGE_MIN_LETTERS = 30  # below this a page (a slide title, a figure caption) is too short to judge
GARBAGE_MAX_CONTROL = 0.02  # share of control characters; clean pages have ~0, shifted encodings ~0.15
GARBAGE_MIN_VOWELS = 0.28  # French letters are ~45 % vowels; clean corpus pages >= 0.35, the shifted one 0.17
GARBAGE_MIN_STOPWORDS = 0.04  # share of function words when a page has enough words to tell
GARBAGE_STOPWORD_TOKENS = 30  # ...which is this many words
GARBAGE_MAX_NON_LATIN = 0.3  # letters outside Latin scripts (CJK from a broken font map)


def is_garbage(text: str) -> bool:
    """True when a page's text is not language: a broken font encoding, glued or random characters."""
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return False
    control = sum(1 for c in visible if unicodedata.category(c) == "Cc")
    if len(visible) >= 20 and control / len(visible) > GARBAGE_MAX_CONTROL:
        return True
    letters = [c for c in text.lower() if c.isalpha()]
    if len(letters) < GARBAGE_MIN_LETTERS:
        return False
    latin = [c for c in letters if c <= "\u024f" or c in "œæ"]
    if 1 - len(latin) / len(letters) > GARBAGE_MAX_NON_LATIN:
        return True
    if sum(1 for c in latin if c in _VOWELS) / max(1, len(latin)) < GARBAGE_MIN_VOWELS:
        return True
    tokens = [t.lower() for t in _TOKEN_RE.findall(text)]
    if len(tokens) >= GARBAGE_STOPWORD_TOKENS:
        return sum(1 for t in tokens if t in _STOPWORDS) / len(tokens) < GARBAGE_MIN_STOPWORDS
    return False


# --- The whole cleaning pass --------------------------------------------------------------------


def clean_document_pages(
    pages: Sequence[Page],
    margins: Sequence[str] | None = None,
    reflow: bool = True,
    stats: dict[str, float] | None = None,
) -> list[Page]:
    """Clean all pages of one document: characters, running headers/footers, hyphenation, spacing.

    ``margins``: per page, the text in the page's top/bottom bands (PDF only) to confirm headers/footers.
    ``reflow``: join lines wrapped by the layout (PDF); Markdown/text keep their own line breaks.
    ``stats``: if given, receives ``header_lines_removed``. Pages left empty are kept (with empty text) so
    the caller decides; page numbers never change.
    """
    normalized = [replace(p, text=normalize_chars(p.text)) for p in pages]
    normalized, dropped = remove_running_lines(normalized, margins)
    # One vocabulary per document: it tells "plate-forme" (spelled so elsewhere) from "coopéra-tion".
    vocab = word_counts("\n".join(p.text for p in normalized))
    cleaned = [replace(p, text=normalize_whitespace(join_hyphenated(p.text, vocab), reflow=reflow)) for p in normalized]
    if stats is not None:
        stats["header_lines_removed"] = float(dropped)
    return cleaned
