"""Snippets: the part of a message around the searched words, with those words marked.

Done in Python on the few hits shown (not with FTS5's `snippet()`, which
re-runs the MATCH for every row). Words are compared the way the index
compares them (`unicode61 remove_diacritics 2`): Unicode-normalised, accents
dropped, case folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

START = "«"
END = "»"
ELLIPSIS = "…"
WORD = re.compile(r"[^\W_]+")


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def make_snippet(text: str, terms: Sequence[str], *, prefix_last: bool = False, size: int = 16) -> str:
    """`text` cut to about `size` words around the densest group of matches, matches in «»."""
    words = list(WORD.finditer(text))
    if not words:
        return text.strip()
    wanted = [fold(t) for t in terms]
    exact = set(wanted[:-1] if prefix_last else wanted)
    prefix = wanted[-1] if prefix_last and wanted else None

    def hit(word: str) -> str | None:
        f = fold(word)
        if f in exact:
            return f
        if prefix is not None and f.startswith(prefix):
            return prefix
        return None

    hits = [hit(w.group()) for w in words]
    first = 0
    if len(words) > size:
        best = -1
        for start in range(len(words) - size + 1):
            window = hits[start : start + size]
            score = len({h for h in window if h}) * 100 + sum(1 for h in window if h)
            if score > best:
                best, first = score, start
        # start a little before the first match, so it has some context
        lead = next((i for i in range(first, first + size) if hits[i]), first)
        first = max(0, min(lead - 2, len(words) - size))
    last = min(len(words), first + size) - 1
    begin = 0 if first == 0 else words[first].start()
    finish = len(text) if last == len(words) - 1 else words[last].end()
    out = [ELLIPSIS if first > 0 else ""]
    pos = begin
    for i in range(first, last + 1):
        w = words[i]
        if hits[i]:
            out += [text[pos : w.start()], START, w.group(), END]
            pos = w.end()
    out.append(text[pos:finish])
    if finish < len(text):
        out.append(ELLIPSIS)
    return "".join(out).strip()
