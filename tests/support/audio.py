"""Audio helpers for tests: WAV files, encoding with PyAV, text matching, the PulseAudio
null sink started by scripts/test-env.sh, and sounddevice-like fake streams.

Import as `from support.audio import …` (tests/ is on sys.path through conftest.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# The committed speech fixtures and what espeak-ng was asked to say (see tests/fixtures/README.md).
SENTENCES: dict[str, str] = {
    "fox.wav": "The quick brown fox jumps over the lazy dog.",
    "weather.wav": "What is the weather like in London today?",
    "lights.wav": "Please turn off the lights in the kitchen.",
}
SILENCE = "silence.wav"
NOISE = "noise.wav"
# weather.wav is heard word for word by the app's path under every numerics bench/stt_numerics.py
# produced (22: CPU ISAs, oneDNN caps, 1-2 threads, int8/float32), also as MP3, FLAC and Opus, at
# 44.1 kHz, after 0.1-1.2 s of silence, captured at 48 kHz and resampled, at half volume: tests
# that feed it in memory assert every word. Played live through the null sink, a capture can start
# late or lose a block on a loaded machine: up to 2 of its 8 words may be wrong (18 live captures,
# one round beside a CPU hog, were all word for word; tests/fixtures/README.md).
SINK_MAX_WER = 0.25


# ---------------------------------------------------------------- files

def write_wav(path: Path, samples: np.ndarray, sample_rate: int = 16000) -> Path:
    """float32 mono -1..1 → 16-bit PCM WAV (stdlib `wave`)."""
    pcm = (np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit WAV as float32 mono (channels averaged) and its rate."""
    with wave.open(str(path), "rb") as w:
        channels, rate, width = w.getnchannels(), w.getframerate(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    assert width == 2, f"{path}: expected 16-bit PCM"
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def fixture_samples(name: str) -> np.ndarray:
    samples, rate = read_wav(FIXTURES / name)
    assert rate == 16000
    return samples


def encode(samples: np.ndarray, sample_rate: int, path: Path, codec: str) -> Path:
    """Encode float32 mono PCM to `path` with PyAV (codec: 'mp3', 'flac', 'opus', 'pcm_s16le')."""
    import av

    rate = 48000 if codec in ("opus", "libopus") else sample_rate
    if rate != sample_rate:
        from desktop_assistant.audio.decode import resample

        samples = resample(samples, sample_rate, rate)
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        fmt = stream.codec_context.codec.audio_formats[0].name
        step = 4096
        for start in range(0, len(samples), step):
            block = np.asarray(samples[start:start + step], dtype=np.float32)
            frame = _frame(block, fmt, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _frame(block: np.ndarray, fmt: str, rate: int) -> Any:
    import av

    if fmt.startswith("s16"):
        data = (np.clip(block, -1, 1) * 32767).astype(np.int16)
    elif fmt.startswith("s32"):
        data = (np.clip(block, -1, 1) * 2147483647).astype(np.int32)
    else:
        data = block.astype(np.float32)
    frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=fmt, layout="mono")
    frame.sample_rate = rate
    return frame


def tone(freq: float = 440.0, seconds: float = 1.0, sample_rate: int = 16000, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# ---------------------------------------------------------------- text

def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: what 'the same words' means in tests."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


# Scoring what was heard: support/wer.py (word error rate, insertions included).


# ---------------------------------------------------------------- PulseAudio null sink

def pulse_available() -> bool:
    """True inside scripts/test-env.sh (private PulseAudio with the `vsink` null sink)."""
    return os.environ.get("DA_TEST_PULSE") == "1" and shutil.which("paplay") is not None


def play_into_sink(path: Path, *, delay_s: float = 0.0) -> subprocess.Popen[bytes]:
    """Start `paplay` of `path` into vsink (after `delay_s`); the caller waits on it."""
    cmd = ["paplay", "--device=vsink", str(path)]
    if delay_s > 0:
        cmd = ["sh", "-c", f"sleep {delay_s:.3f}; exec paplay --device=vsink '{path}'"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class MonitorCapture:
    """Capture the sink monitor with `parec` (16 kHz mono s16) in a background process."""

    def __init__(self, sample_rate: int = 16000) -> None:
        self.sample_rate = sample_rate
        self._proc: subprocess.Popen[bytes] | None = None
        self._data = bytearray()
        self._reader: threading.Thread | None = None
        self.started_at = 0.0

    def __enter__(self) -> MonitorCapture:
        self._proc = subprocess.Popen(
            ["parec", "-d", "vsink.monitor", f"--rate={self.sample_rate}", "--channels=1", "--format=s16le",
             "--latency-msec=10"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.started_at = time.monotonic()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def wait_flowing(self, timeout: float = 10.0) -> bool:
        """Block until parec has delivered audio (the monitor stream runs): what plays from now on is
        captured. A fixed sleep is not enough on a loaded machine, nor for parec's first start."""
        deadline = time.monotonic() + timeout
        while len(self._data) < self.sample_rate // 10 and time.monotonic() < deadline:  # 50 ms of s16
            time.sleep(0.01)
        return len(self._data) >= self.sample_rate // 10

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while chunk := self._proc.stdout.read1(4096):
            self._data.extend(chunk)

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self._proc is not None and self._proc.stdout is not None:
            self._proc.stdout.close()

    def samples(self) -> np.ndarray:
        data = bytes(self._data[: len(self._data) // 2 * 2])
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def active_seconds(samples: np.ndarray, sample_rate: int, threshold: float = 0.01, block_s: float = 0.01) -> float:
    """Time from the first to the last block whose peak exceeds `threshold` (0 if none)."""
    n = max(1, int(block_s * sample_rate))
    blocks = samples[: len(samples) // n * n].reshape(-1, n)
    loud = np.flatnonzero(np.abs(blocks).max(axis=1) > threshold)
    return 0.0 if loud.size == 0 else (loud[-1] - loud[0] + 1) * block_s


# ---------------------------------------------------------------- fake sounddevice streams

class FakeInputStream:
    """A sounddevice.InputStream look-alike that feeds `source` (float32 mono) to the callback
    from a thread, block by block, `speed` times faster than real time.

    `fail_after` blocks: the stream dies (finished_callback without stop(), like an unplugged mic).
    `reject_rates`: opening at one of these rates raises like PortAudio's "Invalid sample rate".
    """

    def __init__(self, *, samplerate: float, channels: int = 1, dtype: str = "float32", blocksize: int = 0,
                 callback: Callable[..., None] | None = None, finished_callback: Callable[[], None] | None = None,
                 device: Any = None, source: np.ndarray | None = None, speed: float = 50.0,
                 fail_after: int | None = None, reject_rates: Iterable[int] = (), loop: bool = False,
                 **_: Any) -> None:
        if int(samplerate) in set(reject_rates):
            import sounddevice as sd

            raise sd.PortAudioError("Error opening InputStream: Invalid sample rate [PaErrorCode -9997]")
        self.samplerate = float(samplerate)
        self.channels = channels
        self.blocksize = blocksize or int(samplerate // 50)
        self.callback = callback
        self.finished_callback = finished_callback
        self.device = device
        self.source = np.zeros(int(samplerate * 60), np.float32) if source is None else source
        self.speed = speed
        self.fail_after = fail_after
        self.loop = loop
        self.active = False
        self.closed = False
        self.blocks_sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import sounddevice as sd

        pos, n = 0, self.blocksize
        try:
            while not self._stop.is_set():
                if self.fail_after is not None and self.blocks_sent >= self.fail_after:
                    break
                if pos >= len(self.source):
                    if not self.loop:
                        time.sleep(n / self.samplerate / self.speed)
                        continue
                    pos = 0
                block = self.source[pos:pos + n]
                if len(block) < n:
                    block = np.concatenate([block, np.zeros(n - len(block), np.float32)])
                pos += n
                data = np.repeat(block.reshape(-1, 1), self.channels, axis=1).astype(np.float32)
                try:
                    assert self.callback is not None
                    self.callback(data, n, None, sd.CallbackFlags())
                except sd.CallbackStop:
                    break
                self.blocks_sent += 1
                time.sleep(n / self.samplerate / self.speed)
        finally:
            self.active = False
            if self.finished_callback is not None:
                self.finished_callback()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    abort = stop

    def close(self) -> None:
        self.stop()
        self.closed = True

    def __enter__(self) -> FakeInputStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FakeOutputStream:
    """A sounddevice.OutputStream look-alike: a thread asks the callback for blocks
    `speed` times faster than real time and keeps what it got in `written`."""

    def __init__(self, *, samplerate: float, channels: int = 1, dtype: str = "float32", blocksize: int = 0,
                 callback: Callable[..., None] | None = None, finished_callback: Callable[[], None] | None = None,
                 device: Any = None, speed: float = 20.0, reject_rates: Iterable[int] = (), **_: Any) -> None:
        if int(samplerate) in set(reject_rates):
            import sounddevice as sd

            raise sd.PortAudioError("Error opening OutputStream: Invalid sample rate [PaErrorCode -9997]")
        self.samplerate = float(samplerate)
        self.channels = channels
        self.blocksize = blocksize or int(samplerate // 50)
        self.callback = callback
        self.finished_callback = finished_callback
        self.speed = speed
        self.written: list[np.ndarray] = []
        self.active = False
        self.closed = False
        self.starts = 0
        self.aborts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop = threading.Event()
        self.active = True
        self.starts += 1
        self._thread = threading.Thread(target=self._run, args=(self._stop,), daemon=True)
        self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        import sounddevice as sd

        n = self.blocksize
        try:
            while not stop.is_set():
                out = np.full((n, self.channels), np.nan, dtype=np.float32)
                assert self.callback is not None
                self.callback(out, n, None, sd.CallbackFlags())
                self.written.append(out[:, 0].copy())
                time.sleep(n / self.samplerate / self.speed)
        finally:
            self.active = False
            if self.finished_callback is not None:
                self.finished_callback()

    def output(self) -> np.ndarray:
        return np.concatenate(self.written) if self.written else np.zeros(0, np.float32)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def abort(self) -> None:
        self.aborts += 1
        self.stop()

    def close(self) -> None:
        self.stop()
        self.closed = True
