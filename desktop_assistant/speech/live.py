"""A transcript that follows the user while they speak, and a final one ready at the release.

`LiveTranscription` reads a recording's chunks (audio/chunks.py) on its own thread every
`POLL_S`: it scores them for speech (speech/endpoints.py) and asks the Transcriber for
- a **partial** transcript (greedy, a short window; speech/window.py) of the speech so far, at most
  one at a time and at most every `PARTIAL_EVERY_S`: shown, never stored. Partials run only when no
  final decode waits on the model, so under load they come less often; the final never waits for
  more than one partial already running.
- a **final** transcript of the speech span as soon as the user pauses (`PAUSE_S` of silence after
  speech, the span's end pad recorded): the same decode the release would run, started early.
At the release, `finish()` scores the rest of the clip: if no speech came after that pause, the
span is the same samples and the decode already done (or under way) is the final transcript — a
"hit"; otherwise (a "miss": the user spoke on, or released mid-word) the span is decoded then.
Either way the final transcript is exactly what decoding the released clip gives.

When the user pauses, a partial covering everything said is asked for at once, and handed to
`on_guess` (the words the reply may be started on: assistant/speculation.py), then the final
decode's words as soon as they are there and differ; `on_guess(None)` when the user speaks again.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from desktop_assistant.audio.decode import resample
from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.speech.endpoints import RATE, Span, SpeechEndpoints
from desktop_assistant.speech.transcript import Early, LiveStats, LiveUpdate, Transcript

if TYPE_CHECKING:
    from desktop_assistant.audio.chunks import AudioChunks
    from desktop_assistant.audio.clip import AudioClip
    from desktop_assistant.speech.models import ResolvedModel

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often new audio is read and scored
PARTIAL_EVERY_S = 0.35  # at most this often a partial is asked for (≥ 2 updates a second)
MIN_PARTIAL_AUDIO_S = 0.3  # of speech before the first partial
GUESS_PAUSE_S = 0.12  # silence after speech that asks for a partial of all the words (a guess)
PAUSE_S = 0.3  # silence after speech that starts the final decode
RELEASE_PARTIAL_WAIT_S = 1.0  # a partial of all the words, under way at the release, is waited for this long
PARTIAL_TAIL_S = 12.0  # a partial decodes at most the last this-many seconds after the settled text



class Decoder(Protocol):
    """What live transcription needs of the speech recogniser (speech.stt.Transcriber)."""

    @property
    def resolved(self) -> ResolvedModel | None: ...
    def check_clip(self, clip: AudioClip) -> None: ...
    def submit_span(self, audio: Any, start_s: float, duration_s: float, *, language: str | None = None,
                    initial_prompt: str | None = None) -> cf.Future[Transcript]: ...
    def submit_partial(self, audio: Any, *, language: str | None = None,
                       initial_prompt: str | None = None) -> cf.Future[str]: ...
    def wait(self, future: cf.Future[Transcript], timeout: float = 60.0,
             cancel: threading.Event | None = None) -> Transcript: ...


class LiveTranscription:
    """One recording's live transcript; `finish()` at the release, `cancel()` on Stop."""

    def __init__(self, transcriber: Decoder, chunks: AudioChunks, *,
                 on_update: Callable[[LiveUpdate], None] | None = None, language: str | None = None,
                 initial_prompt: str | None = None, partials: bool = True,
                 on_guess: Callable[[str | None], None] | None = None) -> None:
        self.transcriber = transcriber
        self.chunks = chunks
        self.on_update = on_update
        self.language = language
        self.prompt = initial_prompt
        self.partials_on = partials
        self.on_guess = on_guess
        self._partial_covers = 0  # the samples the partial asked for last had heard
        self._guessed_end: int | None = None  # the speech end the last guess covered
        self._guessed = ""
        self._heard: tuple[int, str] = (0, "")  # the latest whole partial: (samples it heard, its words)
        self._settled: tuple[int, str] = (0, "")  # the latest early final: (the speech end it heard, its words)
        self.endpoints = SpeechEndpoints()
        self._read_seq = -1
        self._device: list[np.ndarray] = []  # audio at the device's rate when it is not 16 kHz
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._closed = False
        self._seq = 0
        self._shown = ""
        self._shown_covers = 0  # the samples the words shown had heard
        self._collected: cf.Future[Transcript] | None = None  # the early final last shown
        self._partial: cf.Future[str] | None = None
        self._partial_asked_at = 0.0
        self._partial_cut = False  # the partial asked for decodes only the last PARTIAL_TAIL_S
        self._speech_at: float | None = None  # when the first speech was scored
        self._first_update_at: float | None = None
        self._early: tuple[Span, np.ndarray, cf.Future[Transcript]] | None = None
        self._thread = threading.Thread(target=self._run, name="live-transcript", daemon=True)

    def start(self) -> LiveTranscription:
        self._thread.start()
        return self

    # -- the release and Stop ---------------------------------------------------------------------
    def release_guess(self, clip: AudioClip) -> str | None:
        """At the release, while the final transcript is not ready: the words to ask the reply for
        meanwhile — the final decode's if it heard all the speech, else the latest partial's that did
        (None: neither did). The reply is then asked for while the final transcript is decoded."""
        running, running_covers = self._partial, self._partial_covers  # (a partial may be under way)
        self._take(clip)
        end = self.endpoints.speech_end
        if end is None:
            return None
        settled_end, settled = self._settled
        if settled_end == end and settled:
            return settled
        covers, text = self._heard
        if text and covers >= end:
            return text
        if running is not None and running_covers >= end and not running.cancelled():
            try:  # it is decoding all the words: the final decode would wait for it anyway
                heard = running.result(RELEASE_PARTIAL_WAIT_S)
            except (cf.TimeoutError, cf.CancelledError, UserFacingError):
                return None
            return heard or None
        return None

    def _take(self, clip: AudioClip) -> None:
        """Stop following the recording and score the rest of the released clip."""
        self._halt()
        samples = clip.samples if clip.sample_rate == RATE else resample(clip.samples, clip.sample_rate, RATE)
        if len(samples) > self.endpoints.samples:
            self.endpoints.feed(samples[self.endpoints.samples:])

    def finish(self, clip: AudioClip, *, timeout: float = 60.0,
               cancel: threading.Event | None = None) -> tuple[Transcript, LiveStats]:
        """The final transcript of the released `clip` (its samples are what the chunks held)."""
        released = time.monotonic()
        self.transcriber.check_clip(clip)
        self._take(clip)
        span = self.endpoints.span()
        early = self._early
        verdict: Early = "none" if early is None else "miss"
        if span is None:
            transcript = self._nothing(clip)
        elif early is not None and early[0] == span and np.array_equal(early[1], self.endpoints.audio(span)):
            verdict = "hit"
            try:
                transcript = self.transcriber.wait(early[2], timeout, cancel)
            except UserFacingError as exc:
                if exc.kind == ErrorKind.CANCELLED:
                    raise
                # (e.g. decoded while the speech model was still loading): once more, now
                log.info("the decode at the pause failed (%s); decoding the clip again", exc)
                transcript = self._decode(span, clip, timeout, cancel)
        else:
            if early is not None:
                early[2].cancel()  # (a decode already running finishes unseen)
            transcript = self._decode(span, clip, timeout, cancel)
        waited = (time.monotonic() - released) * 1000.0
        log.info("final transcript %.0f ms after the release (early decode: %s, %d partials)",
                 waited, verdict, self._seq)
        return transcript, self.stats(verdict, waited)

    def _decode(self, span: Span, clip: AudioClip, timeout: float, cancel: threading.Event | None) -> Transcript:
        future = self.transcriber.submit_span(self.endpoints.audio(span), span.start / RATE, clip.duration_s,
                                              language=self.language, initial_prompt=self.prompt)
        return self.transcriber.wait(future, timeout, cancel)

    def stats(self, early: Early, final_wait_ms: float) -> LiveStats:
        first = None
        if self._first_update_at is not None and self._speech_at is not None:
            first = max(0.0, (self._first_update_at - self._speech_at) * 1000.0)
        return LiveStats(self._seq, first, early, round(final_wait_ms, 1))

    def stop_updates(self) -> None:
        """No update is shown after this returns (the release: the final transcript comes next)."""
        with self._lock:
            self._closed = True

    def cancel(self) -> None:
        """Stop: no more updates; decodes asked for finish unseen."""
        self._halt()
        early = self._early
        if early is not None:
            early[2].cancel()

    def _halt(self) -> None:
        self.stop_updates()
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(2.0)
        partial = self._partial
        if partial is not None:
            partial.cancel()

    # -- while the user speaks (live thread) ------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                self._wake.wait(POLL_S)  # new audio every POLL_S, or a decode just finished
                self._wake.clear()
                if self._stop.is_set():
                    return
                self._step(time.monotonic())
        except Exception:  # the live view is optional: the release still decodes the clip
            log.exception("live transcription stopped")

    def _step(self, now: float) -> None:
        if self._read_new() and self._speech_at is None and self.endpoints.heard_speech:
            start = self.endpoints.speech_start or 0  # when the first speech was said, not scored
            self._speech_at = now - (self.endpoints.samples - start) / RATE
        if not self.endpoints.heard_speech:
            return
        end = self.endpoints.speech_end
        if self._guessed_end is not None and end is not None and end > self._guessed_end:
            self._guess(None)  # the user speaks again: the guess is no longer all they said
        self._collect(now)
        self._maybe_guess()
        if self._want_early():
            span = self.endpoints.span()
            if span is not None:
                audio = self.endpoints.audio(span)
                future = self.transcriber.submit_span(audio, span.start / RATE, len(audio) / RATE,
                                                      language=self.language, initial_prompt=self.prompt)
                self._early = (span, audio, future)
                future.add_done_callback(lambda _: self._wake.set())
                return
        self._maybe_partial(now)

    def _read_new(self) -> bool:
        chunks = self.chunks.read(self._read_seq)
        if not chunks:
            return False
        self._read_seq = chunks[-1].seq
        block = np.concatenate([c.samples for c in chunks])
        if self.chunks.rate == RATE:
            self.endpoints.feed(block)
        else:  # resample what there is, keep the scored prefix (the last few ms may move at the release)
            self._device.append(block)
            whole = resample(np.concatenate(self._device), self.chunks.rate, RATE)
            keep = max(self.endpoints.samples, len(whole) - int(0.05 * RATE))
            self.endpoints.feed(whole[self.endpoints.samples:keep])
        return True

    def _want_early(self) -> bool:
        e = self.endpoints
        if e.silence_after_speech_s() < PAUSE_S or not e.span_complete():
            return False
        early = self._early
        return early is None or early[0] != e.span()

    def _maybe_partial(self, now: float) -> None:
        if not self.partials_on or self._partial is not None:
            return
        silence = self.endpoints.silence_after_speech_s()
        if silence >= GUESS_PAUSE_S:  # a pause: one partial of all the words (a guess), then the final's turn
            if self._partial_covers >= (self.endpoints.speech_end or 0):
                return
        elif now - self._partial_asked_at < PARTIAL_EVERY_S:
            return
        span = self.endpoints.span()
        if span is None or (self.endpoints.samples - span.start) / RATE < MIN_PARTIAL_AUDIO_S:
            return
        start = max(span.start, self.endpoints.samples - int(PARTIAL_TAIL_S * RATE))  # (shown after "…")
        audio = self.endpoints.audio(Span(start, self.endpoints.samples, span.speech_end))
        self._partial_asked_at = now
        self._partial_cut = start > span.start
        self._partial_covers = self.endpoints.samples
        self._partial = self.transcriber.submit_partial(audio, language=self.language, initial_prompt=self.prompt)
        self._partial.add_done_callback(lambda _: self._wake.set())

    def _collect(self, now: float) -> None:
        """Show what finished: the early final (settled words) or a partial."""
        early = self._early
        if early is not None and early[2].done() and not early[2].cancelled() and early[2] is not self._collected:
            self._collected = early[2]  # (each early final is shown once, when it is done)
            try:
                text = early[2].result().text
            except UserFacingError:
                text = ""
            # shown unless a partial of what was said after it is on screen already (the user spoke on)
            if text and text != self._shown and early[0].end >= self._shown_covers:
                self._show(text, now, settled=True, covers=early[0].end)
            self._settled = (early[0].speech_end, text)
        partial = self._partial
        if partial is None or not partial.done():
            return
        self._partial = None
        if partial.cancelled():
            return
        try:
            text = partial.result()
        except UserFacingError as exc:
            log.debug("a partial transcript failed: %s", exc)  # (the model may be loading: the release says so)
            return
        log.debug("partial after %.0f ms: %r", (now - self._partial_asked_at) * 1000, text)
        if not text:
            self._partial_asked_at = 0.0  # nothing yet: ask again as soon as there is more audio
        if text and not self._partial_cut:
            self._heard = (self._partial_covers, text)
        if text and self._partial_cut:
            text = "… " + text
        if text and text != self._shown:
            self._show(text, now, covers=self._partial_covers)

    def _maybe_guess(self) -> None:
        """The user has paused: the guess is the final decode of all they said when it is done (the
        words the release will have if they say no more), else a partial that heard all of it."""
        end = self.endpoints.speech_end
        if end is None or self.endpoints.silence_after_speech_s() < GUESS_PAUSE_S:
            return
        settled_end, settled = self._settled
        if settled_end == end and settled:
            if settled != self._guessed or self._guessed_end != end:
                self._guess(settled, end)
            return
        covers, text = self._heard
        if self._guessed_end != end and covers >= end and text:
            self._guess(text, end)

    def _guess(self, text: str | None, speech_end: int | None = None) -> None:
        self._guessed_end, self._guessed = (speech_end, text or "") if text is not None else (None, "")
        if self.on_guess is None or self._closed:
            return
        try:
            self.on_guess(text)
        except Exception:
            log.exception("the guess listener failed")

    def _show(self, text: str, now: float, *, settled: bool = False, covers: int = 0) -> None:
        with self._lock:
            if self._closed:
                return
            self._seq += 1
            self._shown = text
            self._shown_covers = covers
            if self._first_update_at is None:
                self._first_update_at = now
            update = LiveUpdate(self._seq, text, now, settled)
            if self.on_update is not None:
                try:
                    self.on_update(update)
                except Exception:
                    log.exception("live transcript listener failed")

    def _nothing(self, clip: AudioClip) -> Transcript:
        resolved = self.transcriber.resolved
        return Transcript(text="", language="", segments=(), duration_s=round(clip.duration_s, 3), stt_ms=0.0,
                          no_speech=True, model=resolved.name if resolved else "",
                          model_source=resolved.source if resolved else "")

