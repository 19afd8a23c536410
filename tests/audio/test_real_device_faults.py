"""Device faults on the real sound server, not fakes: a test-owned PulseAudio null sink (next to
test-env.sh's "vsink", which other tests need untouched) whose monitor is the microphone and whose
input is the speaker. The server ends our stream (`pacmd kill-source-output` / `kill-sink-input`:
what it does when a device goes away with nothing to move the stream to; unloading the sink here
would only move it to "vsink", measured) or suspends the device (`pactl suspend-sink`: a source that
stops sending). Each test checks the app's own reaction, then that the next use works."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from support.audio import FIXTURES, active_seconds, pulse_available, tone

from desktop_assistant.audio import recorder as recorder_module
from desktop_assistant.audio.events import Drained, PlaybackFailed, RecordingFailed, RecordingLimitReached
from desktop_assistant.audio.player import Player
from desktop_assistant.audio.recorder import Recorder
from desktop_assistant.errors import AudioError

pytestmark = [pytest.mark.audio, pytest.mark.timeout(60)]

SINK = "faultsink"


def pactl(*args: str, check: bool = True) -> str:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, check=check, timeout=10).stdout.strip()


@pytest.fixture
def sink() -> Iterator[str]:
    """A null sink of this test's own ("Fault-Sink"), unloaded afterwards."""
    assert pulse_available(), "run inside scripts/test-env.sh (make test)"
    module = pactl("load-module", "module-null-sink", f"sink_name={SINK}", "rate=48000",
                   "sink_properties=device.description=Fault-Sink")
    try:
        yield SINK
    finally:
        pactl("unload-module", module, check=False)


def our_stream(kind: str) -> str:
    """The index of this process's one source-output or sink-input on the server."""
    ours = [s for s in json.loads(pactl("--format=json", "list", kind))
            if s["properties"].get("application.process.id") == str(os.getpid())]
    assert len(ours) == 1, ours
    return str(ours[0]["index"])


def kill(kind: str, index: str) -> None:
    """End one stream from the server's side (pactl 16 has no kill command; pacmd has)."""
    subprocess.run(["pacmd", f"kill-{kind}", index], check=True, capture_output=True, timeout=10)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_the_microphone_dying_mid_recording_is_an_error_and_the_next_recording_works(sink: str) -> None:
    events: list[object] = []
    levels: list[float] = []
    rec = Recorder(device=f"pulse:{sink}.monitor", on_event=events.append, on_level=levels.append)
    try:
        rec.start()
        assert wait_for(lambda: len(levels) >= 5), "the monitor delivered nothing"
        kill("source-output", our_stream("source-outputs"))  # the device is gone
        assert wait_for(lambda: any(isinstance(e, RecordingFailed) for e in events), 5.0), events
        with pytest.raises(AudioError, match="microphone stopped working"):
            rec.stop()
        assert not rec.is_recording
        # the next recording opens the device again and hears what is played into it
        rec.start()
        assert wait_for(lambda: len(levels) >= 10)
        played = subprocess.run(["paplay", f"--device={sink}", str(FIXTURES / "weather.wav")],
                                check=False, timeout=20)
        assert played.returncode == 0
        heard = len(levels)
        assert wait_for(lambda: len(levels) >= heard + 6)  # 0.3 s past the end reached the recorder
        clip = rec.stop()
    finally:
        rec.close()
    assert clip.peak > 0.2 and active_seconds(clip.samples, 16000) > 1.5


def test_a_microphone_that_stops_sending_is_reported_within_the_close_bound(sink: str) -> None:
    levels: list[float] = []
    rec = Recorder(device=f"pulse:{sink}.monitor", on_level=levels.append)
    try:
        rec.start()
        assert wait_for(lambda: len(levels) >= 5), "the monitor delivered nothing"
        pactl("suspend-sink", sink, "1")  # its monitor goes quiet: no more blocks
        heard = len(levels)
        time.sleep(recorder_module.STALL_S + 0.5)  # the recorder's own rule is a time: no block for STALL_S
        assert len(levels) <= heard + 1
        started = time.monotonic()
        with pytest.raises(AudioError, match="stopped sending audio"):
            rec.stop()
        assert time.monotonic() - started < 3.0  # a stream that will not close is abandoned after 2 s
        assert not rec.is_recording
    finally:
        pactl("suspend-sink", sink, "0", check=False)
        rec.close()


def test_the_recording_limit_on_the_real_device(sink: str) -> None:
    events: list[object] = []
    rec = Recorder(device=f"pulse:{sink}.monitor", max_seconds=1.0, on_event=events.append)
    try:
        rec.start()
        player = subprocess.Popen(["paplay", f"--device={sink}", str(FIXTURES / "weather.wav")])
        assert wait_for(lambda: any(isinstance(e, RecordingLimitReached) for e in events)), events
        clip = rec.stop()
        player.wait(20)
    finally:
        rec.close()
    assert clip.duration_s == pytest.approx(1.0)  # exactly the limit, at 16 kHz
    assert not any(isinstance(e, RecordingFailed) for e in events)  # the limit is not a failure
    notice = next(e for e in events if isinstance(e, RecordingLimitReached))
    assert notice.seconds == 1.0


def test_the_output_dying_while_speaking_is_reported_at_once(sink: str) -> None:
    events: list[object] = []
    player = Player(device=f"pulse:{sink}", sample_rate=24000, on_event=events.append)
    try:
        player.open()
        player.enqueue(tone(440, 5.0, 24000), "reply")
        assert wait_for(lambda: player.is_playing, 5.0)
        time.sleep(0.3)
        kill("sink-input", our_stream("sink-inputs"))  # the output is gone
        started = time.monotonic()
        assert player.wait_drained(timeout=3.0), "wait_drained hung on a dead output"
        assert time.monotonic() - started < 2.0  # not after the 5 s of speech it had queued
        failed = [e for e in events if isinstance(e, PlaybackFailed)]
        assert failed and "audio output stopped working" in str(failed[0].error), events
        assert not any(isinstance(e, Drained) for e in events)  # it failed, it did not finish
        assert not player.is_playing
    finally:
        player.close()
