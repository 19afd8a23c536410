"""SentenceSplitter: streamed deltas → speakable fragments."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_assistant.assistant.sentences import SentenceSplitter, speakable


def split(text: str, step: int = 3) -> list[str]:
    splitter = SentenceSplitter()
    out = []
    for i in range(0, len(text), step):
        out += splitter.feed(text[i:i + step])
    out += splitter.flush()
    assert [s.index for s in out] == list(range(len(out)))
    return [s.text for s in out]


def test_first_fragment_is_the_first_clause_then_whole_sentences() -> None:
    text = ("Well, the capital of France, as you know, is Paris. It is on the Seine. "
            "Many people visit it every year.")
    assert split(text) == ["Well, the capital of France,", "as you know, is Paris.", "It is on the Seine.",
                           "Many people visit it every year."]


def test_first_fragment_is_emitted_before_the_sentence_ends() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Sure thing, my friend") == []  # the comma needs what follows to be sure
    got = splitter.feed(", here it is")
    assert [s.text for s in got] == ["Sure thing, my friend,"]


def test_long_first_clause_is_cut_at_a_word_within_100_characters() -> None:
    words = "word " * 40
    out = split(words + "end.")
    assert len(out[0]) <= 100
    assert out[0].startswith("word word")
    assert " ".join(out).split() == (words + "end.").split()


def test_abbreviations_numbers_and_urls_do_not_end_sentences() -> None:
    text = ("The answer is 3.14 exactly. Dr. Smith, e.g. the expert, agrees. "
            "See https://example.com/docs/a.html for more. Mr. J. Doe left at 5 p.m. today. Bye!")
    assert split(text) == [
        "The answer is 3.14 exactly.",
        "Dr. Smith, e.g. the expert, agrees.",
        "See example.com for more.",
        "Mr. J. Doe left at 5 p.m. today.",
        "Bye!",
    ]


def test_code_blocks_are_not_read_aloud() -> None:
    text = "Here is how:\n```python\nprint('no. really')\nx = 3\n```\nThat prints a line. Done."
    out = split(text)
    assert out == ["Here is how:", "That prints a line.", "Done."]
    assert not any("print(" in s or "x =" in s for s in out)


def test_unclosed_code_block_is_dropped_at_flush() -> None:
    assert split("Try this:\n```\nrm -rf build\n") == ["Try this:"]


def test_lists_become_one_fragment_per_item_without_markers() -> None:
    text = "You need three things:\n1. Flour\n2. Water and salt\n- Time\n\nThat is all."
    assert split(text) == ["You need three things:", "Flour", "Water and salt", "Time", "That is all."]


def test_markdown_is_dropped() -> None:
    assert speakable("## Title\n**Bold** and `code` and [a link](http://x.y/z)") == "Title Bold and code and a link"


def test_question_and_exclamation_marks_end_sentences() -> None:
    assert split("Really? Yes! Of course.") == ["Really?", "Yes!", "Of course."]


def test_nothing_speakable_gives_no_fragment() -> None:
    assert split("```\nonly code\n```\n") == []
    assert split("...") == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc XY.,!?:\n")), max_size=300), st.integers(1, 7))
def test_no_letter_is_lost_or_duplicated_whatever_the_chunking(text: str, step: int) -> None:
    def letters(s: str) -> str:
        return "".join(ch for ch in s if ch.isalpha())

    pieces = split(text, step)
    assert letters(" ".join(pieces)) == letters(text)
    assert all(len(p) <= 100 for p in pieces[:1])
