"""Player: gapless queue, events and stop() with a fake stream; then the real null sink."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest
from support.audio import FakeOutputStream, MonitorCapture, active_seconds, tone
from support.cpu_share import cpu_exclusive

from desktop_assistant.audio.events import ChunkStarted, Drained, PlaybackFailed
from desktop_assistant.audio.player import Player
from desktop_assistant.audio.recorder import Recorder

needs_pulse = pytest.mark.audio


class Outputs:
    def __init__(self, **options: object) -> None:
        self.options = options
        self.made: list[FakeOutputStream] = []

    def __call__(self, **kwargs: object) -> FakeOutputStream:
        stream = FakeOutputStream(**{**kwargs, **self.options})  # type: ignore[arg-type]
        self.made.append(stream)
        return stream


def test_chunks_play_back_to_back_with_events_in_order() -> None:
    events: list[object] = []
    outputs = Outputs(speed=50)
    player = Player(sample_rate=24000, on_event=events.append, stream_factory=outputs)
    a, b, c = tone(440, 0.3, 24000), tone(660, 0.25, 24000), tone(880, 0.1234, 24000)
    player.enqueue(a, "a")
    player.enqueue(b, "b")
    player.enqueue(c, "c")
    assert player.is_playing
    assert player.wait_drained(5)
    assert not player.is_playing
    player.close()
    out = outputs.made[0].output()
    assert a[0] == 0.0  # a sine starts at 0: the chunk begins one sample before the first non-zero one
    start = int(np.flatnonzero(out != 0.0)[0]) - 1
    joined = np.concatenate([a, b, c])
    assert np.array_equal(out[start:start + len(joined)], joined)  # not one sample of gap
    assert not np.isnan(out).any()  # every block fully written
    assert [e.tag for e in events if isinstance(e, ChunkStarted)] == ["a", "b", "c"]
    assert sum(isinstance(e, Drained) for e in events) == 1
    assert isinstance(events[-1], Drained)
    starts = [e.at for e in events if isinstance(e, ChunkStarted)]
    assert starts == sorted(starts)


def test_stop_clears_the_queue_and_silences_at_once() -> None:
    events: list[object] = []
    outputs = Outputs(speed=1)  # real time
    player = Player(sample_rate=24000, on_event=events.append, stream_factory=outputs)
    player.enqueue(tone(440, 2.0, 24000), "long")
    player.enqueue(tone(660, 2.0, 24000), "next")
    time.sleep(0.2)
    began = time.monotonic()
    player.stop()
    took = time.monotonic() - began
    assert took < 0.05
    assert not player.is_playing and player.wait_drained(0)
    stream = outputs.made[-1]
    # the device's buffer is dropped (abort) and the same stream restarted: no new stream, whose
    # first callbacks can take ~2 s on ALSA→PulseAudio
    assert len(outputs.made) == 1 and stream.aborts == 1 and stream.starts == 2
    time.sleep(0.1)
    assert np.all(stream.written[-1] == 0)  # silence after the stop
    assert [e.tag for e in events if isinstance(e, ChunkStarted)] == ["long"]
    assert not any(isinstance(e, Drained) for e in events)  # a stop is not a drain
    player.enqueue(tone(440, 0.1, 24000), "after")  # still usable
    assert player.wait_drained(3)
    player.close()


def test_output_that_cannot_do_the_rate_gets_resampled_chunks() -> None:
    outputs = Outputs(speed=50, reject_rates=[24000])
    player = Player(sample_rate=24000, stream_factory=outputs)
    player.enqueue(tone(440, 0.5, 24000, amp=0.5), "x")
    assert player.wait_drained(5)
    player.close()
    stream = outputs.made[-1]
    assert stream.samplerate == 48000
    assert active_seconds(stream.output(), 48000) == pytest.approx(0.5, abs=0.02)


def test_listener_errors_do_not_stop_playback() -> None:
    def explode(_: object) -> None:
        raise RuntimeError("listener bug")

    player = Player(on_event=explode, stream_factory=Outputs(speed=50))
    player.enqueue(tone(440, 0.2, 24000), 1)
    player.enqueue(tone(440, 0.2, 24000), 2)
    assert player.wait_drained(5)
    player.close()


def test_a_dead_output_is_reported() -> None:
    events: list[object] = []
    outputs = Outputs(speed=50)
    player = Player(on_event=events.append, stream_factory=outputs)
    player.enqueue(tone(440, 5.0, 24000), "x")
    time.sleep(0.05)
    outputs.made[-1].stop()  # the device vanished: the stream ends by itself
    deadline = time.monotonic() + 3
    while not any(isinstance(e, PlaybackFailed) for e in events) and time.monotonic() < deadline:
        time.sleep(0.02)
    failed = [e for e in events if isinstance(e, PlaybackFailed)]
    assert failed and "audio output stopped working" in str(failed[0].error)
    assert not player.is_playing
    player.close()


def test_an_output_that_will_not_restart_after_stop_is_reported_and_replaced() -> None:
    import sounddevice as sd

    events: list[object] = []
    outputs = Outputs(speed=1)
    player = Player(sample_rate=24000, on_event=events.append, stream_factory=outputs)
    player.enqueue(tone(440, 2.0, 24000), "long")
    time.sleep(0.1)

    def refuse() -> None:
        raise sd.PortAudioError("Error starting stream: Device unavailable [PaErrorCode -9985]")

    outputs.made[-1].start = refuse  # type: ignore[method-assign]
    player.stop()
    failed = [e for e in events if isinstance(e, PlaybackFailed)]
    assert failed and "audio output stopped working" in str(failed[0].error)
    player.enqueue(tone(440, 0.1, 24000), "after")  # on a new stream
    assert player.wait_drained(3) and len(outputs.made) == 2
    player.close()


def test_stop_does_not_hang_on_a_wedged_output() -> None:
    outputs = Outputs(speed=1)
    player = Player(sample_rate=24000, stream_factory=outputs)
    player.enqueue(tone(440, 2.0, 24000), "long")
    time.sleep(0.1)
    released = threading.Event()
    outputs.made[-1].abort = lambda: released.wait(5)  # type: ignore[method-assign]
    began = time.monotonic()
    player.stop()
    assert time.monotonic() - began < 1.0
    assert not player.is_playing
    released.set()
    player.close()


def test_empty_chunks_are_ignored() -> None:
    player = Player(stream_factory=Outputs(speed=50))
    player.enqueue(np.zeros(0, np.float32))
    assert not player.is_playing
    player.close()


# ------------------------------------------------------------ real PulseAudio null sink

@pytest.mark.audio
@needs_pulse
def test_real_playback_is_heard_on_the_monitor_for_the_right_time() -> None:
    events: list[object] = []
    player = Player(on_event=events.append)
    player.open()
    with MonitorCapture() as capture:
        time.sleep(0.2)
        player.enqueue(tone(440, 1.0, 24000, amp=0.5), "a")
        player.enqueue(tone(660, 0.5, 24000, amp=0.5), "b")
        assert player.wait_drained(5)
        time.sleep(0.3)
    player.close()
    heard = capture.samples()
    assert np.max(np.abs(heard)) > 0.3
    assert active_seconds(heard, 16000) == pytest.approx(1.5, abs=0.08)  # gapless: one 1.5 s stretch
    assert [e.tag for e in events if isinstance(e, ChunkStarted)] == ["a", "b"]


def silent_blocks_inside(samples: np.ndarray, rate: int, block_s: float = 0.01) -> int:
    """10-ms blocks of silence between the first and the last loud one (dropouts)."""
    n = int(rate * block_s)
    loud = np.abs(samples[: len(samples) // n * n].reshape(-1, n)).max(axis=1) > 0.01
    where = np.flatnonzero(loud)
    return 0 if where.size == 0 else int(np.count_nonzero(~loud[where[0]:where[-1] + 1]))


@pytest.mark.audio
@needs_pulse
def test_playback_rides_out_another_thread_holding_the_gil() -> None:
    """The audio callback needs the GIL; another thread (decoding, a C extension, a busy machine)
    can keep it for tens of milliseconds. With a 20 ms device buffer every such stall underran,
    and ALSA→PulseAudio dropped whole stretches of speech."""
    player = Player()
    player.open()
    busy = threading.Event()

    def hold_the_gil() -> None:
        while busy.is_set():
            until = time.perf_counter() + 0.035
            while time.perf_counter() < until:  # pure Python within one switch interval: keeps the GIL
                pass
            time.sleep(0.1)

    interval = sys.getswitchinterval()
    # (not beside another worker's busy loop: the callback must get a CPU at all to be on time)
    with cpu_exclusive(), MonitorCapture() as capture:
        time.sleep(0.2)
        busy.set()
        sys.setswitchinterval(0.05)
        hog = threading.Thread(target=hold_the_gil, daemon=True)
        hog.start()
        try:
            player.enqueue(tone(440, 1.5, 24000, amp=0.5))
            assert player.wait_drained(5)
        finally:
            busy.clear()
            sys.setswitchinterval(interval)
            hog.join(1)
        time.sleep(0.3)
    player.close()
    heard = capture.samples()
    assert silent_blocks_inside(heard, 16000) == 0
    assert active_seconds(heard, 16000) == pytest.approx(1.5, abs=0.08)


@pytest.mark.audio
@needs_pulse
def test_real_stop_latency_is_under_50_ms() -> None:
    events: list[object] = []
    player = Player(on_event=events.append)
    player.open()
    with MonitorCapture() as capture:
        time.sleep(0.2)
        player.enqueue(tone(440, 3.0, 24000, amp=0.5), "long")
        deadline = time.monotonic() + 5  # a new ALSA→Pulse stream may take ~2 s to start flowing
        while not events and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.8)
        stop_at = time.monotonic()
        player.stop()
        stop_call = time.monotonic() - stop_at
        time.sleep(0.4)
    latency = player.latency
    player.close()
    started = next(e.at for e in events if isinstance(e, ChunkStarted))
    heard = active_seconds(capture.samples(), 16000)
    # The tone reached the sink `latency` after ChunkStarted and was heard for `heard` seconds,
    # so it went silent (heard - (stop_at - started)) + latency after stop() was called.
    silent_after = heard - (stop_at - started) + latency
    print(f"stop() call {stop_call * 1000:.1f} ms, silent {silent_after * 1000:.0f} ms after stop "
          f"(device latency {latency * 1000:.0f} ms)")
    assert 0.03 < latency < 0.15  # a buffer that rides out a callback held up by the GIL
    assert stop_call < 0.05
    assert silent_after < 0.05
    assert heard > 0.5


@pytest.mark.audio
@needs_pulse
def test_playing_while_recording_cuts_neither() -> None:
    events: list[object] = []
    rec = Recorder()
    player = Player(on_event=events.append)
    rec.start()
    player.open()
    time.sleep(0.2)
    player.enqueue(tone(440, 1.2, 24000, amp=0.5), "tone")
    assert player.wait_drained(5)
    time.sleep(0.3)
    assert rec.is_recording
    clip = rec.stop()
    player.enqueue(tone(440, 0.2, 24000), "after")  # the player lives on after the recorder stopped
    assert player.wait_drained(3)
    player.close()
    assert clip.peak > 0.3
    assert active_seconds(clip.samples, 16000) == pytest.approx(1.2, abs=0.08)
    assert [e.tag for e in events if isinstance(e, ChunkStarted)] == ["tone", "after"]
