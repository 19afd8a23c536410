"""LLM text deltas → speakable fragments, as early as they can be spoken.

The first fragment is short (the first clause, at most `first_max` characters, so one
gTTS request covers it) to start speaking quickly; after that, whole sentences.
Sentence ends ignore abbreviations ("e.g.", "Dr."), initials, decimals ("3.14"),
dots inside URLs and list numbers ("1. "). Fenced code blocks are not read aloud;
markdown marks are dropped and URLs are read as their host name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIRST_MAX = 100
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "eg", "ie", "approx",
    "no", "fig", "inc", "ltd", "co", "corp", "dept", "est", "min", "max", "mt", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "a.m", "p.m", "cf", "al",
})
_CLAUSE_MIN = 12  # a first clause shorter than this is not worth its own request
_URL = re.compile(r"https?://([^/\s]+)\S*|www\.([^/\s]+)\S*")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", re.MULTILINE)
_HEADING = re.compile(r"^\s*#{1,6}\s*", re.MULTILINE)
_QUOTE = re.compile(r"^\s*>\s?", re.MULTILINE)
_MARKS = re.compile(r"(\*\*|__|\*|`|~~)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclass(frozen=True)
class Sentence:
    text: str  # what is spoken (cleaned)
    index: int  # 0, 1, 2 … within the reply


def speakable(text: str) -> str:
    """Markdown and URLs turned into plain spoken text, whitespace collapsed."""
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(lambda m: m.group(1) or m.group(2), text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _LIST_MARK.sub("", text)
    text = _MARKS.sub("", text)
    return " ".join(text.split())


class SentenceSplitter:
    """Feed deltas with `feed()`; call `flush()` at the end of the reply."""

    def __init__(self, first_max: int = FIRST_MAX) -> None:
        self.first_max = first_max
        self._raw = ""  # not yet classified as prose or code
        self._pending = ""  # prose waiting for a boundary
        self._in_code = False
        self._index = 0

    def feed(self, delta: str) -> list[Sentence]:
        self._raw += delta
        out: list[Sentence] = []
        self._route(final=False, out=out)
        self._split(final=False, out=out)
        return out

    def flush(self) -> list[Sentence]:
        out: list[Sentence] = []
        self._route(final=True, out=out)
        self._split(final=True, out=out)
        return out

    # -- code fences ------------------------------------------------------------------------------
    def _route(self, *, final: bool, out: list[Sentence]) -> None:
        """Move prose from `_raw` to `_pending`, dropping fenced code blocks."""
        while self._raw:
            fence = self._raw.find("```")
            if self._in_code:
                if fence < 0:
                    self._raw = "" if final else self._raw[-2:]
                    return
                end = self._raw.find("\n", fence + 3)
                if end < 0 and not final:
                    self._raw = self._raw[fence:]
                    return
                self._raw = "" if end < 0 else self._raw[end + 1:]
                self._in_code = False
                continue
            if fence < 0:
                keep = 0 if final else len(self._raw) - len(self._raw.rstrip("`"))
                self._pending += self._raw[: len(self._raw) - keep]
                self._raw = self._raw[len(self._raw) - keep:]
                return
            self._pending += self._raw[:fence]
            self._raw = self._raw[fence + 3:]
            self._in_code = True
            self._split(final=True, out=out)  # a code block ends what was being said

    # -- boundaries -------------------------------------------------------------------------------
    def _split(self, *, final: bool, out: list[Sentence]) -> None:
        while True:
            cut = self._boundary(final)
            if cut is None:
                break
            piece, self._pending = self._pending[:cut], self._pending[cut:]
            self._emit(piece, out)
        if final:
            self._emit(self._pending, out)
            self._pending = ""

    def _emit(self, piece: str, out: list[Sentence]) -> None:
        text = speakable(piece)
        if any(ch.isalnum() for ch in text):
            out.append(Sentence(text, self._index))
            self._index += 1

    def _boundary(self, final: bool) -> int | None:
        text = self._pending
        end = self._sentence_end(text, final)
        if self._index > 0:
            return end
        # first fragment: the first clause, short enough for a single TTS request
        limit = self.first_max
        if end is not None and len(speakable(text[:end])) <= limit:
            return end
        for match in re.finditer(r"[,;:–—](?=\s)|\s-\s", text):
            stop = match.end()
            if stop > limit + 20:
                break
            if len(speakable(text[:stop])) >= _CLAUSE_MIN and len(speakable(text[:stop])) <= limit:
                return stop
        if len(text) > limit:
            space = text.rfind(" ", 0, limit)
            return space if space > 0 else limit
        return end

    @staticmethod
    def _sentence_end(text: str, final: bool) -> int | None:
        """Index just after the first sentence end whose following character is known."""
        for match in re.finditer(r"[.!?…]+[\"')\]]*|\n\s*\n|\n(?=\s*(?:[-*+•]|\d{1,3}[.)])\s)", text):
            stop = match.end()
            mark = match.group()
            if mark.startswith("\n"):
                if text[:match.start()].strip():
                    return stop
                continue
            if stop >= len(text):
                return None if not final else stop
            if not text[stop].isspace():
                continue  # 3.14, example.com, e.g.x
            if mark == "." and _is_abbreviation(text[:match.start()]):
                continue
            if mark == "." and _is_list_number(text[:match.start()]):
                continue
            return stop
        return None


def _is_abbreviation(before: str) -> bool:
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", before)
    if not word:
        return False
    token = word.group(1).lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and word.group(1).isupper())


def _is_list_number(before: str) -> bool:
    line = before[before.rfind("\n") + 1:]
    return bool(re.fullmatch(r"\s*\d{1,3}", line))
