"""The sound server's devices by their descriptions (audio/pulse.py): pactl's JSON and text
output read into names, descriptions, monitors and defaults; `list_devices(described=True)`
turns them into devices set as "pulse:<name>" on ALSA's "pulse" device; `pick()` resolves that
setting without asking pactl; with no server, PortAudio's own names stay."""

from __future__ import annotations

import json

import pytest

from desktop_assistant.audio import devices, pulse
from desktop_assistant.audio.devices import Device, DeviceList, list_devices, pick
from desktop_assistant.errors import AudioError

INFO = "Server Name: PulseAudio (on PipeWire 1.0.5)\nDefault Sink: alsa_output.analog\nDefault Source: alsa_input.mic\n"
SOURCES = [
    {"name": "alsa_output.analog.monitor", "description": "Monitor of Built-in Audio",
     "properties": {"device.class": "monitor"}},
    {"name": "alsa_input.mic", "description": "Built-in Audio Analog Stereo", "properties": {"device.class": "sound"}},
]
SINKS = [{"name": "alsa_output.analog", "description": "Built-in Audio", "properties": {}},
         {"name": "bluez_output.headset", "description": "WH-1000XM4", "properties": {}}]
SOURCES_TEXT = """Source #0
\tState: SUSPENDED
\tName: alsa_output.analog.monitor
\tDescription: Monitor of Built-in Audio
\tProperties:
\t\tdevice.description = "Monitor of Built-in Audio"
\t\tdevice.class = "monitor"
Source #1
\tName: alsa_input.mic
\tDescription: Built-in Audio Analog Stereo
\tProperties:
\t\tdevice.class = "sound"
"""
SINKS_TEXT = """Sink #0
\tName: alsa_output.analog
\tDescription: Built-in Audio
Sink #3
\tName: bluez_output.headset
\tDescription: WH-1000XM4
"""
PULSE = Device(0, "pulse", "ALSA", 32, 32, 44100.0)
DEFAULT = Device(1, "default", "ALSA", 32, 32, 44100.0, True)
PORTAUDIO = DeviceList((PULSE, DEFAULT), (PULSE, DEFAULT))


def runner(json_ok: bool = True):  # type: ignore[no-untyped-def]
    answers = {("info",): INFO, ("list", "sources"): SOURCES_TEXT, ("list", "sinks"): SINKS_TEXT}
    if json_ok:
        answers[("--format=json", "list", "sources")] = json.dumps(SOURCES)
        answers[("--format=json", "list", "sinks")] = json.dumps(SINKS)
    else:  # pactl before 16: "--format" is an unknown option
        answers[("--format=json", "list", "sources")] = None  # type: ignore[assignment]
        answers[("--format=json", "list", "sinks")] = None  # type: ignore[assignment]
    return lambda args: answers.get(tuple(args))


@pytest.mark.parametrize("json_ok", [True, False], ids=["json", "text"])
def test_server_devices_by_description_defaults_flagged_microphones_first(json_ok: bool) -> None:
    found = pulse.list_server_devices(runner(json_ok))
    assert found is not None and found.server == "PulseAudio (on PipeWire 1.0.5)"
    assert [(d.description, d.is_monitor, d.is_default) for d in found.sources] == [
        ("Built-in Audio Analog Stereo", False, True),
        ("Monitor of Built-in Audio", True, False),
    ]
    assert [(d.name, d.description, d.is_default) for d in found.sinks] == [
        ("alsa_output.analog", "Built-in Audio", True),
        ("bluez_output.headset", "WH-1000XM4", False),
    ]


def test_described_list_names_server_devices_and_sets_them_by_server_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(devices, "_portaudio_devices", lambda: PORTAUDIO)
    found = list_devices(described=True, run_pactl=runner())
    assert [d.name for d in found.inputs] == ["Built-in Audio Analog Stereo", "Monitor of Built-in Audio"]
    assert [d.setting for d in found.outputs] == ["pulse:alsa_output.analog", "pulse:bluez_output.headset"]
    assert all(d.index == PULSE.index for d in found.inputs + found.outputs)  # through ALSA's "pulse"
    assert found.default_input() is not None and found.default_input().pulse_name == "alsa_input.mic"
    assert list_devices(run_pactl=runner()) == PORTAUDIO  # the push-to-talk path never runs pactl


def test_without_a_sound_server_portaudio_names_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "_portaudio_devices", lambda: PORTAUDIO)
    assert list_devices(described=True, run_pactl=lambda args: None) == PORTAUDIO
    no_pulse = DeviceList((DEFAULT,), (DEFAULT,))  # a server, but no ALSA "pulse" device to reach it by
    monkeypatch.setattr(devices, "_portaudio_devices", lambda: no_pulse)
    assert list_devices(described=True, run_pactl=runner()) == no_pulse
    assert DEFAULT.setting == "default"


def test_pick_resolves_a_server_setting_to_the_pulse_device_routed_there() -> None:
    dev = pick("pulse:bluez_output.headset", "output", PORTAUDIO)
    assert (dev.index, dev.pulse_name) == (PULSE.index, "bluez_output.headset")
    with pytest.raises(AudioError, match="PulseAudio/PipeWire device"):
        pick("pulse:alsa_input.mic", "input", DeviceList((DEFAULT,), (DEFAULT,)))


def test_routing_sets_the_server_device_only_while_the_stream_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("PULSE_SINK", "before")
    monkeypatch.delenv("PULSE_SOURCE", raising=False)
    with pick("pulse:alsa_input.mic", "input", PORTAUDIO).routed("input"):
        assert os.environ["PULSE_SOURCE"] == "alsa_input.mic"
    with pick("pulse:bluez_output.headset", "output", PORTAUDIO).routed("output"):
        assert os.environ["PULSE_SINK"] == "bluez_output.headset"
    assert "PULSE_SOURCE" not in os.environ and os.environ["PULSE_SINK"] == "before"
