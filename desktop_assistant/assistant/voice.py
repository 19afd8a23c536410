"""The output side of the engine: the sound output (opened once, by the warm-up or the first spoken
reply), a voice per agent, the push-to-talk cues, what the voices have to say about themselves
(notices), mute, and whether a reply is being spoken right now.

`Assistant` (assistant/conductor.py) asks it for a voice and an open output when a turn starts, and
routes the player's events here. The engine (engine.py) hands it a new output when the setting changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from desktop_assistant.assistant.events import Event, Notice
from desktop_assistant.audio.events import PlaybackFailed, PlayerEvent
from desktop_assistant.errors import NoticeKind, UserFacingError

if TYPE_CHECKING:
    from desktop_assistant.agents import Agent
    from desktop_assistant.assistant.parts import PlayerPart, SynthesizerPart
    from desktop_assistant.assistant.speaking import SpeechRun

log = logging.getLogger(__name__)

NO_OUTPUT_NOTICE = "No sound output device — replies are shown as text"
OutputState = Literal["untried", "open", "failed"]


class Voice:
    """`synthesizer_for(agent)` makes the voice for an agent; `allowed=False` is a text-only engine
    (`ask --no-speak`); `turn_id()` names the turn a notice belongs to."""

    def __init__(self, player: PlayerPart | None, synthesizer_for: Callable[[Agent], SynthesizerPart | None] | None,
                 *, allowed: bool, muted: bool,
                 emit: Callable[[Event], None], turn_id: Callable[[], int]) -> None:
        self.player = player
        self._synthesizer_for = synthesizer_for
        self._voices: dict[str, SynthesizerPart | None] = {}
        self._allowed = allowed
        self._muted = muted
        self._emit = emit
        self._turn_id = turn_id
        self._state: OutputState = "untried"
        self._lock = threading.Lock()  # opening the output (the warm-up thread and a turn may race)
        self._speech: SpeechRun | None = None
        self._closed = False

    # -- state ------------------------------------------------------------------------------------
    @property
    def speaks(self) -> bool:
        """Replies are spoken (not muted, not a text-only engine)."""
        return self._allowed and not self._muted

    @property
    def output_open(self) -> bool:
        return self._state == "open"

    @property
    def speaking(self) -> bool:
        """A reply is being spoken right now (its speech run has not finished)."""
        speech = self._speech
        return speech is not None and not speech.finished

    # -- what a turn asks for ---------------------------------------------------------------------
    def synthesizer(self, agent: Agent) -> SynthesizerPart | None:
        """The agent's voice, or None when replies are not spoken."""
        if not self.speaks or self._synthesizer_for is None:
            return None
        if agent.id not in self._voices:
            self._voices[agent.id] = self._synthesizer_for(agent)
        return self._voices[agent.id]

    def made_synthesizer(self, agent: Agent) -> SynthesizerPart | None:
        """The agent's voice if it is made already (any thread: makes nothing), else None."""
        return self._voices.get(agent.id) if self.speaks else None

    def open_output(self, turn_id: int) -> bool:
        """The output, opened on first use: True when replies can be heard (else once a notice)."""
        with self._lock:
            if self.player is None or self._closed:  # (the warm-up thread may get here after close())
                return False
            if self._state == "untried":
                try:
                    self.player.open()
                    self._state = "open"
                except UserFacingError as exc:
                    log.info("no sound output: %s", exc)
                    self._state = "failed"
                    self._emit(Notice(turn_id, NoticeKind.NO_OUTPUT, f"{NO_OUTPUT_NOTICE} ({exc.message})"))
            return self._state == "open"

    def began_speaking(self, speech: SpeechRun | None) -> None:
        """A turn's speech run (None: keep routing the last run's events until the next replaces it)."""
        if speech is not None:
            self._speech = speech

    # -- events and sounds --------------------------------------------------------------------------
    def on_player_event(self, event: PlayerEvent) -> None:
        """The player's `on_event` (audio thread: cheap)."""
        if isinstance(event, PlaybackFailed):
            threading.Thread(target=self.notice, args=(NoticeKind.PLAYBACK_FAILED, str(event.error)),
                             name="playback-failed", daemon=True).start()
            return
        speech = self._speech
        if speech is not None:
            speech.on_player_event(event)

    def cue(self, kind: str) -> None:
        """The short tone when listening starts or stops ("start"/"stop"), only on an output already
        open: opening one can take ~2 s, longer than a press."""
        if self.player is None or not self.output_open:
            return
        from desktop_assistant.audio.cues import cue  # numpy: loaded with the player, not at start-up

        try:
            self.player.enqueue(cue(kind, self.player.sample_rate), ("cue", kind))
        except UserFacingError as exc:  # the output died meanwhile: the next reply reports it
            log.info("no %s cue: %s", kind, exc)

    def notice(self, kind: NoticeKind, message: str) -> None:
        """What a voice says about itself (e.g. the offline fallback), for the turn in progress."""
        self._emit(Notice(self._turn_id(), kind, message))

    # -- settings -----------------------------------------------------------------------------------
    def set_muted(self, muted: bool) -> None:
        """Muting silences the reply being spoken (its text goes on)."""
        self._muted = muted
        speech = self._speech
        if muted and speech is not None:
            speech.cancel()

    def forget_voices(self) -> None:
        """The speech engine or speed changed: new voices from the next reply."""
        self._voices.clear()

    def use_player(self, player: PlayerPart) -> PlayerPart | None:
        """The next spoken reply opens `player` (the running one finishes on the old one): the old one."""
        with self._lock:
            old, self.player = self.player, player
            self._state = "untried"
        return old

    def close(self, timeout: float) -> None:
        """No output is opened after this; one being opened now finishes first (its owner closes it)."""
        self._closed = True
        if self._lock.acquire(timeout=timeout):
            self._lock.release()
