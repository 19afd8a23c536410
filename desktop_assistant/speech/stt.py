"""Speech to text: one long-lived worker thread owns the WhisperModel.

`start()` loads the model (see `models.plan`) on the worker; `transcribe()` blocks, from any
thread; `submit()` returns a Future, whose exception is always a UserFacingError. A wanted size
not on disk is downloaded in the background (when online) while the embedded tiny.en serves.

Two kinds of decode share the model, in order of priority: a final transcript (`submit`,
`submit_span`: the words that are stored and sent) and a live partial one (`submit_partial`,
speech/live.py), which runs only when no final one waits. A final decode is a default faster-whisper
call (beam 5, the full 30 s window; speech/decoding.py) on the speech span the VAD finds
(speech/endpoints.py: an empty clip costs ~10 ms, no decode); a partial is greedy with a window
sized to the audio (speech/window.py). int8, one CPU thread: the second core stays for the GUI,
the audio and a partial's caller (figures: bench/stt.py).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from desktop_assistant.audio.clip import SAMPLE_RATE, AudioClip
from desktop_assistant.audio.decode import resample
from desktop_assistant.config import Settings
from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.paths import Paths
from desktop_assistant.speech import models
from desktop_assistant.speech.decoding import (
    MIN_CLIP_S,
    decode,
    decode_options,
    is_hallucination,
    not_speech,
    partial_options,
)
from desktop_assistant.speech.endpoints import RATE, speech_span
from desktop_assistant.speech.models import DownloadProgress, ModelError, ResolvedModel
from desktop_assistant.speech.onnx_telemetry import disable_onnxruntime_telemetry
from desktop_assistant.speech.transcript import LiveUpdate, ModelStatus, Segment, Transcript

if TYPE_CHECKING:
    from desktop_assistant.audio.chunks import AudioChunks
    from desktop_assistant.speech.live import LiveTranscription

log = logging.getLogger(__name__)

CPU_THREADS = 1
CANCEL_CHECK_S = 0.02  # how soon a cancelled transcribe() stops waiting
FIRST, LAST = 1, 2  # job priorities: control and final transcripts before live partials


class Transcriber:
    """Owns the Whisper model on its own thread; transcribes `AudioClip`s."""

    def __init__(self, settings: Settings, paths: Paths,
                 on_status: Callable[[ModelStatus], None] | None = None, *,
                 model: ResolvedModel | None = None, allow_download: bool | None = None,
                 downloader: models.Downloader | None = None,
                 model_factory: Callable[[ResolvedModel, str], Any] | None = None) -> None:
        self.settings = settings
        self.paths = paths
        self.on_status = on_status
        self._forced = model
        self._allow_download = allow_download  # None: when online
        self._downloader = downloader
        self._factory = model_factory or load_whisper
        self._jobs: queue.PriorityQueue[tuple[int, int, str, Any]] = queue.PriorityQueue()
        self._order = itertools.count()  # first in, first out within a priority
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._cancel_download = threading.Event()
        self._download_thread: threading.Thread | None = None
        self._model: Any = None
        self._resolved: ResolvedModel | None = None
        self._load_error: UserFacingError | None = None
        self._status = ModelStatus(settings.stt_model, "", "loading", None, "not started")

    # -- public API ---------------------------------------------------------------------
    @property
    def status(self) -> ModelStatus:
        return self._status

    @property
    def resolved(self) -> ResolvedModel | None:
        return self._resolved

    @property
    def error(self) -> UserFacingError | None:
        """Why no model could be loaded (None while loading or when one is loaded)."""
        return self._load_error

    def start(self) -> Transcriber:
        self._put(None)
        return self

    def _put(self, job: tuple[str, Any] | None, priority: int = FIRST) -> None:
        """Start the worker if needed and queue `job`; under the lock, so nothing lands after "stop"."""
        with self._lock:
            if self._closed:
                raise UserFacingError("Speech recognition has been shut down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="stt-worker", daemon=True)
                self._thread.start()
                self._jobs.put((FIRST, next(self._order), "load", None))
            if job is not None:
                self._jobs.put((priority, next(self._order), *job))

    def submit(self, clip: AudioClip, *, language: str | None = None,
               initial_prompt: str | None = None) -> cf.Future[Transcript]:
        """The final transcript of a whole clip (the VAD finds its speech span on the worker)."""
        self.check_clip(clip)
        future: cf.Future[Transcript] = cf.Future()
        self._put(("transcribe", (clip, language, initial_prompt, future)))
        return future

    def submit_span(self, audio: Any, start_s: float, duration_s: float, *, language: str | None = None,
                    initial_prompt: str | None = None) -> cf.Future[Transcript]:
        """The final transcript of a speech span already found (16 kHz samples beginning `start_s` into
        a clip of `duration_s`): live transcription decodes it at a pause, before the release."""
        future: cf.Future[Transcript] = cf.Future()
        self._put(("span", (audio, start_s, duration_s, language, initial_prompt, future)))
        return future

    def submit_partial(self, audio: Any, *, language: str | None = None,
                       initial_prompt: str | None = None) -> cf.Future[str]:
        """A fast, rough transcript of `audio` (16 kHz) for the live view; runs after any final decode."""
        future: cf.Future[str] = cf.Future()
        self._put(("partial", (audio, language, initial_prompt, future)), LAST)
        return future

    def transcribe(self, clip: AudioClip, *, language: str | None = None, initial_prompt: str | None = None,
                   timeout: float = 60.0, cancel: threading.Event | None = None) -> Transcript:
        """The transcript of `clip`; with `cancel`, setting it ends the wait within `CANCEL_CHECK_S`
        (kind "cancelled": a Stop must not wait for a decode; the worker finishes it unseen)."""
        return self.wait(self.submit(clip, language=language, initial_prompt=initial_prompt), timeout, cancel)

    def listen(self, chunks: AudioChunks, *, on_update: Callable[[LiveUpdate], None] | None = None,
               language: str | None = None, initial_prompt: str | None = None,
               partials: bool = True, on_guess: Callable[[str | None], None] | None = None) -> LiveTranscription:
        """Follow a recording while the user speaks: partial transcripts to `on_update`, the final
        one decoded at pauses (speech/live.py)."""
        from desktop_assistant.speech.live import LiveTranscription

        return LiveTranscription(self, chunks, on_update=on_update, language=language,
                                 initial_prompt=initial_prompt, partials=partials, on_guess=on_guess).start()

    @staticmethod
    def wait(future: cf.Future[Transcript], timeout: float = 60.0,
             cancel: threading.Event | None = None) -> Transcript:
        """The result of a final decode; UserFacingError when it failed, timed out or `cancel` was set."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return future.result(max(0.0, min(left, CANCEL_CHECK_S) if cancel is not None else left))
            except cf.TimeoutError:
                if cancel is not None and cancel.is_set():
                    future.cancel()
                    raise UserFacingError("Stopped", kind=ErrorKind.CANCELLED) from None
                if time.monotonic() >= deadline:
                    future.cancel()
                    raise UserFacingError(f"Speech recognition took longer than {timeout:g} s",
                                          "try a shorter recording", kind=ErrorKind.STT) from None

    def wait_ready(self, timeout: float) -> bool:
        """Block until a model is loaded (or loading failed); False on timeout."""
        done: cf.Future[None] = cf.Future()
        self._put(("ping", done), LAST)  # (after any partial too: nothing is queued behind it)
        try:
            done.result(timeout)
        except cf.TimeoutError:
            return False
        return self._model is not None

    def cancel_download(self) -> None:
        """Stop a background model download (the embedded model keeps serving)."""
        self._cancel_download.set()

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            if not self._closed and self._thread is not None:
                self._jobs.put((FIRST, next(self._order), "stop", None))
            self._closed = True
            thread = self._thread
        self._cancel_download.set()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("speech worker did not stop within %.1f s", timeout)
        if self._download_thread is not None:
            self._download_thread.join(min(timeout, 2.0))
        self._model = None

    # -- worker thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            _, _, kind, payload = self._jobs.get()
            if kind == "stop":
                break
            try:
                if kind == "load":
                    self._load_initial()
                elif kind == "swap":
                    self._swap(payload)
                elif kind == "ping":
                    payload.set_result(None)
                elif kind == "transcribe":
                    clip, language, prompt, future = payload
                    self._answer(future, self._run_model, clip, language, prompt)
                elif kind == "span":
                    audio, start_s, duration_s, language, prompt, future = payload
                    self._answer(future, self._final, audio, start_s, duration_s, language, prompt)
                elif kind == "partial":
                    audio, language, prompt, future = payload
                    self._answer(future, self._partial, audio, language, prompt)
            except Exception:  # the worker must survive anything
                log.exception("speech worker job %s failed", kind)
        self._drain_pending()

    def _drain_pending(self) -> None:
        while True:
            try:
                _, _, kind, payload = self._jobs.get_nowait()
            except queue.Empty:
                return
            if kind in ("transcribe", "span", "partial"):
                payload[-1].set_exception(UserFacingError("Speech recognition was shut down"))
            elif kind == "ping":
                payload.set_result(None)

    def _publish(self, status: ModelStatus) -> None:
        self._status = status
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:
                log.exception("status listener failed")

    def _load_initial(self) -> None:
        try:
            resolved = self._forced or models.plan(self.settings, self.paths)
        except UserFacingError as exc:
            self._load_error = exc
            self._publish(ModelStatus(self.settings.stt_model, "", "error", None, str(exc)))
            return
        wanted = None if self._forced else models.wants_download(self.settings, resolved)
        problem = ""
        if wanted is not None:
            if self._allow_download is None:
                blocked = models.download_blocker()
            else:
                blocked = None if self._allow_download else (
                    models.offline_blocker() or ("downloads are off here", models.PICK_ANOTHER))
            online = blocked is None
            if blocked is None:
                resolved = replace(resolved, reason=f"downloading {wanted} — using embedded "
                                                    f"{models.EMBEDDED_NAME} until it is ready")
            else:
                why, action = blocked
                using = f"using embedded {models.EMBEDDED_NAME}"
                resolved = replace(resolved, reason=f"{wanted} not downloaded and {why} — {using}")
                problem = (f"The {wanted} speech model is not on this computer and cannot be downloaded: "
                           f"{why} — {using}; {action}")
        self._load(resolved, problem)
        if wanted is not None and online and self._model is not None:
            self._start_download(wanted)

    def keep_serving(self, error: UserFacingError) -> None:
        """Other settings asked for a model that cannot be had (`error`, e.g. `models.unobtainable`):
        go on with the model in use, and say why as a lasting problem."""
        current = self._resolved
        if current is None:
            self._publish(ModelStatus(self.settings.stt_model, "", "error", None, str(error)))
            return
        said = f"{error.message} — still using {current.name}"
        todo = f"; {error.action}" if error.action else ""
        self._publish(ModelStatus(current.name, current.source, "ready", None, said, problem=said + todo))

    def _load(self, resolved: ResolvedModel, problem: str = "") -> None:
        self._publish(ModelStatus(resolved.name, resolved.source, "loading", None,
                                  f"loading {resolved.describe}"))
        started = time.perf_counter()
        try:
            self._model, resolved = self._load_with_compute_type(resolved)
        except Exception as exc:  # noqa: BLE001 - CTranslate2 raises RuntimeError/ValueError for bad files
            log.warning("loading %s from %s failed: %s", resolved.name, resolved.path, exc)
            if resolved.source != "embedded":
                why = f"{resolved.name} in {resolved.path} could not be loaded ({_first_line(exc)})"
                try:
                    fallback = models.embedded_model(f"{why} — using embedded {models.EMBEDDED_NAME}")
                except ModelError as missing:
                    self._fail(missing)
                    return
                self._load(fallback, f"{fallback.reason}; {models.PICK_ANOTHER}")
                return
            self._fail(ModelError(f"The speech model could not be loaded: {_first_line(exc)}",
                                  "reinstall the app"))
            return
        self._resolved = resolved
        self._load_error = None
        took = time.perf_counter() - started
        log.info("speech model %s ready in %.2f s (%s)", resolved.name, took, resolved.describe)
        self._publish(ModelStatus(resolved.name, resolved.source, "ready", None,
                                  resolved.reason or f"{resolved.name} ready", problem=problem))

    def _load_with_compute_type(self, resolved: ResolvedModel) -> tuple[Any, ResolvedModel]:
        """Load with STT_COMPUTE_TYPE; a type this CPU cannot run (float16, int16…) falls back to int8."""
        wanted = self.settings.stt_compute_type
        try:
            return self._factory(resolved, wanted), resolved
        except ValueError as exc:
            if "compute type" not in str(exc) or wanted in ("int8", "auto", "default"):
                raise
            log.warning("compute type %s is not supported here (%s); using int8", wanted, exc)
        note = f"compute type {wanted} is not supported on this CPU — using int8"
        return self._factory(resolved, "int8"), replace(
            resolved, reason=f"{resolved.reason}; {note}" if resolved.reason else note)

    def _fail(self, error: UserFacingError) -> None:
        self._model = None
        self._load_error = error
        self._publish(ModelStatus(self.settings.stt_model, "", "error", None, str(error)))

    def _swap(self, resolved: ResolvedModel) -> None:
        previous, previous_resolved = self._model, self._resolved
        self._load(resolved)
        if self._model is None and previous is not None:  # keep serving with what worked
            self._model, self._resolved = previous, previous_resolved

    def _answer(self, future: cf.Future[Any], work: Callable[..., Any], *args: Any) -> None:
        if not future.set_running_or_notify_cancel():
            return
        if self._closed:
            future.set_exception(UserFacingError("Speech recognition was shut down"))
            return
        if self._model is None:
            future.set_exception(self._load_error or ModelError("The speech model is not loaded"))
            return
        try:
            future.set_result(work(*args))
        except UserFacingError as exc:
            future.set_exception(exc)
        except Exception as exc:  # turn into a typed error for the caller's thread
            log.exception("transcription failed")
            error = UserFacingError(f"Speech recognition failed: {_first_line(exc)}", kind=ErrorKind.STT)
            future.set_exception(error)

    def _language(self, language: str | None) -> str | None:
        model = self._model
        if not getattr(model, "model", None) or not getattr(model.model, "is_multilingual", True):
            return "en"  # English-only model: skip detection, avoid its warning
        return language

    def _run_model(self, clip: AudioClip, language: str | None, prompt: str | None) -> Transcript:
        """A whole clip: find its speech span, decode that."""
        started = time.perf_counter()
        samples = clip.samples
        if clip.sample_rate != SAMPLE_RATE:
            samples = resample(samples, clip.sample_rate, SAMPLE_RATE)
        span, audio = speech_span(samples)
        if span is None:
            return self._heard_nothing(clip.duration_s, started, "the VAD found no speech")
        return self._final(audio, span.start / RATE, clip.duration_s, language, prompt, started)

    def _final(self, audio: Any, start_s: float, duration_s: float, language: str | None, prompt: str | None,
               started: float | None = None) -> Transcript:
        resolved = self._resolved
        assert resolved is not None
        started = time.perf_counter() if started is None else started
        language = self._language(language)
        raw, info = decode(self._model, audio, decode_options(language, prompt))
        stt_ms = (time.perf_counter() - started) * 1000.0
        kept = tuple(Segment(round(start_s + s.start, 2), round(start_s + s.end, 2), s.text.strip(),
                             float(s.no_speech_prob), float(s.avg_logprob)) for s in raw if not not_speech(s))
        text = " ".join(s.text for s in kept if s.text).strip()
        if not kept or is_hallucination(text):
            return self._heard_nothing(duration_s, started, f"raw: {' '.join(s.text for s in raw)[:80]!r}")
        return Transcript(text=text, language=str(getattr(info, "language", language) or language or ""),
                          segments=kept, duration_s=round(duration_s, 3), stt_ms=round(stt_ms, 1),
                          model=resolved.name, model_source=resolved.source)

    def _heard_nothing(self, duration_s: float, started: float, why: str) -> Transcript:
        resolved = self._resolved
        assert resolved is not None
        log.info("no speech recognised (%s)", why)
        return Transcript(text="", language="", segments=(), duration_s=round(duration_s, 3),
                          stt_ms=round((time.perf_counter() - started) * 1000.0, 1), no_speech=True,
                          model=resolved.name, model_source=resolved.source)

    def _partial(self, audio: Any, language: str | None, prompt: str | None) -> str:
        model = self._model
        windowed = hasattr(model, "short_windows")
        if windowed:
            model.short_windows = True
        try:
            raw, _ = decode(model, audio, partial_options(self._language(language), prompt, len(audio) / RATE))
        finally:
            if windowed:
                model.short_windows = False
        text = " ".join(s.text.strip() for s in raw if not not_speech(s)).strip()
        return "" if is_hallucination(text) else text

    # -- background download ------------------------------------------------------------
    def _start_download(self, name: str) -> None:
        meanwhile = f" — using embedded {models.EMBEDDED_NAME} meanwhile"

        def progress(p: DownloadProgress) -> None:
            pct = p.percent
            shown = f"downloading {name}" + (f" {pct:.0f}%" if pct is not None else "") + meanwhile
            fraction = None if pct is None else pct / 100.0
            self._publish(ModelStatus(name, "download", "downloading", fraction, shown))

        def ended(resolved: ResolvedModel | None, error: UserFacingError | None) -> None:
            current = self._resolved
            if resolved is not None:
                with contextlib.suppress(UserFacingError):  # closed meanwhile: the model is on disk for next time
                    self._put(("swap", resolved))
            elif current is not None and not self._closed:
                what = str(error) if error else f"download of {name} cancelled"
                self._publish(ModelStatus(current.name, current.source, "ready", None,
                                          f"{what} — using {current.name}",
                                          problem=f"{what} — using {current.name}" if error else ""))

        self._publish(ModelStatus(name, "download", "downloading", 0.0, f"downloading {name}{meanwhile}"))
        self._download_thread = models.download_in_background(
            name, self.paths, on_progress=progress, on_end=ended, cancel=self._cancel_download,
            downloader=self._downloader)

    @staticmethod
    def check_clip(clip: AudioClip) -> None:
        if clip.duration_s < MIN_CLIP_S:
            raise UserFacingError("That was too short — hold the button while you speak", kind=ErrorKind.INPUT)


def load_whisper(resolved: ResolvedModel, compute_type: str) -> Any:
    disable_onnxruntime_telemetry()  # before onnxruntime loads: a Transcriber built without the App
    from faster_whisper.vad import get_vad_model

    from desktop_assistant.speech.window import WindowedWhisperModel

    model = WindowedWhisperModel(str(resolved.path), device="cpu", compute_type=compute_type,
                                 cpu_threads=CPU_THREADS, num_workers=1, local_files_only=True)
    # The VAD model (onnxruntime) loads lazily on the first transcription otherwise: importing
    # onnxruntime holds the GIL for ~100-150 ms, a GUI stall in the user's first spoken turn.
    get_vad_model()
    return model


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 160 else text[:157] + "…"
