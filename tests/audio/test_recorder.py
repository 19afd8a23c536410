"""Recorder: unit tests with an injected fake stream, then the real PulseAudio null sink."""

from __future__ import annotations

import time

import numpy as np
import pytest
from support.audio import (
    FIXTURES,
    SENTENCES,
    SINK_MAX_WER,
    FakeInputStream,
    active_seconds,
    fixture_samples,
    play_into_sink,
    tone,
)
from support.wer import word_error_rate

from desktop_assistant.audio import recorder as recorder_module
from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.audio.events import MicrophoneOpened, RecordingFailed, RecordingLimitReached
from desktop_assistant.audio.recorder import Recorder
from desktop_assistant.errors import AudioError

needs_pulse = pytest.mark.audio


class Streams:
    """A stream_factory that remembers the streams it made."""

    def __init__(self, **options: object) -> None:
        self.options = options
        self.made: list[FakeInputStream] = []

    def __call__(self, **kwargs: object) -> FakeInputStream:
        stream = FakeInputStream(**{**kwargs, **self.options})  # type: ignore[arg-type]
        self.made.append(stream)
        return stream


def wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_records_exactly_what_the_device_delivers() -> None:
    source = fixture_samples("weather.wav")
    streams = Streams(source=source, speed=200)
    events: list[object] = []
    rec = Recorder(stream_factory=streams, on_event=events.append)
    rec.start()
    assert rec.is_recording
    wait_for(lambda: streams.made[0].blocks_sent * streams.made[0].blocksize >= len(source))
    clip = rec.stop()
    assert not rec.is_recording
    wait_for(lambda: streams.made[0].closed)  # dropped on a thread: stop() does not wait for the device
    assert clip.sample_rate == 16000
    assert np.array_equal(clip.samples[: len(source)], source)
    assert isinstance(events[0], MicrophoneOpened) and events[0].sample_rate == 16000


def test_levels_are_published_about_20_times_a_second() -> None:
    levels: list[float] = []
    streams = Streams(source=tone(440, 1.0, 16000, amp=0.5), speed=100)
    rec = Recorder(stream_factory=streams, on_level=levels.append)
    rec.start()
    wait_for(lambda: streams.made[0].blocks_sent >= 50)  # 50 blocks of 20 ms = 1 s of audio
    rec.stop()
    assert 18 <= len(levels) <= 22
    assert levels[5] == pytest.approx(-9.03, abs=0.3)  # RMS of a 0.5 sine in dBFS


def test_max_length_stops_with_a_notice_and_bounds_the_buffer() -> None:
    events: list[object] = []
    streams = Streams(source=tone(300, 5.0, 16000), speed=200)
    rec = Recorder(max_seconds=0.5, stream_factory=streams, on_event=events.append)
    rec.start()
    wait_for(lambda: any(isinstance(e, RecordingLimitReached) for e in events))
    wait_for(lambda: not streams.made[0].active)  # the callback stopped the stream itself
    clip = rec.stop()
    assert clip.duration_s == pytest.approx(0.5)
    notice = next(e for e in events if isinstance(e, RecordingLimitReached))
    assert notice.seconds == 0.5
    rec.start()  # usable again: a new stream, recording real audio, bounded again
    assert len(streams.made) == 2 and rec.is_recording
    wait_for(lambda: streams.made[1].blocks_sent >= 15)  # 0.3 s of the tone
    again = rec.stop()
    assert 0.3 <= again.duration_s <= 0.5
    assert again.peak == pytest.approx(0.3, abs=0.01)  # the tone (amplitude 0.3), not silence
    assert np.array_equal(again.samples, streams.made[1].source[: len(again.samples)])


def test_device_error_mid_recording_is_clear_and_recoverable() -> None:
    events: list[object] = []
    streams = Streams(source=tone(300, 5.0, 16000), speed=100, fail_after=5)
    rec = Recorder(stream_factory=streams, on_event=events.append)
    rec.start()
    wait_for(lambda: any(isinstance(e, RecordingFailed) for e in events))
    with pytest.raises(AudioError, match="microphone stopped working"):
        rec.stop()
    assert not rec.is_recording
    streams.options["fail_after"] = None
    rec.start()
    wait_for(lambda: streams.made[-1].blocks_sent >= 10)
    assert rec.stop().duration_s >= 0.2


def test_a_device_that_goes_quiet_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "STALL_S", 0.2)
    streams = Streams(source=tone(300, 5.0, 16000), speed=0.01)  # one block, then 2 s of nothing
    rec = Recorder(stream_factory=streams)
    rec.start()
    time.sleep(0.4)
    with pytest.raises(AudioError, match="stopped sending audio"):
        rec.stop()
    assert not rec.is_recording


