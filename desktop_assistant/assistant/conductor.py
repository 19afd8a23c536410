"""`Assistant`: what the GUI and the CLI drive — push-to-talk, typed text, Stop.

One turn runs at a time. Pressing push-to-talk (or Stop, or sending text) during a
turn barges in: the running turn is cancelled (audio silent within the player's
50 ms), and the new one starts. Events go to the listeners on engine threads.
Sessions: a turn continues the newest conversation unless it is older than
`session_timeout`, belongs to another agent (the store's session rule), or a new one was
asked for since the last stored turn: `new_conversation()` or a switch of agent.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_assistant.assistant.events import (
    ConversationChanged,
    Event,
    RecordingCancelled,
    RecordingStarted,
    RecordingStopped,
    TranscriptPartial,
    TurnFailed,
)
from desktop_assistant.assistant.listening import PushToTalk
from desktop_assistant.assistant.parts import (
    ChatPart,
    LivePart,
    PlayerPart,
    RecorderPart,
    SynthesizerPart,
    TranscriberPart,
)
from desktop_assistant.assistant.persistence import TurnStore
from desktop_assistant.assistant.speculation import Speculation
from desktop_assistant.assistant.turn import Turn, TurnSetup
from desktop_assistant.assistant.voice import Voice
from desktop_assistant.audio.events import (
    PlayerEvent,
    RecorderEvent,
    RecordingFailed,
    RecordingLimitReached,
)
from desktop_assistant.config import Settings
from desktop_assistant.errors import ErrorKind, NoticeKind, UserFacingError
from desktop_assistant.llm.context import build_messages
from desktop_assistant.llm.request import ChatOptions
from desktop_assistant.messages import MessageStatus

if TYPE_CHECKING:  # PyYAML and numpy: loaded with the agents and the audio
    from desktop_assistant.agents import Agent, AgentSet, LLMPrefs
    from desktop_assistant.audio.chunks import AudioChunks
    from desktop_assistant.audio.clip import AudioClip

log = logging.getLogger(__name__)

Listener = Callable[[Event], None]


class Assistant:
    """The conversation engine. Hardware and network parts are injected.

    `synthesizer_for(agent)` returns a Synthesizer for that agent's voice (or None);
    `player` is an `audio.player.Player` (opened on first use) or None for text only.
    """

    def __init__(self, settings: Settings, agents: AgentSet, store: TurnStore, chat: ChatPart, *,
                 transcriber: TranscriberPart | None = None, recorder: RecorderPart | None = None,
                 player: PlayerPart | None = None,
                 synthesizer_for: Callable[[Agent], SynthesizerPart | None] | None = None, speak: bool = True,
                 listener: Listener | None = None) -> None:
        self.settings = settings
        self._agents = agents
        self.agent = agents.get(settings.agent)
        self.store = store
        self.chat = chat
        self.transcriber = transcriber
        self.listening = PushToTalk(recorder)  # the recording phase
        self.voice = Voice(player, synthesizer_for, allowed=speak, muted=settings.speech_muted,
                           emit=self.emit, turn_id=lambda: self._turn.id if self._turn else 0)  # the output side
        self._listeners: list[Listener] = [listener] if listener else []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._turn: Turn | None = None
        self._new_conversation = False  # "New conversation" asked for and not yet used by a turn
        self._new_lock = threading.Lock()
        self._closed = False
        self._guess: tuple[int, Speculation] | None = None  # the reply asked for before the release
        self._guess_lock = threading.Lock()

    # -- listeners --------------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener bug must not break the engine
                log.exception("event listener failed on %s", type(event).__name__)

    @property
    def recorder(self) -> RecorderPart | None:
        """The microphone (`listening` owns it)."""
        return self.listening.recorder

    @property
    def player(self) -> PlayerPart | None:
        """The sound output (`voice` owns it)."""
        return self.voice.player

    @property
    def speak(self) -> bool:
        """Replies are spoken (not muted, not a text-only engine)."""
        return self.voice.speaks

    def on_player_event(self, event: PlayerEvent) -> None:
        """Give this to the Player as `on_event` (audio thread: cheap)."""
        self.voice.on_player_event(event)

    def play_cue(self, kind: str) -> None:
        """The short tone when listening starts or stops ("start"/"stop"; Settings → audio cues)."""
        if self.settings.audio_cues:
            self.voice.cue(kind)

    def on_recorder_event(self, event: RecorderEvent) -> None:
        """Give this to the Recorder as `on_event` (audio thread: hands work to a thread)."""
        if isinstance(event, RecordingLimitReached):
            threading.Thread(target=self.push_to_talk_released, name="ptt-limit", daemon=True).start()
        elif isinstance(event, RecordingFailed):
            threading.Thread(target=self._recording_failed, args=(event.error,), name="ptt-failed",
                             daemon=True).start()

    def _recording_failed(self, error: UserFacingError) -> None:
        with self._lock:
            turn_id = self.listening.cancel()
        self._drop_guess("the microphone failed")
        if turn_id is not None:
            self.emit(TurnFailed(turn_id, error))

    def warm_up(self) -> threading.Thread:
        """Prepare the LLM client and the voice in the background (first-turn latency)."""
        def run() -> None:
            try:
                self.chat.prepare()
                with self._lock:
                    synthesizer = self.voice.synthesizer(self.agent)
                if synthesizer is not None:
                    synthesizer.prepare()
                if synthesizer is not None:
                    # A new output stream can take ~2 s to start flowing: open it now, not at the first reply.
                    self.voice.open_output(0)
            except Exception:  # warming up is optional; the turn reports real problems
                log.debug("warm-up failed", exc_info=True)

        thread = threading.Thread(target=run, name="assistant-warm-up", daemon=True)
        thread.start()
        return thread

    # -- the controls -----------------------------------------------------------------------------
    @property
    def current_turn(self) -> Turn | None:
        return self._turn

    @property
    def is_recording(self) -> bool:
        return self.listening.is_recording

    def push_to_talk_pressed(self) -> None:
        """Start recording; barges in on a running turn."""
        if self.listening.recorder is None:
            raise UserFacingError("No microphone is available", kind=ErrorKind.AUDIO)
        self._drop_guess("a new recording")
        with self._lock:
            self._cancel_turn()
            if self.listening.is_recording:
                return
            turn_id = next(self._ids)
            try:
                self.listening.press(turn_id, lambda chunks: self._follow(turn_id, chunks))
            except UserFacingError as exc:
                self.emit(TurnFailed(turn_id, exc))
                return
        self.emit(RecordingStarted(turn_id))

    def push_to_talk_released(self) -> Turn | None:
        """Stop recording and run the turn on what was said."""
        released = time.monotonic()
        with self._lock:
            released_clip = self.listening.release()
            if released_clip is None:
                return None
            turn_id, clip, live = released_clip
            guess = self._take_guess(turn_id)
            if isinstance(clip, UserFacingError):  # the microphone failed meanwhile
                if guess is not None:
                    guess.cancel("the microphone failed")
                self.emit(TurnFailed(turn_id, clip))
                return None
            self.emit(RecordingStopped(turn_id, clip.duration_s))
            self._cancel_turn()  # one turn at a time: e.g. a message typed while the key was held
            try:
                return self._start(turn_id, clip=clip, started_at=released, live=live, guess=guess)
            except UserFacingError:
                if live is not None:
                    live.cancel()
                if guess is not None:
                    guess.cancel("no turn")
                raise

    def _follow(self, turn_id: int, chunks: AudioChunks) -> LivePart | None:
        """The live transcript of the recording `turn_id` (None without a speech model)."""
        transcriber = self.transcriber
        if transcriber is None:
            return None
        prefs = self.agent.stt
        return transcriber.listen(
            chunks, on_update=lambda u: self.emit(TranscriptPartial(turn_id, u.text, u.seq, u.settled)),
            language=prefs.language, initial_prompt=prefs.initial_prompt, partials=self.settings.live_transcript,
            on_guess=lambda text: self._guessed(turn_id, text))

    # -- the reply asked for before the release (assistant/speculation.py) --------------------------
    def _guessed(self, turn_id: int, text: str | None) -> None:
        """The user paused after `text` (live thread): ask for its reply now; None: they speak again."""
        self._drop_guess("the user spoke again" if text is None else "better words")
        if text is None or not self.settings.speculative_reply or self._closed:
            return
        # (not under the engine's lock: the release holds it while it stops this thread)
        if self.listening.turn_id != turn_id:
            return  # released or stopped meanwhile
        guess = self._speculate(self.agent, text, self.voice.made_synthesizer(self.agent))
        if guess is None:
            return
        with self._guess_lock:
            if self.listening.turn_id == turn_id and self._guess is None:
                self._guess = (turn_id, guess.start())
                return
        guess.cancel("released meanwhile")

    def _speculate(self, agent: Agent, text: str, synthesizer: SynthesizerPart | None) -> Speculation | None:
        """A reply to `text` as the next turn of `agent` would ask for it (not started yet), its first
        fragment synthesised by `synthesizer` (None: not ahead)."""
        with self._new_lock:
            new = self._new_conversation
        try:
            conversation = None if new else self.store.conversation_to_continue(agent.id, self.settings.session_timeout)
            max_history = self._max_history(agent)
            history = list(self.store.recent_messages(conversation, max_history)) if conversation else []
            messages = build_messages(agent.system_prompt, [*history, _Said(text)], max_history=max(1, max_history + 1))
        except UserFacingError as exc:  # (the database is busy: the turn asks for the reply as usual)
            log.info("no speculative reply: %s", exc)
            return None
        return Speculation(self.chat, messages, self._options(agent), synthesizer)

    def _guess_for(self, agent: Agent,
                   synthesizer: SynthesizerPart | None) -> Callable[[str], Speculation | None] | None:
        """For a spoken turn without a guess from the recording: how it asks for the reply to the words
        heard at the release while its final transcript is decoded (None: SPECULATIVE_REPLY is off)."""
        if not self.settings.speculative_reply:
            return None

        def guess(text: str) -> Speculation | None:
            made = self._speculate(agent, text, synthesizer)
            return made.start() if made is not None else None

        return guess

    def _take_guess(self, turn_id: int) -> Speculation | None:
        with self._guess_lock:
            guess, self._guess = self._guess, None
        if guess is None:
            return None
        if guess[0] != turn_id:
            guess[1].cancel("another recording")
            return None
        return guess[1]

    def _drop_guess(self, why: str) -> None:
        with self._guess_lock:
            guess, self._guess = self._guess, None
        if guess is not None:
            guess[1].cancel(why)

    def cancel_recording(self, reason: str = "tap") -> None:
        """Close the microphone without a turn (a tap too short to be speech: no error, nothing sent)."""
        with self._lock:
            turn_id = self.listening.cancel()
        self._drop_guess("the recording was cancelled")
        if turn_id is not None:
            self.emit(RecordingCancelled(turn_id, reason))

    def send_clip(self, clip: AudioClip, *, released_at: float | None = None) -> Turn:
        """Run a voice turn on a clip recorded elsewhere (talk command, benchmarks)."""
        with self._lock:
            self._cancel_turn()
            return self._start(next(self._ids), clip=clip, started_at=released_at)

    def send_text(self, text: str) -> Turn:
        """Run a typed turn (no speech recognition)."""
        with self._lock:
            self._cancel_turn()
            return self._start(next(self._ids), text=text)

    def stop(self) -> None:
        """Stop: cancel recording and the running turn; audio goes silent at once."""
        with self._lock:
            cancelled = self.listening.cancel()
            self._cancel_turn()
        self._drop_guess("stopped")
        if cancelled is not None:  # the microphone is off: say so (the window stops showing "Listening")
            self.emit(RecordingCancelled(cancelled, "stopped"))

    def new_conversation(self) -> None:
        self._begin_new_conversation()
        self.emit(ConversationChanged(0, None, self.agent.id))

    def set_agent(self, agent_id: str) -> None:
        """Another agent: the next turn starts a new conversation (as the window says on the switch)."""
        with self._lock:
            agent = self._agents.get(agent_id)
            if agent.id == self.agent.id:
                return
            self.agent = agent
            self._begin_new_conversation()
        self.emit(ConversationChanged(0, None, agent.id))

    def cancel_download(self) -> None:
        """Cancel a Whisper model download in progress (if the transcriber has one)."""
        if self.transcriber is not None:
            self.transcriber.cancel_download()

    def set_muted(self, muted: bool) -> None:
        """Mute/unmute speech; muting silences the reply being spoken (its text goes on)."""
        with self._lock:
            self.voice.set_muted(muted)

    def apply_settings(self, new: Settings) -> None:
        """Use changed settings from the next turn on (model, voice, mute, agent). The parts built
        from settings (microphone, output, speech model, Groq client) are the Engine's to replace."""
        with self._lock:
            old, self.settings = self.settings, new
            if (old.tts_engine, old.tts_speed) != (new.tts_engine, new.tts_speed):
                self.voice.forget_voices()
            if old.speech_muted != new.speech_muted:
                self.voice.set_muted(new.speech_muted)
            switched = None
            if old.agent != new.agent:
                agent = self._agents.get(new.agent)
                if agent.id != self.agent.id:
                    self.agent = switched = agent
                    self._begin_new_conversation()
        if switched is not None:  # as set_agent says it (whichever of the two reaches the engine first)
            self.emit(ConversationChanged(0, None, switched.id))

    # -- parts replaced by the Engine (engine.py) when settings change; a running turn keeps its own --
    def use_recorder(self, make: Callable[[], RecorderPart]) -> tuple[bool, RecorderPart | None]:
        """Put `make()` in place of the microphone unless a recording is in progress: (done, old one)."""
        with self._lock:
            return self.listening.use_recorder(make)

    def use_transcriber(self, transcriber: TranscriberPart) -> TranscriberPart | None:
        with self._lock:
            old, self.transcriber = self.transcriber, transcriber
        return old

    def use_chat(self, chat: ChatPart) -> ChatPart:
        with self._lock:
            old, self.chat = self.chat, chat
        return old

    def use_player(self, player: PlayerPart) -> PlayerPart | None:
        """The next spoken reply opens `player`; the running one finishes on the old one."""
        return self.voice.use_player(player)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            self.listening.cancel()
            turn = self._turn
            self._cancel_turn()
        self._drop_guess("closing")
        if turn is not None:
            turn.join(timeout)
        self.voice.close(timeout)

    # -- internals --------------------------------------------------------------------------------
    def _cancel_turn(self) -> None:
        turn = self._turn
        if turn is not None and not turn.done:
            turn.cancel()

    def _options(self, agent: Agent) -> ChatOptions:
        llm = agent.llm
        return ChatOptions(model=llm.model or self.settings.llm_model, temperature=temperature_for(self.settings, llm),
                           max_tokens=llm.max_tokens)

    def _max_history(self, agent: Agent) -> int:
        return agent.max_history if agent.max_history is not None else self.settings.max_conversation_history

    def _start(self, turn_id: int, *, text: str | None = None, clip: AudioClip | None = None,
               started_at: float | None = None, live: LivePart | None = None,
               guess: Speculation | None = None) -> Turn:
        if self._closed:
            raise UserFacingError("The assistant is shutting down", kind=ErrorKind.CLOSED)
        agent = self.agent
        options = self._options(agent)
        synthesizer = self.voice.synthesizer(agent)
        player = self.voice.player if synthesizer is not None and self.voice.open_output(turn_id) else None
        setup = TurnSetup(
            turn_id=turn_id, agent=agent, options=options, max_history=self._max_history(agent),
            session_timeout=self.settings.session_timeout, take_new_conversation=self._take_new_conversation,
            store=self.store, chat=self.chat, emit=self.emit, transcriber=self.transcriber,
            synthesizer=synthesizer if player is not None else None, player=player,
            on_speech_run=self.voice.began_speaking,
            guess_for=self._guess_for(agent, synthesizer if player is not None else None) if live is not None else None,
        )
        turn = Turn(setup, text=text, clip=clip, started_at=started_at, previous=self._turn, live=live, guess=guess)
        self._turn = turn
        return turn.start()

    def _begin_new_conversation(self) -> None:
        with self._new_lock:
            self._new_conversation = True

    def _take_new_conversation(self) -> bool:
        """A turn asks this as it picks its conversation (turn thread): "New conversation" is used up
        by the first turn that stores a message, not by one that ended before (heard no speech, Stop)."""
        with self._new_lock:
            new, self._new_conversation = self._new_conversation, False
            return new

    def tts_notice(self, kind: NoticeKind, message: str) -> None:
        """Give this to Synthesizers as `on_notice`."""
        self.voice.notice(kind, message)


_DEFAULT_TEMPERATURE = Settings.__dataclass_fields__["llm_temperature"].default


def temperature_for(settings: Settings, llm: LLMPrefs) -> float:
    """The Settings temperature unless it is the default and the agent names its own: the rule the
    speech engine follows (speech.tts.engine_for). Every bundled agent names one, so letting the
    agent always win made the Settings field do nothing."""
    if llm.temperature is not None and settings.llm_temperature == _DEFAULT_TEMPERATURE:
        return float(llm.temperature)
    return float(settings.llm_temperature)


class _Said:
    """The words of a guess, as the LLM context reads a stored user message."""

    role = "user"
    status = MessageStatus.COMPLETE

    def __init__(self, text: str) -> None:
        self.text = text
