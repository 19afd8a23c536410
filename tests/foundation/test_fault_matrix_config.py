"""The fault matrix, configuration: a malformed API key, an unusable DESKTOP_ASSISTANT_HOME, a
settings file the CLI refuses in one line and the window starts without, and user data that only
the user can read. Each case runs the real CLI (`tests/support/faults.py`)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from desktop_assistant.app import App
from desktop_assistant.errors import ConfigError
from desktop_assistant.keystore import KeyStore
from desktop_assistant.paths import Paths
from tests.support.faults import assert_clear_failure, assert_usable, cli

pytestmark = pytest.mark.timeout(120)


# ---- the API key: malformed, said so (not "cannot reach Groq", not "'ascii' codec") ----

@pytest.mark.parametrize("key", [
    "gsk_abcdéfghijklmnop",          # a non-ASCII letter
    "gsk_abcdefgh\nijklmnop",        # a line break inside (pasted over two lines)
    "gsk_abcd efghijklmnop",         # a space inside
    "gsk_abcdefghijklmnop\u00a0x",   # a non-breaking space
    "\u201cgsk_abcdefghijklmnop\u201d",  # smart quotes around it
    "gsk_abc\x1bdefghijklmnop",      # a control character
], ids=["non-ascii", "newline", "space", "nbsp", "smart-quotes", "control"])
def test_malformed_key_in_the_environment_is_one_clear_line(app_home: Path, key: str) -> None:
    result = cli(app_home, "ask", "hello", "--no-speak", env={"GROQ_API_KEY": key, "GROQ_BASE_URL": "http://127.0.0.1:9"})
    line = assert_clear_failure(result, 2, "GROQ_API_KEY", "malformed", "copy the key again")
    assert key.strip() not in line and "gsk_abc" not in line  # the key itself is never shown
    assert_usable(app_home)


def test_a_key_with_spaces_around_it_is_still_fine() -> None:
    from desktop_assistant.config import load_settings

    assert load_settings(None, env={"GROQ_API_KEY": "  gsk_abcdefghijklmnop\n"}).groq_api_key == "gsk_abcdefghijklmnop"


def test_malformed_stored_key_names_the_key_file(app_home: Path) -> None:
    paths = Paths.from_env().ensure()
    KeyStore.for_paths(paths).file.write_text("gsk_abc déf\n", encoding="utf-8")  # written by hand
    result = cli(app_home, "ask", "hello", "--no-speak")
    assert_clear_failure(result, 2, "key file", "groq_api_key", "malformed")


def test_a_malformed_key_is_never_stored(app_home: Path) -> None:
    store = KeyStore.for_paths(Paths.from_env().ensure())
    with pytest.raises(ConfigError, match="malformed"):
        store.set("gsk_one\ngsk_two")
    assert not store.file.exists()


def test_the_window_starts_without_a_malformed_stored_key_and_says_why(app_home: Path) -> None:
    paths = Paths.from_env().ensure()
    KeyStore.for_paths(paths).file.write_text("gsk_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\n", encoding="utf-8")
    app = App.create(console_log=False, read_stored_key=False, tolerant_settings=True)
    try:
        app.load_stored_key()
        assert app.settings.groq_api_key is None
        assert any("malformed" in p for p in app.settings_problems)
    finally:
        app.close()


# ---- DESKTOP_ASSISTANT_HOME that cannot hold the app's files: the user's setting, exit 2 ----

def _home_is_a_file(tmp: Path) -> Path:
    (tmp / "plain-file").write_text("x")
    return tmp / "plain-file"


def _home_below_a_file(tmp: Path) -> Path:
    (tmp / "plain-file").write_text("x")
    return tmp / "plain-file" / "home"


def _home_in_proc(tmp: Path) -> Path:
    return Path("/proc/desktop-assistant-home")


@pytest.mark.parametrize("make", [_home_is_a_file, _home_below_a_file, _home_in_proc],
                         ids=["a-regular-file", "below-a-regular-file", "cannot-be-created"])
def test_unusable_home_is_one_clear_line(tmp_path: Path, make: object) -> None:
    home = make(tmp_path)  # type: ignore[operator]
    result = cli(home, "history", "list")
    assert_clear_failure(result, 2, f"DESKTOP_ASSISTANT_HOME={home}", "set DESKTOP_ASSISTANT_HOME to a folder")
    assert_usable(tmp_path / "good-home")  # the same install with a usable home


def test_home_that_is_a_file_says_so(tmp_path: Path) -> None:
    home = _home_is_a_file(tmp_path)
    line = assert_clear_failure(cli(home, "check"), 2)
    assert "is a file, not a folder" in line


# ---- settings.json: the CLI refuses in one line (exit 2), the window starts ----

BAD_SETTINGS = {
    "invalid-json": ('{"llm_model": "x",', "not valid JSON"),
    "json-list": ('["llm_model", "x"]', "must hold a JSON object"),
    "wrong-type": (json.dumps({"llm_temperature": "hot", "llm_model": "kept-model"}), "llm_temperature='hot'"),
    "out-of-range": (json.dumps({"max_recording_s": 99999, "llm_model": "kept-model"}), "max_recording_s=99999"),
    "not-utf8": (b'{"llm_model": "caf\xe9"}', "settings"),
    "directory": (None, "Is a directory"),
}


def _write_settings(home: Path, content: str | bytes | None) -> Path:
    path = home / "config" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_cli_refuses_a_bad_settings_file_in_one_line(app_home: Path, case: str) -> None:
    content, words = BAD_SETTINGS[case]
    path = _write_settings(app_home, content)
    result = cli(app_home, "history", "list")
    assert_clear_failure(result, 2, str(path), words)
    assert path.exists()  # the CLI leaves the user's file alone


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_window_starts_with_defaults_and_keeps_the_bad_file(app_home: Path, case: str) -> None:
    content, _ = BAD_SETTINGS[case]
    path = _write_settings(app_home, content)
    original = path.read_bytes() if path.is_file() else None
    app = App.create(console_log=False, read_stored_key=False, tolerant_settings=True)
    try:
        assert len(app.settings_problems) == 1, app.settings_problems
        problem = app.settings_problems[0]
        kept = sorted(path.parent.glob("settings.json.bad-*"))
        assert len(kept) == 1 and str(kept[0]) in problem
        if original is not None:
            assert kept[0].read_bytes() == original  # nothing the user wrote is lost
        # a bad value: the good ones stay, in use and in the file
        if isinstance(content, str) and "kept-model" in content:
            assert app.settings.llm_model == "kept-model"
            assert json.loads(path.read_text(encoding="utf-8")) == {"llm_model": "kept-model"}
            assert app.settings.llm_temperature == 0.7 and app.settings.max_recording_s == 120.0
        else:
            assert not path.exists()
    finally:
        app.close()
    assert_usable(app_home)  # and the CLI is happy again


def test_unknown_setting_from_a_newer_version_stops_nothing(app_home: Path) -> None:
    path = _write_settings(app_home, json.dumps({"wake_word": "computer", "llm_model": "from-file"}))
    result = cli(app_home, "check", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["llm_model"] == "from-file"
    log = (app_home / "logs" / "app.log").read_text(encoding="utf-8")
    assert "ignoring the unknown setting 'wake_word'" in log
    assert_usable(app_home)
    # the window starts without a problem, and saving settings keeps the newer version's key
    app = App.create(console_log=False, read_stored_key=False, tolerant_settings=True)
    try:
        assert app.settings_problems == []
        from desktop_assistant.config import write_settings_file

        write_settings_file(path, {"llm_model": "saved"})
        assert json.loads(path.read_text(encoding="utf-8")) == {"llm_model": "saved", "wake_word": "computer"}
    finally:
        app.close()


# ---- private data: 0700 folders and 0600 files whatever the umask ----

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_user_data_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    home = tmp_path / "home"
    code = (f"import os, sys; os.umask({umask:#o}); sys.argv = ['desktop-assistant', 'history', 'list']; "
            "from desktop_assistant.cli import main; sys.exit(main())")
    import subprocess
    import sys

    from tests.support.faults import REPO
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    for folder in ("data", "config", "logs", "cache"):
        assert _mode(home / folder) == 0o700, folder
    assert _mode(home / "data" / "history.db") == 0o600
    assert _mode(home / "logs" / "app.log") == 0o600
    export = tmp_path / "out" / "all.md"
    result = subprocess.run([sys.executable, "-c", code.replace("'list'", f"'export', '--all', '--out', '{export}'")],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert _mode(export) == 0o600


def test_loose_modes_left_by_an_older_version_are_tightened(app_home: Path) -> None:
    assert_usable(app_home)
    db, log_file, data = app_home / "data" / "history.db", app_home / "logs" / "app.log", app_home / "data"
    for path, mode in ((db, 0o644), (log_file, 0o644), (data, 0o755)):
        os.chmod(path, mode)
    assert_usable(app_home)
    assert (_mode(db), _mode(log_file), _mode(data)) == (0o600, 0o600, 0o700)


def test_debug_log_holds_sizes_and_roles_not_the_conversation(app_home: Path, groq_server: object) -> None:
    secret = "PRIVATE-WORDS-4711"
    env = {"GROQ_API_KEY": "gsk_debuglogtest0123", "GROQ_BASE_URL": groq_server.base_url, "DEBUG": "1"}  # type: ignore[attr-defined]
    result = cli(app_home, "ask", f"my {secret} question", "--no-speak", env=env)
    assert result.returncode == 0, result.stderr
    log = (app_home / "logs" / "app.log").read_text(encoding="utf-8")
    assert "chat request:" in log and "user" in log  # the request is logged at DEBUG...
    assert secret not in log and "helpful" not in log  # ...without the conversation or the system prompt
    assert secret not in result.stderr
