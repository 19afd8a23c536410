"""`desktop-assistant check`: diagnostics with and without key, audio server, broken agents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant import __version__

pytestmark = pytest.mark.timeout(90)
REQUIRED = {"version", "data_dir", "audio", "stt", "groq_key_set", "agents", "database", "problems"}


def check(env: dict[str, str] | None = None, *args: str) -> tuple[int, dict]:
    result = subprocess.run([sys.executable, "-m", "desktop_assistant", "check", "--json", *args],
                            capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip(), f"exit {result.returncode}, stderr: {result.stderr[-2000:]}"
    return result.returncode, json.loads(result.stdout)


def test_without_key_is_a_warning_not_a_failure(app_home: Path) -> None:
    code, report = check()
    assert set(report) >= REQUIRED
    assert code == 0 and report["problems"] == []
    assert report["version"] == __version__
    assert report["groq_key_set"] is False
    assert any("No Groq API key" in w for w in report["warnings"])
    assert report["data_dir"].startswith(str(app_home))
    assert report["agents"]["default"] == "assistant" and report["agents"]["errors"] == []
    assert report["database"]["exists"] is False


def test_with_key_reports_set_but_never_the_value() -> None:
    key = "gsk_CheckSecretValue123456789"
    result = subprocess.run([sys.executable, "-m", "desktop_assistant", "check", "--json"], capture_output=True,
                            text=True, env={**os.environ, "GROQ_API_KEY": key}, timeout=60, check=False)
    assert result.returncode == 0
    assert json.loads(result.stdout)["groq_key_set"] is True
    assert key not in result.stdout + result.stderr


def test_stt_reports_model_and_source_offline() -> None:
    code, report = check({"STT_MODEL": "base"})
    assert code == 0
    stt = report["stt"]
    assert stt["requested"] == "base"
    assert stt["model"] == "tiny.en" and stt["source"] == "embedded"
    assert "base" in stt["reason"] and "embedded tiny.en" in stt["reason"]
    assert Path(stt["path"], "model.bin").is_file()


@pytest.mark.audio
def test_with_audio_server_lists_devices() -> None:
    assert os.environ.get("DA_TEST_PULSE") == "1", "run through scripts/test-env.sh (make test)"
    code, report = check()
    assert code == 0
    assert report["audio"]["available"] is True
    assert report["audio"]["inputs"] and report["audio"]["outputs"]


def test_without_audio_server_still_runs(tmp_path: Path) -> None:
    # No PulseAudio reachable and no sound card: the app can still run (type, history); check says why.
    env = {"PULSE_SERVER": f"unix:{tmp_path}/no-such-socket", "ALSA_CONFIG_PATH": str(tmp_path / "empty.conf")}
    (tmp_path / "empty.conf").write_text("")
    code, report = check(env)
    assert code == 0
    assert report["audio"]["available"] is False
    assert report["audio"]["error"]
    assert any(w.startswith("audio:") for w in report["warnings"])


def test_missing_portaudio_is_a_problem_with_the_fix() -> None:
    # Simulate a machine without libportaudio2: importing sounddevice raises OSError there.
    code = ("import sys, types\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'sounddevice': raise OSError('PortAudio library not found')\n"
            "sys.meta_path.insert(0, Block())\n"
            "from desktop_assistant.cli import main\n"
            "sys.exit(main(['check', '--json']))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert any("libportaudio2" in p for p in report["problems"])


def test_broken_agent_file_is_reported_and_others_load(app_home: Path) -> None:
    agents_dir = app_home / "data" / "agents"
    agents_dir.mkdir(parents=True)
    (agents_dir / "broken.yaml").write_text("name: Broken\nsystem_prompt: hi\nllm:\n  temperature: hot\n")
    (agents_dir / "extra.yaml").write_text("name: Extra\nsystem_prompt: An extra agent.\n")
    code, report = check()
    assert code == 0
    assert "extra" in report["agents"]["loaded"] and "assistant" in report["agents"]["loaded"]
    assert "broken" not in report["agents"]["loaded"]
    [error] = report["agents"]["errors"]
    assert "broken.yaml:4" in error and "llm.temperature" in error


def test_human_output_says_ok() -> None:
    result = subprocess.run([sys.executable, "-m", "desktop_assistant", "check"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0
    assert "OK: the app can run." in result.stdout
    assert "groq key    not set" in result.stdout
