"""Playback through one explicit `sounddevice.OutputStream` fed from a queue of PCM chunks.

Chunks play back to back with no gap (the callback fills each block from as many
chunks as it needs). The device buffers `LATENCY_S` of audio: enough that a callback held
up for a few tens of milliseconds (another thread holding the GIL on a busy machine) does
not underrun, which on ALSA→PulseAudio can drop whole stretches of speech. `stop()` clears
the queue and flushes that buffer (abort + start), so output is silent within a few
milliseconds however long the buffer (see test_player.py).
Events come from the audio thread: `ChunkStarted(at, tag)` when a chunk's first sample
is handed to the device and `Drained(at)` when the queue has run dry (the last sample
handed over; audible `latency` later). Listeners must be cheap.

Playback and recording use separate explicit streams (never `sd.play`/`sd.stop`,
which share one global stream), so playing while recording cuts neither.

Note: a new ALSA→PulseAudio output stream can take ~2 s before its callbacks flow (seen
with the test null sink), so open the player early, not at the first reply.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from desktop_assistant.audio.decode import resample
from desktop_assistant.audio.devices import Device, load_sounddevice, missing_server_device, pick
from desktop_assistant.audio.events import ChunkStarted, Drained, PlaybackFailed, PlayerEvent
from desktop_assistant.audio.streams import close_stream, flush_stream, open_at_rates
from desktop_assistant.errors import AudioError

log = logging.getLogger(__name__)
LATENCY_S = 0.05  # the device buffer asked for (PulseAudio gives ~60 ms); see the module docstring
__all__ = ["ChunkStarted", "Drained", "PlaybackFailed", "Player", "PlayerEvent"]




class Player:
    def __init__(self, device: str | int | None = None, sample_rate: int = 24000,
                 on_event: Callable[[PlayerEvent], None] | None = None,
                 stream_factory: Callable[..., Any] | None = None, *, block_s: float = 0.01) -> None:
        self.device = device
        self.sample_rate = int(sample_rate)
        self.on_event = on_event
        self._factory = stream_factory
        self._block_s = block_s
        self._lock = threading.Lock()
        self._queue: collections.deque[tuple[np.ndarray, Any]] = collections.deque()
        self._current: np.ndarray | None = None
        self._pos = 0
        self._drained = threading.Event()
        self._drained.set()
        self._stream: Any = None
        self._stream_rate = self.sample_rate
        self._closing = False
        self._restarting = False  # stop() is aborting and restarting the stream

    # -- lifecycle ----------------------------------------------------------------------
    def open(self) -> None:
        if self._stream is not None:
            return
        sd = load_sounddevice()
        factory = self._factory or sd.OutputStream
        route: Any = contextlib.nullcontext()
        dev: Device | None = None
        if self._factory is None:
            dev = pick(self.device, "output")
            device_arg: Any = dev.index
            native, route = int(dev.default_samplerate), dev.routed("output")
        else:
            device_arg, native = self.device, 48000
        self._closing = False

        def make(samplerate: int, **kw: Any) -> Any:
            return factory(samplerate=samplerate, blocksize=max(1, int(samplerate * self._block_s)), **kw)

        try:
            with route:  # a PulseAudio/PipeWire sink: ALSA's "pulse" device, pointed at it
                stream, rate = open_at_rates(make, [self.sample_rate, native, 48000, 44100], "audio output",
                                             channels=1, dtype="float32", device=device_arg, latency=LATENCY_S,
                                             callback=self._callback, finished_callback=self._finished)
        except AudioError as exc:
            raise (dev and missing_server_device(dev, "output")) or exc from None
        self._stream_rate = rate
        try:
            stream.start()
        except Exception as exc:  # noqa: BLE001
            close_stream(stream, abort=True)
            raise AudioError(f"Cannot start audio output: {exc}") from None
        self._stream = stream
        log.info("audio output open at %d Hz (chunks at %d Hz)", rate, self.sample_rate)

    def close(self) -> None:
        """Close the stream: what was still queued is dropped, but after a drained queue the
        last `latency` of audio (the end of the last word) plays out first."""
        self._closing = True
        with self._lock:
            was_playing = not self._drained.is_set()
            self._queue.clear()
            self._current = None
        stream, self._stream = self._stream, None
        if stream is not None:
            close_stream(stream, abort=was_playing)
        self._drained.set()

    # -- feeding ------------------------------------------------------------------------
    def enqueue(self, pcm: np.ndarray, tag: Any = None) -> None:
        """Queue float32 mono PCM at `sample_rate`; it plays right after what is queued."""
        samples = np.ascontiguousarray(pcm, dtype=np.float32).reshape(-1)
        if self._stream is None:
            self.open()
        if self._stream_rate != self.sample_rate:
            samples = resample(samples, self.sample_rate, self._stream_rate)
        if samples.size == 0:
            return
        with self._lock:
            self._queue.append((samples, tag))
            self._drained.clear()

    def stop(self) -> None:
        """Silence now and forget everything queued.

        The next callback writes silence, and what the device has buffered (`latency`) is
        dropped by aborting and restarting the stream: silent within ~5 ms (measured at the
        sink). Unlike opening a new stream (~2 s on ALSA→PulseAudio), a restart flows again
        after about one buffer.
        """
        with self._lock:
            was_playing = not self._drained.is_set()
            self._queue.clear()
            self._current = None
            self._pos = 0
            self._drained.set()  # under the lock: no Drained event for a stop
        if was_playing:
            self._flush()

    def _flush(self) -> None:
        stream = self._stream
        if stream is None:
            return
        self._restarting = True
        try:
            flush_stream(stream)  # bounded: a wedged device must not hang Stop
        finally:
            self._restarting = False
        self._confirm_dead(stream)  # reports the output as failed if it did not start again

    @property
    def latency(self) -> float:
        """Seconds of audio the device buffers after the callback (0 when closed)."""
        stream = self._stream
        try:
            return float(stream.latency) if stream is not None else 0.0
        except (AttributeError, TypeError):
            return 0.0

    def wait_drained(self, timeout: float) -> bool:
        return self._drained.wait(timeout)

    @property
    def is_playing(self) -> bool:
        return not self._drained.is_set()

    # -- audio thread -------------------------------------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        out = outdata[:, 0] if outdata.ndim == 2 else outdata
        events: list[PlayerEvent] = []
        filled = 0
        with self._lock:
            while filled < frames:
                if self._current is None:
                    if not self._queue:
                        break
                    self._current, tag = self._queue.popleft()
                    self._pos = 0
                    events.append(ChunkStarted(time.monotonic(), tag))
                n = min(frames - filled, len(self._current) - self._pos)
                out[filled:filled + n] = self._current[self._pos:self._pos + n]
                filled += n
                self._pos += n
                if self._pos >= len(self._current):
                    self._current = None
            if filled < frames:
                out[filled:] = 0.0
            if self._current is None and not self._queue and not self._drained.is_set():
                self._drained.set()
                events.append(Drained(time.monotonic()))
        if outdata.ndim == 2 and outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]
        for event in events:
            self._emit(event)

    def _finished(self) -> None:
        """The stream ended without close(): the device is gone (confirmed if it stays inactive)."""
        stream = self._stream
        if stream is None or self._closing or self._restarting:
            return
        timer = threading.Timer(0.2, self._confirm_dead, args=(stream,))
        timer.daemon = True
        timer.start()

    def _confirm_dead(self, stream: Any) -> None:
        if self._closing or stream is not self._stream or getattr(stream, "active", True):
            return
        error = AudioError("The audio output stopped working", "check the output device, then try again")
        log.warning("%s", error)
        with self._lock:
            self._queue.clear()
            self._current = None
        self._stream = None
        self._drained.set()
        self._emit(PlaybackFailed(time.monotonic(), error))

    def _emit(self, event: PlayerEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # a listener must not kill the audio thread
            log.exception("player listener failed")
