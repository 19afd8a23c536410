"""Full-text search: ranking, snippets, prefixes, hostile input, index kept in sync."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_assistant.history.search import ELLIPSIS, HIGHLIGHT_END, HIGHLIGHT_START, match_query
from desktop_assistant.history.snippet import make_snippet
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.paths import Paths

HOSTILE = [
    '"',
    '""',
    "'",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "AND OR NOT",
    "*",
    "**",
    "-",
    "-x",
    "x -y",
    "NEAR(",
    "NEAR(a b",
    "NEAR(a b, 3)",
    "(",
    ")",
    "((a)",
    "a)",
    "^",
    "^a",
    "a:b",
    "text:foo",
    "{a b}:c",
    "+",
    "🙂",
    "🙂 weather",
    "weather 🙂",
    "\x00",
    "\\",
    "a\u0301",
    "_",
    "__init__",
    "ﬁsh",
    "x" * 500,
    " ".join(["word"] * 100),
    "Ünïcödé",
    "中文搜索",
    "١٢٣",
    "a*b",
    "col:*",
    "NEAR/3",
    "a + b",
    ":",
    '"unbalanced',
    "it's",
    "e-mail",
    "c++",
    "x AND (y OR",
    "",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = HistoryStore.open(tmp_path_factory.mktemp("search") / "history.db")
    conv = s.conversation_for_turn("assistant", 3600)
    s.add_message(conv, "user", "What is the weather like in Paris tomorrow?")
    s.add_message(conv, "assistant", "Tomorrow in Paris it will be sunny, about twenty degrees.")
    other = s.conversation_for_turn("chef", 3600)
    s.add_message(other, "user", "Give me a recipe for tomato soup")
    s.add_message(
        other, "assistant", "Roast the tomatoes, then blend them with stock. Weather permitting, eat outside."
    )
    s.add_message(other, "user", 'NEAR(this) "quoted" text AND stuff (unbalanced')
    s.add_message(other, "user", "Crème brûlée for dessert 🍮")
    yield s
    s.close()


def test_hits_carry_conversation_message_role_snippet_time_and_title(store):
    hits = store.search("tomato soup")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.role == "user" and hit.conversation_title == "Give me a recipe for tomato soup"
    assert (
        hit.snippet == f"Give me a recipe for {HIGHLIGHT_START}tomato{HIGHLIGHT_END} "
        f"{HIGHLIGHT_START}soup{HIGHLIGHT_END}"
    )
    assert hit.created_at.tzinfo is not None
    detail = store.get_conversation(hit.conversation_id)
    assert hit.message_id in {m.id for m in detail.messages}


def test_bm25_ranks_the_denser_match_first(store):
    hits = store.search("paris", prefix_last=False)
    assert len(hits) == 2
    assert hits[0].rank <= hits[1].rank
    assert [h.role for h in hits] == ["user", "assistant"]  # the shorter message mentions Paris more densely


def test_last_word_matches_as_a_prefix_while_typing(store):
    assert {h.role for h in store.search("weat")} == {"user", "assistant"}
    assert store.search("weat ") == []  # a finished word is a whole word
    assert store.search("weat", prefix_last=False) == []
    assert len(store.search("tom")) == 4  # tomorrow (twice), tomato, tomatoes
    assert match_query("paris wea") == '"paris" "wea"*'
    assert match_query("a") == '"a"'  # one letter is too short to expand


def test_diacritics_and_case_are_folded(store):
    assert len(store.search("creme brulee")) == 1
    assert len(store.search("PARIS")) == 2


def test_agent_filter(store):
    assert {h.conversation_title for h in store.search("weather", agent="chef")} == {
        "Give me a recipe for tomato soup"
    }
    assert store.search("weather", agent="nobody") == []


def test_limit_and_offset_page_through_hits(store):
    every = store.search("the", prefix_last=False, limit=10)
    assert len(every) >= 2
    assert store.search("the", prefix_last=False, limit=1, offset=1)[0].message_id == every[1].message_id


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_searched_safely(store, text):
    hits = store.search(text)
    assert isinstance(hits, list)
    query = match_query(text)
    assert query is None or (query.count('"') % 2 == 0 and "(" not in query)


def test_syntax_words_are_searched_as_words(store):
    assert [h.role for h in store.search("NEAR(")] == ["user"]
    assert len(store.search('"quoted')) == 1
    assert len(store.search("AND stuff")) == 1
    assert store.search("🍮") == []  # nothing searchable in an emoji, and no error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_any_text_never_raises(store, text):
    assert isinstance(store.search(text), list)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                '"',
                "*",
                "(",
                ")",
                "-",
                "+",
                "^",
                ":",
                "AND",
                "OR",
                "NOT",
                "NEAR",
                "NEAR(",
                "paris",
                "x",
                " ",
                ",",
                "{",
                "}",
                "🙂",
                "\u0301",
                "_",
            ]
        ),
        max_size=12,
    )
)
def test_fts_syntax_fragments_never_raise(store, parts):
    assert isinstance(store.search("".join(parts)), list)
    assert isinstance(store.search(" ".join(parts)), list)


def _index_rows(path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(path)) as raw:
        docs = raw.execute("SELECT count(*) FROM messages_fts_docsize").fetchone()[0]
        messages = raw.execute("SELECT count(*) FROM messages").fetchone()[0]
        raw.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")
    return docs, messages


def test_delete_leaves_no_orphan_index_rows():
    s = HistoryStore.open(Paths.from_env().ensure().database_file)
    try:
        keep = s.conversation_for_turn("assistant", 3600)
        s.add_message(keep, "user", "keep this zebra")
        gone = s.conversation_for_turn("assistant", 3600, new=True)
        for i in range(5):
            s.add_message(gone, "user", f"delete this giraffe {i}")
        assert _index_rows(s.path) == (6, 6)
        assert len(s.search("giraffe")) == 5
        s.delete(gone)
        assert _index_rows(s.path) == (1, 1)
        assert s.search("giraffe") == []
        assert len(s.search("zebra")) == 1
    finally:
        s.close()


def test_updating_text_reindexes_the_message():
    s = HistoryStore.open(Paths.from_env().ensure().database_file)
    try:
        conv = s.conversation_for_turn("assistant", 3600)
        mid = s.add_message(conv, "assistant", "", status="streaming")
        for text in ("Once", "Once upon", "Once upon a midnight"):
            s.update_message(mid, text=text)
        s.update_message(mid, status="complete")
        assert [h.message_id for h in s.search("midnight")] == [mid]
        assert _index_rows(s.path) == (1, 1)
    finally:
        s.close()


def test_snippet_of_a_long_message_is_cut_around_the_matches():
    words = [f"w{i}" for i in range(60)]
    words[40] = "Lighthouse"
    words[44] = "keepers"
    text = " ".join(words) + "."
    snip = make_snippet(text, ["lighthouse", "keepers"], size=16)
    assert snip.startswith(ELLIPSIS + "w38 w39 «Lighthouse» w41")
    assert "«keepers»" in snip and snip.endswith(ELLIPSIS)
    assert len(snip.split()) == 16
    tail = make_snippet(text, ["w59"], size=16)
    assert tail.endswith("«w59».") and tail.startswith(ELLIPSIS)
    assert make_snippet("Short and sweet!", ["sweet"]) == "Short and «sweet»!"


def test_snippet_marks_prefixes_accents_and_case_like_the_index():
    assert (
        make_snippet("The WEATHER and weathermen", ["wea"], prefix_last=True)
        == "The «WEATHER» and «weathermen»"
    )
    assert make_snippet("The weather", ["wea"]) == "The weather"  # not a prefix: no mark
    assert make_snippet("Crème brûlée tonight", ["creme", "brulee"]) == "«Crème» «brûlée» tonight"
    assert make_snippet("🙂🙂", ["x"]) == "🙂🙂"
    assert make_snippet("", ["x"]) == ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.lists(st.text(min_size=1, max_size=8), max_size=3), st.booleans())
def test_snippet_never_raises_and_keeps_the_text(text, terms, prefix):
    snip = make_snippet(text, terms, prefix_last=prefix)
    plain = snip.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "").replace(ELLIPSIS, "")
    if HIGHLIGHT_START not in text and HIGHLIGHT_END not in text and ELLIPSIS not in text:
        assert plain in text.strip() or plain.strip() in text