def test_a_device_slow_to_wake_gives_a_short_clip_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "STALL_S", 0.2)

    class Sleepy(FakeInputStream):
        def start(self) -> None:  # never delivers a block (like a suspended source waking up)
            self.active = True

    rec = Recorder(stream_factory=lambda **kw: Sleepy(**kw))
    rec.start()
    time.sleep(0.4)
    assert rec.stop().duration_s == 0


def test_device_without_16k_is_recorded_at_its_rate_and_resampled() -> None:
    streams = Streams(source=tone(440, 1.0, 48000, amp=0.5), speed=200, reject_rates=[16000])
    events: list[object] = []
    rec = Recorder(stream_factory=streams, on_event=events.append)
    rec.start()
    assert streams.made[-1].samplerate == 48000
    assert rec.sample_rate == 48000
    wait_for(lambda: streams.made[-1].blocks_sent >= 50)
    clip = rec.stop()
    assert clip.sample_rate == 16000
    assert clip.duration_s == pytest.approx(1.0, abs=0.05)
    spectrum = np.abs(np.fft.rfft(clip.samples[:16000]))
    assert abs(np.argmax(spectrum) * 16000 / len(clip.samples[:16000]) - 440) < 3
    assert isinstance(events[0], MicrophoneOpened) and events[0].sample_rate == 48000


class SlowToStop(FakeInputStream):
    """A stream that takes 1.5 s to stop, like a PulseAudio source still waking (measured ~1.7 s)."""

    def stop(self) -> None:
        if not self._stop.is_set():
            time.sleep(1.5)
        super().stop()

    abort = stop


def test_release_and_stop_do_not_wait_for_a_stream_slow_to_stop() -> None:
    made: list[FakeInputStream] = []

    def factory(**kwargs: object) -> FakeInputStream:
        made.append(SlowToStop(**{**kwargs, "source": tone(300, 2.0, 16000), "speed": 1.0}))  # type: ignore[arg-type]
        return made[-1]

    rec = Recorder(stream_factory=factory)
    for end in (rec.stop, rec.cancel):
        rec.start()
        wait_for(lambda: made[-1].blocks_sent >= 5)
        start = time.monotonic()
        end()
        assert time.monotonic() - start < 0.2 and not rec.is_recording
    assert not made[-1].closed  # still being dropped on its thread
    rec.start()  # waits for that first: never two streams open
    assert made[-2].closed and rec.is_recording
    rec.close()


def test_no_rate_works_is_an_audio_error() -> None:
    streams = Streams(reject_rates=[16000, 48000, 44100])
    with pytest.raises(AudioError, match="Cannot open the microphone"):
        Recorder(stream_factory=streams).start()


def test_cancel_stop_without_start_cues_and_bad_listeners() -> None:
    cues: list[str] = []

    def bad_level(_: float) -> None:
        raise RuntimeError("listener bug")

    streams = Streams(source=tone(300, 2.0, 16000), speed=100)
    rec = Recorder(stream_factory=streams, on_level=bad_level, cue=cues.append)
    empty = rec.stop()  # not recording: an empty clip
    assert isinstance(empty, AudioClip) and empty.duration_s == 0
    rec.start()
    wait_for(lambda: streams.made[-1].blocks_sent >= 20)  # listener errors did not stop the stream
    rec.cancel()
    assert not rec.is_recording
    wait_for(lambda: streams.made[-1].closed)
    assert cues == ["start"]
    rec.start()
    rec.stop()
    assert cues == ["start", "start", "stop"]


# ------------------------------------------------------------ real PulseAudio null sink

@pytest.mark.audio
@pytest.mark.slow
@needs_pulse
@pytest.mark.parametrize("capture_rate", [None, 48000], ids=["16k", "48k-resampled"])
def test_record_the_sink_monitor_and_transcribe(transcriber, capture_rate: int | None) -> None:  # type: ignore[no-untyped-def]
    levels: list[float] = []
    rec = Recorder(on_level=levels.append, capture_rate=capture_rate)
    rec.start()
    assert rec.sample_rate == (capture_rate or 16000)
    player = play_into_sink(FIXTURES / "weather.wav", delay_s=0.2)
    assert player.wait(timeout=15) == 0
    heard = len(levels)
    wait_for(lambda: len(levels) >= heard + 6)  # 0.3 s past paplay's end reached the recorder
    clip = rec.stop()
    assert clip.sample_rate == 16000
    assert clip.peak > 0.2
    expected = active_seconds(fixture_samples("weather.wav"), 16000)
    assert active_seconds(clip.samples, 16000) == pytest.approx(expected, abs=0.15)
    assert max(levels) > -30 and min(levels) < -60  # the meter saw speech and silence
    result = transcriber.transcribe(clip, language="en")
    assert word_error_rate(SENTENCES["weather.wav"], result.text) <= SINK_MAX_WER, result.text


@pytest.mark.audio
@needs_pulse
def test_unknown_device_name_is_a_clear_error() -> None:
    with pytest.raises(AudioError, match="no microphone named 'No Such Mic'"):
        Recorder(device="No Such Mic").start()


