"""One turn's speech: fragments → synthesis (≤ 2 at once, in order) → the player's queue.

`SpeechRun.submit(sentence)` starts synthesising at once; a feeder thread hands the
results to `player.enqueue()` strictly in order, so the next fragment is fetched while
the current one plays. `cancel()` silences the player (its `stop()` takes ≤ 50 ms),
drops pending work and makes sure nothing stale is queued afterwards. The player's
`ChunkStarted` events (audio thread) are only recorded there; a small thread turns
them into callbacks (`on_first_audio`, `on_fragment`) so listeners never run on it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from desktop_assistant.assistant.parts import PlayerPart, SynthesizerPart
from desktop_assistant.assistant.sentences import Sentence
from desktop_assistant.audio.events import ChunkStarted, PlayerEvent

if TYPE_CHECKING:
    from desktop_assistant.speech.tts import SpeechAudio

log = logging.getLogger(__name__)

MAX_PARALLEL_TTS = 2
_SYNTH_WAIT_S = 30.0  # an upper bound; the synthesizer's own timeouts end it sooner


class SpeechRun:
    def __init__(self, turn_id: int, synthesizer: SynthesizerPart, player: PlayerPart, *,
                 on_first_audio: Callable[[float], None] | None = None,
                 on_fragment: Callable[[int, str], None] | None = None) -> None:
        self.turn_id = turn_id
        self._synth = synthesizer
        self._player = player
        self._on_first_audio = on_first_audio
        self._on_fragment = on_fragment
        self._pool = ThreadPoolExecutor(MAX_PARALLEL_TTS, thread_name_prefix=f"tts-{turn_id}")
        self._work: queue.SimpleQueue[tuple[Sentence, Future[SpeechAudio | None]] | None] = queue.SimpleQueue()
        self._played: queue.SimpleQueue[tuple[int, float] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._cancelled = False
        self._texts: dict[int, str] = {}
        self._started: list[int] = []  # appended by the audio thread (list.append is atomic)
        self._queued_s = 0.0
        self._all_queued = threading.Event()
        self.first_audio_at: float | None = None
        self._announced = False
        self._settled = False
        self._feeder = threading.Thread(target=self._feed, name=f"speech-feed-{turn_id}", daemon=True)
        self._notifier = threading.Thread(target=self._notify, name=f"speech-events-{turn_id}", daemon=True)
        self._feeder.start()
        self._notifier.start()

    # -- producer side ----------------------------------------------------------------------------
    def submit(self, sentence: Sentence) -> None:
        with self._lock:
            if self._cancelled:
                return
            future = self._pool.submit(self._synth.synthesize, sentence.text, sentence.index)
        self._work.put((sentence, future))

    def finish(self) -> None:
        """No more sentences will come."""
        self._work.put(None)

    def wait(self, timeout: float, cancel: threading.Event | None = None) -> bool:
        """Block until everything queued has been played; False on timeout or cancel."""
        deadline = time.monotonic() + timeout
        while not self._all_queued.wait(0.05):
            if (cancel is not None and cancel.is_set()) or time.monotonic() > deadline:
                return False
        with self._lock:
            if self._cancelled:
                return False
            budget = self._queued_s + 2.0
        end = min(deadline, time.monotonic() + budget)
        while time.monotonic() < end:
            if cancel is not None and cancel.is_set():
                return False
            if self._player.wait_drained(min(0.1, max(0.0, end - time.monotonic()))):
                return True
        return False

    def cancel(self) -> None:
        """Silence now and drop everything pending (idempotent, any thread)."""
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            self._player.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._work.put(None)

    def close(self) -> None:
        """Release the threads once the turn is over (does not silence a finished run)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._work.put(None)
        self.settle(0.0)

    def settle(self, timeout: float) -> None:
        """Deliver the playback callbacks still pending, then end their thread (so a turn's
        `FragmentSpoken` events all come before its `TurnFinished`)."""
        if not self._settled:
            self._settled = True
            self._played.put(None)
        if timeout > 0 and self._notifier is not threading.current_thread():
            self._notifier.join(timeout)

    @property
    def spoken_text(self) -> str:
        """The fragments whose playback started, in order."""
        with self._lock:
            return " ".join(self._texts[i] for i in sorted(set(self._started)) if i in self._texts)

    @property
    def finished(self) -> bool:
        """Silenced, or its turn is over."""
        return self._cancelled or self._settled

    @property
    def fragments_started(self) -> int:
        return len(set(self._started))

    # -- player events (audio thread: record only) ------------------------------------------------
    def on_player_event(self, event: PlayerEvent) -> None:
        if not isinstance(event, ChunkStarted):
            return
        tag = event.tag
        if isinstance(tag, tuple) and len(tag) == 2 and tag[0] == self.turn_id:
            if self.first_audio_at is None:
                self.first_audio_at = event.at
            self._started.append(tag[1])
            self._played.put((tag[1], event.at))

    # -- threads ----------------------------------------------------------------------------------
    def _feed(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                break
            sentence, future = item
            try:
                audio = future.result(timeout=_SYNTH_WAIT_S)
            except (CancelledError, FutureTimeout):
                audio = None
            except Exception:  # one bad fragment must not end the speech
                log.exception("speech synthesis failed for fragment %d", sentence.index)
                audio = None
            with self._lock:
                if self._cancelled:
                    break
                if audio is None:
                    continue
                self._texts[sentence.index] = sentence.text
                self._queued_s += audio.duration_s
                self._player.enqueue(audio.pcm, tag=(self.turn_id, sentence.index))
        self._all_queued.set()

    def _notify(self) -> None:
        while True:
            item = self._played.get()
            if item is None:
                return
            index, at = item
            with self._lock:
                text = self._texts.get(index, "")
                first = not self._announced
                self._announced = True
            try:
                if first and self._on_first_audio is not None:
                    self._on_first_audio(at)
                if self._on_fragment is not None:
                    self._on_fragment(index, text)
            except Exception:  # a listener bug must not stop the turn
                log.exception("speech event listener failed")
