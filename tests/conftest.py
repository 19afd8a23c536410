"""Shared test setup: every test gets its own DESKTOP_ASSISTANT_HOME, no real user dirs."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Settings that a developer's shell may carry must not leak into tests.
_LEAKY = ("GROQ_API_KEY", "GROQ_BASE_URL", "STT_MODEL", "STT_COMPUTE_TYPE", "LLM_MODEL", "LLM_TEMPERATURE",
          "MAX_CONVERSATION_HISTORY", "SESSION_TIMEOUT", "DEBUG", "TTS_ENGINE", "TTS_SPEED", "INPUT_DEVICE",
          "OUTPUT_DEVICE", "MAX_RECORDING_SECONDS", "PTT_KEY", "PTT_MODE", "AGENT", "AUDIO_CUES", "SPEECH_MUTED")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, isolated DESKTOP_ASSISTANT_HOME for each test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in _LEAKY:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """App.create() configures the root logger; put it back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
