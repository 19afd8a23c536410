"""The command line as users run it: a real subprocess of `python -m desktop_assistant`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from desktop_assistant import __version__

pytestmark = pytest.mark.timeout(90)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "desktop_assistant", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, check=False)


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"desktop-assistant {__version__}"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("LLM_TEMPERATURE", "hot", "LLM_TEMPERATURE='hot' is not valid: expected a number from 0 to 2"),
    ("MAX_CONVERSATION_HISTORY", "-3",
     "MAX_CONVERSATION_HISTORY='-3' is not valid: expected a whole number from 0 to 1000"),
])
def test_bad_setting_is_one_clear_line_without_traceback(name: str, value: str, expected: str) -> None:
    result = run_cli("check", env={name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_flag_beats_environment() -> None:
    result = run_cli("--llm-model", "flag-model", "check", "--json", env={"LLM_MODEL": "env-model"})
    assert json.loads(result.stdout)["llm_model"] == "flag-model"
    result = run_cli("--temperature", "7", "check")
    assert result.returncode == 2 and "llm_temperature='7' is not valid" in result.stderr


def test_start_up_does_not_load_the_engine_libraries() -> None:
    # Every launch (the window included) builds the parser: commands load numpy, PyAV,
    # SQLAlchemy, faster-whisper, groq only when they run (measured: 429 ms → 46 ms).
    code = ("import sys\n"
            "from desktop_assistant.cli import build_parser\n"
            "build_parser()\n"
            "heavy = ('numpy', 'av', 'sqlalchemy', 'faster_whisper', 'ctranslate2', 'groq', 'gtts', 'sounddevice')\n"
            "print(' '.join(m for m in heavy if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"loaded at start-up: {result.stdout.strip()}"
