"""The fault matrix, the command line: numbers out of range, text that is not UTF-8 (argv and
`talk`'s stdin), terminal escapes in a reply or in stored text, and `transcribe --language`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_assistant.terminal import inert
from tests.support.faults import assert_clear_failure, assert_usable, assert_usage_error, cli

pytestmark = pytest.mark.timeout(120)

HUGE = str(10**20)


@pytest.mark.parametrize(("args", "names"), [
    (("history", "list", "--limit", HUGE), "--limit"),
    (("history", "list", "--offset", HUGE), "--offset"),
    (("history", "list", "--offset", "-1"), "--offset"),
    (("history", "search", "x", "--limit", HUGE), "--limit"),
    (("history", "show", HUGE), "id"),
    (("history", "show", "0"), "id"),
    (("history", "export", HUGE), "id"),
    (("history", "delete", HUGE, "--yes"), "id"),
    (("history", "stats", "--days", "99999999"), "--days"),
    (("history", "list", "--limit", "ten"), "--limit"),
], ids=["list-limit", "list-offset", "negative-offset", "search-limit", "show-id", "show-zero", "export-id",
        "delete-id", "stats-days", "not-a-number"])
def test_numbers_out_of_range_are_refused_by_the_parser(app_home: Path, args: tuple[str, ...], names: str) -> None:
    result = cli(app_home, *args)
    assert_usage_error(result, f"argument {names}", "expected", "from")
    assert_usable(app_home)


def test_a_large_but_valid_number_still_works(app_home: Path) -> None:
    result = cli(app_home, "history", "list", "--limit", "100000", "--offset", "1000000000")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    shown = cli(app_home, "history", "show", str(2**63 - 1))
    assert_clear_failure(shown, 2, f"There is no conversation {2**63 - 1}")


# ---- text that is not UTF-8 ----

@pytest.mark.parametrize("args", [
    (b"ask", b"caf\xe9 au lait", b"--no-speak"),
    (b"say", b"\xff\xfe hello"),
    (b"history", b"search", b"caf\xe9"),
], ids=["ask", "say", "history-search"])
def test_argument_that_is_not_utf8_is_one_line(app_home: Path, args: tuple[bytes, ...]) -> None:
    result = cli(app_home, *args, env={"GROQ_API_KEY": "gsk_notused0123456", "GROQ_BASE_URL": "http://127.0.0.1:9"})
    assert_clear_failure(result, 2, "not valid UTF-8", "\\x")
    assert_usable(app_home)
    assert cli(app_home, "history", "list").stdout.strip() == "No conversations yet."  # nothing half-stored


def test_a_file_name_that_is_not_utf8_is_still_a_file_name(app_home: Path, tmp_path: Path) -> None:
    missing = os.fsencode(tmp_path) + b"/caf\xe9.wav"
    result = cli(app_home, b"transcribe", missing)
    assert "not valid UTF-8" not in result.stderr  # paths may hold any bytes: refused for being absent only
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"], ids=["c-locale", "utf8-locale"])
def test_talk_refuses_a_bad_stdin_line_and_keeps_going(app_home: Path, groq_server: object, locale: str) -> None:
    env = {"GROQ_API_KEY": "gsk_talktest0123456", "GROQ_BASE_URL": groq_server.base_url,  # type: ignore[attr-defined]
           "LC_ALL": locale, "LANG": locale, "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
    result = cli(app_home, "talk", "--no-speak", stdin=b"caf\xe9 please\nWhat is the capital of France?\nq\n",
                 env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "Something went wrong" not in result.stderr
    bad = [line for line in result.stderr.splitlines() if "not valid UTF-8" in line]
    assert len(bad) == 1 and "caf\\xe9" in bad[0]
    assert "Paris" in result.stdout  # the next line was sent and answered
    listed = cli(app_home, "history", "list").stdout
    assert "What is the capital of France?" in listed and "caf" not in listed


# ---- terminal escapes: shown, never obeyed ----

ESCAPES = "Hi \x1b[2J\x1b]0;owned\x07 there.\r Bye \x9b31m now."


def _raw_controls(text: str) -> list[str]:
    return [ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F]


def test_inert_keeps_text_and_shows_controls() -> None:
    assert inert("plain\ttext\nline 2") == "plain\ttext\nline 2"
    shown = inert(ESCAPES)
    assert _raw_controls(shown) == []
    assert "\\x1b[2J" in shown and "\\x07" in shown and "\\x9b" in shown and "\\x0d" in shown


@pytest.fixture
def escaping_groq(groq_server: object) -> object:
    from tests.support.groq_server import GroqBehaviour

    groq_server.default = GroqBehaviour(reply=ESCAPES)  # type: ignore[attr-defined]
    return groq_server


def test_ask_and_history_show_print_escapes_inert(app_home: Path, escaping_groq: object) -> None:
    env = {"GROQ_API_KEY": "gsk_escapetest01234", "GROQ_BASE_URL": escaping_groq.base_url}  # type: ignore[attr-defined]
    asked = cli(app_home, "ask", "say something \x1b[31mred", "--no-speak", env=env)
    assert asked.returncode == 0, asked.stderr
    assert _raw_controls(asked.stdout) == [] and "\\x1b[2J" in asked.stdout
    shown = cli(app_home, "history", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert _raw_controls(shown.stdout) == [] and "\\x1b]0;owned\\x07" in shown.stdout
    listed = cli(app_home, "history", "list")
    assert _raw_controls(listed.stdout) == []
    found = cli(app_home, "history", "search", "owned")
    assert _raw_controls(found.stdout) == []
    # the stored text is exactly what the model sent (only the display is made inert)
    exported = cli(app_home, "history", "export", "1", "--format", "json")
    assert "\\u001b[2J" in exported.stdout


def test_talk_prints_escapes_inert(app_home: Path, escaping_groq: object) -> None:
    env = {"GROQ_API_KEY": "gsk_escapetest01234", "GROQ_BASE_URL": escaping_groq.base_url}  # type: ignore[attr-defined]
    result = cli(app_home, "talk", "--no-speak", stdin=b"hello\nq\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "\\x1b[2J" in result.stdout and _raw_controls(result.stdout) == []


# ---- transcribe --language ----

def test_unknown_language_code_is_refused(app_home: Path, fixtures_dir: Path) -> None:
    result = cli(app_home, "--stt-model", "tiny.en", "transcribe", str(fixtures_dir / "fox.wav"), "--language", "zz")
    assert_clear_failure(result, 2, "--language 'zz'", "use a code such as en")


def test_another_language_on_an_english_only_model_is_refused(app_home: Path, fixtures_dir: Path) -> None:
    result = cli(app_home, "--stt-model", "tiny.en", "transcribe", str(fixtures_dir / "fox.wav"), "--language", "de")
    assert_clear_failure(result, 2, "tiny.en", "English only", "--language de", "multilingual model")


def test_english_on_an_english_only_model_still_transcribes(app_home: Path, fixtures_dir: Path) -> None:
    result = cli(app_home, "--stt-model", "tiny.en", "transcribe", str(fixtures_dir / "fox.wav"), "--language", "EN")
    assert result.returncode == 0, result.stderr
    assert "lazy dog" in result.stdout.lower()
