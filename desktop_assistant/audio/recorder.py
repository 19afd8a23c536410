"""Push-to-talk recording with one explicit `sounddevice.InputStream`.

The audio callback only copies each block into the recording's `AudioChunks` (bounded,
timestamped, readable while the user speaks: `Recorder.chunks`) and publishes a level (RMS, dBFS)
about 20 times a second. `stop()` joins the chunks, resamples to 16 kHz when the device could not
open at 16 kHz, and returns an `AudioClip`.
Reaching `max_seconds` stops capturing and emits `RecordingLimitReached`; a
device that dies mid-recording emits `RecordingFailed` and `stop()` raises its
`AudioError`. Either way the recorder is ready for the next `start()`.
`stop()` and `cancel()` never wait for the device (a release or Stop must not): the clip ends at
the call, and the stream is dropped on a thread that the next `start()` waits for (bounded).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from desktop_assistant.audio.chunks import AudioChunks
from desktop_assistant.audio.clip import SAMPLE_RATE, AudioClip, rms_dbfs
from desktop_assistant.audio.decode import resample
from desktop_assistant.audio.devices import Device, load_sounddevice, missing_server_device, pick
from desktop_assistant.audio.events import MicrophoneOpened, RecorderEvent, RecordingFailed, RecordingLimitReached
from desktop_assistant.audio.streams import CLOSE_TIMEOUT_S, close_stream, open_at_rates
from desktop_assistant.errors import AudioError

log = logging.getLogger(__name__)

LEVEL_INTERVAL_S = 0.05  # ~20 level updates per second
STALL_S = 1.5  # no audio for this long while recording: the device is gone


__all__ = ["MicrophoneOpened", "Recorder", "RecorderEvent", "RecordingFailed", "RecordingLimitReached"]


class Recorder:
    """`start()` / `stop() -> AudioClip` (float32, 16 kHz mono); `cancel()` discards."""

    def __init__(self, device: str | int | None = None, max_seconds: float = 120.0,
                 on_level: Callable[[float], None] | None = None,
                 on_event: Callable[[RecorderEvent], None] | None = None,
                 stream_factory: Callable[..., Any] | None = None, *,
                 capture_rate: int | None = None, block_s: float = 0.02,
                 cue: Callable[[str], None] | None = None) -> None:
        self.device = device
        self.max_seconds = float(max_seconds)
        self.on_level = on_level
        self.on_event = on_event
        self._factory = stream_factory
        self._capture_rate = capture_rate  # force a device rate (tests; devices known to need it)
        self._block_s = block_s
        self._cue = cue  # called with "start"/"stop" (e.g. enqueue a tone on the player)
        self._lock = threading.Lock()
        self._stream: Any = None
        self._closing: threading.Thread | None = None  # a stream being dropped in the background
        self._reset(0)

    def _reset(self, rate: int) -> None:
        self._rate = rate
        self._chunks = AudioChunks(rate, int(self.max_seconds * rate))
        self._limit_hit = False
        self._stopping = False
        self._failure: AudioError | None = None
        self._level_sq = 0.0
        self._level_n = 0
        self._seen = 0
        self._next_level_at = rate * LEVEL_INTERVAL_S
        self._started_at = 0.0
        self._last_block_at = 0.0

    @property
    def is_recording(self) -> bool:
        return self._stream is not None

    @property
    def chunks(self) -> AudioChunks | None:
        """The current recording's audio so far (None when not recording): read it while the user
        speaks; `stop()` returns all of it as the clip."""
        return self._chunks if self._stream is not None else None

    @property
    def sample_rate(self) -> int:
        """The rate the device is delivering (0 when not recording)."""
        return self._rate

    def start(self) -> None:
        if self._stream is not None:
            return
        self._wait_closed()
        sd = load_sounddevice()
        factory = self._factory or sd.InputStream
        route: Any = contextlib.nullcontext()
        dev: Device | None = None
        if self._factory is None:
            dev = pick(self.device, "input")
            device_arg: Any = dev.index
            name, native, route = dev.name, int(dev.default_samplerate), dev.routed("input")
        else:
            device_arg, name, native = self.device, str(self.device or "default"), 48000
        rates = [self._capture_rate] if self._capture_rate else [SAMPLE_RATE, native, 48000, 44100]
        self._callback_stop = sd.CallbackStop

        def make(samplerate: int, **kw: Any) -> Any:
            self._reset(samplerate)
            return factory(samplerate=samplerate, blocksize=max(1, int(samplerate * self._block_s)), **kw)

        try:
            with route:  # a PulseAudio/PipeWire source: ALSA's "pulse" device, pointed at it
                opened, rate = open_at_rates(make, rates, "microphone", channels=1, dtype="float32",
                                             device=device_arg, callback=self._callback,
                                             finished_callback=self._finished)
        except AudioError as exc:
            raise (dev and missing_server_device(dev, "input")) or exc from None
        self._started_at = self._last_block_at = time.monotonic()
        # current before start(): a stream that ends at once (a device dying as it opens) must find
        # itself current in _finished, or its end is taken for a late one from before and lost
        self._stream = opened
        try:
            opened.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError from a device that vanished
            self._stream = None
            close_stream(opened, abort=True)
            raise AudioError(f"Cannot start recording from '{name}': {exc}") from None
        log.info("recording from %s at %d Hz", name, rate)
        if self._cue is not None:
            self._safe(self._cue, "start")
        self._emit(MicrophoneOpened(self._started_at, rate, name))

    # -- audio thread -------------------------------------------------------------------
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if self._stopping or not self._rate:  # a stream being dropped (stop/cancel): keep nothing
            return
        chunks = self._chunks
        if status and getattr(status, "input_overflow", False):
            chunks.overflows += 1
        block = indata[:, 0] if indata.ndim == 2 else indata
        self._last_block_at = time.monotonic()
        chunks.append(block, self._last_block_at)
        self._level_sq += float(np.dot(block, block))
        self._level_n += len(block)
        self._seen += len(block)
        if self._seen >= self._next_level_at:  # on average every LEVEL_INTERVAL_S of audio
            self._next_level_at += self._rate * LEVEL_INTERVAL_S
            rms = (self._level_sq / self._level_n) ** 0.5
            self._level_sq, self._level_n = 0.0, 0
            if self.on_level is not None:
                self._safe(self.on_level, rms_dbfs(rms))
        if chunks.full and not self._limit_hit:
            self._limit_hit = True
            log.info("recording reached its limit of %.0f s", self.max_seconds)
            self._emit(RecordingLimitReached(time.monotonic(), self.max_seconds))
            raise self._callback_stop

    def _finished(self) -> None:
        if self._stopping or self._limit_hit or self._stream is None:  # ours, or a late one from before
            return
        self._fail("The microphone stopped working during the recording")

    def _fail(self, message: str) -> None:
        with self._lock:
            if self._failure is not None:
                return
            self._failure = AudioError(message, "check that it is connected, then try again")
        log.warning("%s", message)
        self._emit(RecordingFailed(time.monotonic(), self._failure))

    # -- caller thread ------------------------------------------------------------------
    def stop(self) -> AudioClip:
        """End the recording and return it at 16 kHz; raises AudioError if the device failed."""
        stream = self._stream
        if stream is None:
            return AudioClip(np.zeros(0, dtype=np.float32))
        # Blocks arrived and then stopped: the device died without saying so. (No block at all
        # is not an error: a suspended source can take ~2 s to wake; the clip is just short.)
        if self._chunks.filled and not self._limit_hit and time.monotonic() - self._last_block_at > STALL_S:
            self._fail("The microphone stopped sending audio")
        self._stopping = True  # the clip ends here: what the callback still gets is dropped
        self._stream = None
        self._close_later(stream)
        log.info("microphone closed")
        if self._cue is not None:
            self._safe(self._cue, "stop")
        failure, rate, chunks = self._failure, self._rate, self._chunks
        self._reset(0)
        if chunks.overflows:
            log.warning("the microphone's buffer overflowed %d times: some audio was lost", chunks.overflows)
        if failure is not None:
            raise failure
        samples = chunks.samples()
        if rate != SAMPLE_RATE:
            samples = resample(samples, rate, SAMPLE_RATE)
        return AudioClip(samples, SAMPLE_RATE)

    def cancel(self) -> None:
        """End the recording and throw it away (no error, no clip)."""
        stream = self._stream
        if stream is None:
            return
        self._stopping = True
        self._close_later(stream)
        self._stream = None
        self._reset(0)
        log.info("microphone closed (recording dropped)")

    def close(self) -> None:
        self.cancel()
        self._wait_closed()

    def _close_later(self, stream: Any) -> None:
        """Drop `stream` on a thread. Stopping a stream usually takes ~15 ms, but ~1-2 s while a new
        stream's source is still waking (PortAudio waits for it): the caller (a release, Stop) must
        not wait for that. The next `start()` does, within close_stream's bound."""
        self._wait_closed()
        self._closing = threading.Thread(target=close_stream, args=(stream,), kwargs={"abort": True},
                                         name="recorder-close", daemon=True)
        self._closing.start()

    def _wait_closed(self) -> None:
        closing, self._closing = self._closing, None
        if closing is not None:
            closing.join(CLOSE_TIMEOUT_S)

    def _emit(self, event: RecorderEvent) -> None:
        if self.on_event is not None:
            self._safe(self.on_event, event)

    @staticmethod
    def _safe(fn: Callable[[Any], None], arg: Any) -> None:
        try:
            fn(arg)
        except Exception:  # a listener must not kill the audio thread
            log.exception("recorder listener failed")
