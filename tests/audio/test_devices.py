"""Device listing and picking: the real PulseAudio devices, and a table of fake ones."""

from __future__ import annotations

import pytest

from desktop_assistant.audio import devices
from desktop_assistant.audio.devices import Device, DeviceList, describe_problem, list_devices, pick
from desktop_assistant.errors import AudioError

MIC = Device(3, "USB Microphone", "ALSA", 1, 0, 48000.0, True)
HEADSET = Device(5, "Headset (USB)", "ALSA", 1, 2, 44100.0, False)
SPEAKERS = Device(7, "Speakers", "ALSA", 0, 2, 48000.0, True)
TABLE = DeviceList((MIC, HEADSET), (HEADSET, SPEAKERS))


def test_pick_default_index_and_names() -> None:
    assert pick(None, "input", TABLE) is MIC
    assert pick(None, "output", TABLE) is SPEAKERS
    assert pick(5, "input", TABLE) is HEADSET
    assert pick("5", "output", TABLE) is HEADSET
    assert pick("usb microphone", "input", TABLE) is MIC
    assert pick("headset", "input", TABLE) is HEADSET


@pytest.mark.parametrize(("spec", "kind", "words"), [
    (9, "input", "no microphone with index 9"),
    ("Bluetooth", "output", "no audio output named 'Bluetooth'"),
    ("usb", "input", "matches several"),
])
def test_pick_errors_name_the_problem(spec: object, kind: str, words: str) -> None:
    with pytest.raises(AudioError) as info:
        pick(spec, kind, TABLE)  # type: ignore[arg-type]
    assert words in str(info.value)


def test_no_devices_at_all() -> None:
    with pytest.raises(AudioError, match="No microphone found"):
        pick(None, "input", DeviceList((), ()))


def test_describe_problem_without_portaudio(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise AudioError("Audio is unavailable: PortAudio could not be loaded (library not found)")

    monkeypatch.setattr(devices, "load_sounddevice", missing)
    assert "PortAudio" in (describe_problem(probe=False) or "")


def test_describe_problem_without_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "list_devices", lambda: DeviceList((), (SPEAKERS,)))
    assert describe_problem(probe=False) == "No audio input (microphone) device found"


def test_a_sound_setup_that_aborts_is_reported_not_fatal(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # An unusable ALSA configuration makes alsa-lib abort() inside PortAudio's initialisation.
    (tmp_path / "empty.conf").write_text("")
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(tmp_path / "empty.conf"))
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/no-such-socket")
    problem = describe_problem()  # here alsa-lib aborts; elsewhere it may just find no device
    assert problem is not None
    assert "sound system failed to start (SIGABRT)" in problem or "No audio" in problem or "Cannot" in problem


@pytest.mark.audio
@pytest.mark.audio
def test_real_devices_through_pulse() -> None:
    found = list_devices()
    assert found.inputs and found.outputs
    assert sum(d.is_default for d in found.inputs) == 1
    assert all(d.default_samplerate > 0 for d in found.inputs + found.outputs)
    assert describe_problem() is None
    assert pick(None, "input").is_default
    assert pick("pulse", "output").name == "pulse"
