"""The microphone's audio as a stream of chunks while the user speaks (`Recorder.chunks`): what a
live transcript or voice endpointing will read. A reader polls while the real null-sink microphone
hears a recorded sentence on a loaded CPU: the chunks arrive during the recording, in order, with
timestamps, nothing dropped, and the clip at the release is exactly what was read."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

from desktop_assistant.audio.chunks import AudioChunks, Chunk
from desktop_assistant.audio.recorder import Recorder
from tests.desktop.harness import cpu_hog
from tests.support.audio import FIXTURES, play_into_sink


def test_readers_keep_their_own_place_and_the_chunks_stop_at_the_capacity() -> None:
    chunks = AudioChunks(rate=16000, capacity=1000)
    assert chunks.append(np.ones(400, np.float32), 1.0) == 400
    first = chunks.read()
    assert chunks.append(np.full(400, 2.0, np.float32), 1.02) == 400
    assert chunks.append(np.full(400, 3.0, np.float32), 1.04) == 200  # cut at the capacity
    assert chunks.append(np.ones(10, np.float32), 1.06) == 0 and chunks.full
    assert [c.seq for c in first] == [0]
    later = chunks.read(first[-1].seq)
    assert [(c.seq, c.offset, len(c.samples), c.at) for c in later] == [(1, 400, 400, 1.02), (2, 800, 200, 1.04)]
    assert chunks.read(2) == []
    assert chunks.samples().tolist() == [1.0] * 400 + [2.0] * 400 + [3.0] * 200


def test_a_block_is_copied_so_the_device_can_reuse_its_buffer() -> None:
    chunks = AudioChunks(rate=16000, capacity=100)
    block = np.ones(10, np.float32)
    chunks.append(block, 0.0)
    block[:] = 0
    assert chunks.samples().tolist() == [1.0] * 10


@pytest.mark.audio
@pytest.mark.slow
def test_the_chunks_are_readable_while_recording_and_make_the_clip() -> None:
    recorder = Recorder(device=None, max_seconds=30.0)
    read: list[Chunk] = []
    reads_with_news = 0
    done = threading.Event()
    with cpu_hog(1):
        recorder.start()
        try:
            current = recorder.chunks
            assert current is not None and current.rate == recorder.sample_rate

            def poll() -> None:
                nonlocal reads_with_news
                while not done.is_set():
                    news = current.read(read[-1].seq if read else -1)
                    reads_with_news += bool(news)
                    read.extend(news)
                    time.sleep(0.05)  # a live transcript polls about this often

            reader = threading.Thread(target=poll, daemon=True)
            reader.start()
            deadline = time.monotonic() + 10
            while not read and time.monotonic() < deadline:  # the microphone delivers audio
                time.sleep(0.02)
            assert read, "no audio arrived while recording"
            play_into_sink(FIXTURES / "weather.wav").wait(20)
            time.sleep(0.3)
            while_recording = len(read)
            overflows = current.overflows
        finally:
            clip = recorder.stop()
            done.set()
    reader.join(5)
    read.extend(current.read(read[-1].seq))  # what arrived between the reader's last look and the release
    assert recorder.chunks is None  # (not recording)
    seconds = sum(len(c.samples) for c in read[:while_recording]) / current.rate
    assert seconds > 2.7, f"only {seconds:.2f} s of audio were readable during the recording"
    assert reads_with_news >= 20, reads_with_news  # it arrived piece by piece, not at the end
    assert [c.seq for c in read] == list(range(len(read)))
    assert [c.offset for c in read] == list(np.cumsum([0] + [len(c.samples) for c in read[:-1]]))
    assert all(b.at >= a.at for a, b in itertools.pairwise(read))
    span = read[-1].at - read[0].at
    assert abs(span - read[-1].offset / current.rate) < 0.5, span  # the timestamps follow the audio
    assert overflows == 0, f"the device dropped audio {overflows} times"
    live = np.concatenate([c.samples for c in read])
    if current.rate == 16000:  # the clip is the same audio (resampled when the device ran at 48 kHz)
        assert np.array_equal(clip.samples, live)
    else:
        assert abs(clip.duration_s - len(live) / current.rate) < 0.01
    assert np.abs(live).max() > 0.05  # the sentence, not silence
