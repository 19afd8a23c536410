"""Word error rate: how the tests and benchmarks score what speech recognition heard.

WER = (substitutions + deletions + insertions) / words expected, from a Levenshtein alignment
over normalised words (lower case, no punctuation, digits spelled out, British spellings), so
"10 minutes" and "ten minutes" are the same words and an appended "thanks for watching" counts
three errors. 0.0 is word for word; it can exceed 1.0 when more words are added than expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
            "8": "eight", "9": "nine", "10": "ten", "70": "seventy"}
_SPELLING = {"summarize": "summarise", "lasagna": "lasagne", "kilometers": "kilometres",
             "bacteria": "bacterium"}


def words(text: str) -> list[str]:
    """The normalised words of `text`: what "the same words" means when scoring."""
    text = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " "))
    return [_NUMBERS.get(w, _SPELLING.get(w, w)) for w in text.split()]


@dataclass(frozen=True)
class Edits:
    """The cheapest alignment of the heard words to the expected ones."""

    substitutions: int
    deletions: int  # expected words missing from what was heard
    insertions: int  # heard words that were not said
    expected: int  # words expected (the denominator)

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        if self.expected == 0:
            return 0.0 if self.errors == 0 else float(self.errors)
        return self.errors / self.expected


def edits(expected: str | list[str], heard: str | list[str]) -> Edits:
    """Levenshtein alignment over words (strings are normalised with `words` first)."""
    a = words(expected) if isinstance(expected, str) else expected
    b = words(heard) if isinstance(heard, str) else heard
    # each cell: (errors, substitutions, deletions, insertions); ties prefer substitutions
    previous = [(j, 0, 0, j) for j in range(len(b) + 1)]
    for i, x in enumerate(a, 1):
        current = [(i, 0, i, 0)]
        for j, y in enumerate(b, 1):
            e, s, d, n = previous[j - 1]
            diagonal = (e, s, d, n) if x == y else (e + 1, s + 1, d, n)
            e, s, d, n = previous[j]
            deletion = (e + 1, s, d + 1, n)
            e, s, d, n = current[j - 1]
            insertion = (e + 1, s, d, n + 1)
            current.append(min(diagonal, deletion, insertion, key=lambda c: c[0]))
        previous = current
    _, s, d, n = previous[-1]
    return Edits(s, d, n, len(a))


def word_error_rate(expected: str, heard: str) -> float:
    """(S + D + I) / words expected, over normalised words."""
    return edits(expected, heard).wer


def corpus_wer(pairs: list[tuple[str, str]]) -> Edits:
    """Errors summed over (expected, heard) pairs, and the words expected: a corpus-level WER
    (long sentences weigh more, unlike an average of per-clip rates)."""
    parts = [edits(expected, heard) for expected, heard in pairs]
    return Edits(sum(p.substitutions for p in parts), sum(p.deletions for p in parts),
                 sum(p.insertions for p in parts), sum(p.expected for p in parts))
