"""The devices' share of the fault matrix, against the real sound stack (the test PulseAudio with its
null sink, PortAudio, ALSA's pulse plugin): a device the user names that is not there is the user's
mistake (exit 2) and names what there is; no sound server at all is the machine's (exit 1). One line,
no traceback, nothing recorded half, and the app answers right after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.faults import assert_clear_failure, assert_usable, cli

pytestmark = [pytest.mark.audio, pytest.mark.timeout(120)]

NO_SERVER = {"PULSE_SERVER": "unix:/nonexistent/pulse-socket"}


@pytest.fixture(autouse=True)
def _sound_server() -> None:
    assert os.environ.get("DA_TEST_PULSE") == "1", "run under scripts/test-env.sh (the test PulseAudio)"


def _record(home: Path, out: Path, *extra: str, env: dict[str, str] | None = None) -> object:
    return cli(home, "record", "--seconds", "1", "--out", str(out), *extra, env=env)


@pytest.mark.parametrize(("args", "env", "words"), [
    (("--device", "No Such Mic"), None, ("no microphone named 'No Such Mic'", "available: ")),
    (("--device", "999"), None, ("no microphone with index 999", "available: ")),
    (("--device", "-3"), None, ("no microphone named '-3'",)),
    ((), {"INPUT_DEVICE": "a headset from another computer"}, ("no microphone named 'a headset",)),
    (("--device", "vsink"), None, ("no microphone named 'vsink'",)),  # the sink, not its monitor
    (("--device", "pulse:unplugged-headset"), None,
     ("sound server has no microphone named 'unplugged-headset'", "pulse:vsink.monitor")),
], ids=["unknown-name", "unknown-index", "negative-index", "setting-from-elsewhere", "an-output", "server-name"])
def test_a_microphone_that_is_not_there_is_the_users_mistake(app_home: Path, tmp_path: Path, args: tuple[str, ...],
                                                              env: dict[str, str] | None,
                                                              words: tuple[str, ...]) -> None:
    out = tmp_path / "clip.wav"
    result = _record(app_home, out, *args, env=env)
    line = assert_clear_failure(result, 2, *words[:1])
    for word in words[1:]:
        assert word in line, line
    assert "Recording" not in result.stderr and not out.exists(), "said it records, or left a file"
    assert_usable(app_home)


@pytest.mark.parametrize(("env", "words"), [
    ({"OUTPUT_DEVICE": "nope"}, ("no audio output named 'nope'",)),
    ({"OUTPUT_DEVICE": "999"}, ("no audio output with index 999",)),
    ({"OUTPUT_DEVICE": "vsink.monitor"}, ("no audio output named 'vsink.monitor'",)),  # a microphone
    ({"OUTPUT_DEVICE": "pulse:gone-speakers"}, ("sound server has no audio output named 'gone-speakers'",
                                                "pulse:vsink")),
], ids=["unknown-name", "unknown-index", "an-input", "server-name"])
def test_an_output_that_is_not_there_is_the_users_mistake(app_home: Path, env: dict[str, str],
                                                          words: tuple[str, ...]) -> None:
    result = cli(app_home, "say", "hello", env={**env, "TTS_ENGINE": "espeak"})
    line = assert_clear_failure(result, 2, words[0])
    for word in words[1:]:
        assert word in line, line
    assert_usable(app_home)


def test_no_sound_server_is_the_machines_problem(app_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.wav"
    assert_clear_failure(_record(app_home, out, env=NO_SERVER), 1, "No microphone found", "sound settings")
    assert not out.exists()
    assert_clear_failure(cli(app_home, "say", "hello", env={**NO_SERVER, "TTS_ENGINE": "espeak"}), 1,
                         "No audio output found")
    assert_usable(app_home)


def test_the_named_server_microphone_records_when_it_is_there(app_home: Path, tmp_path: Path) -> None:
    """The counterpart: the same spelling of a device that exists works (so the refusals above are
    about the names, not the spelling)."""
    out = tmp_path / "clip.wav"
    result = _record(app_home, out, "--device", "pulse:vsink.monitor")
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 16000  # 1 s of 16-bit 16 kHz audio, and its header
