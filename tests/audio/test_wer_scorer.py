"""The word error rate every speech test scores with (tests/support/wer.py)."""

from __future__ import annotations

import pytest
from support.wer import Edits, corpus_wer, edits, word_error_rate, words

SAID = "Please turn off the lights in the kitchen."


def test_the_same_words_score_zero_whatever_the_case_punctuation_and_digits() -> None:
    assert word_error_rate(SAID, "please turn off the lights in the kitchen") == 0.0
    assert word_error_rate("Set a timer for ten minutes.", "Set a timer for 10 minutes!") == 0.0
    assert word_error_rate("Summarise it.", "Summarize it") == 0.0
    assert words("Well-known, isn't it?") == ["well", "known", "isn't", "it"]


def test_an_appended_hallucination_counts_every_inserted_word() -> None:
    heard = SAID + " Thanks for watching!"
    assert edits(SAID, heard) == Edits(substitutions=0, deletions=0, insertions=3, expected=8)
    assert word_error_rate(SAID, heard) == pytest.approx(3 / 8)


def test_substitutions_deletions_and_insertions_are_told_apart() -> None:
    assert edits(SAID, "Please turn off my life in my kitchen.") == Edits(3, 0, 0, 8)
    assert edits(SAID, "Please turn off the lights.") == Edits(0, 3, 0, 8)
    assert edits("The quick brown fox jumps over the lazy dog.",
                 "The quick roundfire jump over the lazy dog.") == Edits(2, 1, 0, 9)


def test_a_repeated_sentence_is_all_insertions() -> None:
    assert word_error_rate("Open the door.", "Open the door. Open the door. Open the door.") == 2.0


def test_nothing_heard_is_every_word_deleted_and_nothing_expected_is_defined() -> None:
    assert word_error_rate(SAID, "") == 1.0
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "hello there") == 2.0  # two words from nothing


def test_corpus_wer_weighs_words_not_clips() -> None:
    total = corpus_wer([("one two three four five six seven eight nine ten", "one two three four five six "
                         "seven eight nine ten"), ("hello", "yellow")])
    assert (total.errors, total.expected) == (1, 11)
    assert total.wer == pytest.approx(1 / 11)  # not the mean of 0 and 1
