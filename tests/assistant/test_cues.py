"""Push-to-talk cues, as the app wires them: a short tone on the real null sink when listening
starts and when it stops, only while Settings → audio cues is on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from desktop_assistant.app import App
from desktop_assistant.assistant.events import RecordingStarted, RecordingStopped
from desktop_assistant.engine import Engine
from tests.support.audio import MonitorCapture

pytestmark = pytest.mark.audio


def loud_stretches(samples: np.ndarray, rate: int = 16000, block_s: float = 0.01,
                   bridge_s: float = 0.05) -> list[float]:
    """Lengths (s) of the sounds heard, in order: runs of loud 10-ms blocks, a run broken by a gap of
    at most `bridge_s` counted as one sound (on a loaded machine the output can drop a block inside
    a 70-ms tone; the tones themselves are 0.6 s apart)."""
    n = int(rate * block_s)
    loud = np.abs(samples[: len(samples) // n * n].reshape(-1, n)).max(axis=1) > 0.01
    runs: list[float] = []
    length = gap = 0
    for block in [*loud, False]:
        if block:
            if runs and length == 0 and gap * block_s <= bridge_s:  # the same sound, after a dropout
                length = round(runs.pop() / block_s) + gap
            length += 1
            gap = 0
        else:
            if length:
                runs.append(length * block_s)
                length = 0
            gap += 1
    return runs


def test_a_tone_with_a_dropout_is_one_sound_and_two_tones_are_two() -> None:
    block = np.full(160, 0.5, np.float32)
    quiet = np.zeros(160, np.float32)
    tone_with_dropout = [block] * 2 + [quiet] + [block] * 4
    heard = np.concatenate([*tone_with_dropout, *[quiet] * 60, *[block] * 7])
    assert loud_stretches(heard) == [0.07, 0.07]


def press_and_release(cues: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[float], list[Any]]:
    monkeypatch.setenv("TTS_ENGINE", "espeak")  # a local voice: warm-up opens the output at once
    monkeypatch.setenv("AUDIO_CUES", cues)
    app = App.create(console_log=False)
    events: list[Any] = []
    try:
        assistant = Engine(app, on_event=events.append).build()
        assert assistant.voice.open_output(0)
        # A new ALSA→PulseAudio output can take seconds before its callbacks flow (audio/player.py);
        # run alone, this test is the first to open one. Silence that has drained proves it flows.
        assistant.player.enqueue(np.zeros(assistant.player.sample_rate // 5, np.float32))
        assert assistant.player.wait_drained(20), "the audio output never started"
        with MonitorCapture() as capture:
            assert capture.wait_flowing(10), "no audio from the sink monitor"
            assistant.push_to_talk_pressed()
            time.sleep(0.6)  # the hold: the two tones must come out apart
            assistant.push_to_talk_released()
            assert assistant.player.wait_drained(10)
            time.sleep(assistant.player.latency + 0.3)  # what the device still buffers reaches the monitor
        return loud_stretches(capture.samples()), events
    finally:
        app.close()


def test_press_and_release_play_the_start_and_stop_cues(app_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stretches, events = press_and_release("1", monkeypatch)
    assert any(isinstance(e, RecordingStarted) for e in events)
    assert any(isinstance(e, RecordingStopped) for e in events)
    assert len(stretches) == 2, stretches  # one tone at the press, one at the release
    assert all(0.03 <= s <= 0.12 for s in stretches), stretches  # 70 ms each


def test_no_cues_when_they_are_turned_off(app_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stretches, events = press_and_release("0", monkeypatch)
    assert any(isinstance(e, RecordingStopped) for e in events)
    assert stretches == []
