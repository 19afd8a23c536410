"""One turn: (AudioClip → Transcript →) user message stored → streamed reply → speech.

A `Turn` runs on its own worker thread and reports only through events: every
failure becomes `TurnFailed(UserFacingError)`, nothing crosses threads as an
exception. A turn stopped before its reply began ends in `TurnFailed` with
`error.kind == "cancelled"` (listeners show no error for it); once the reply has
begun, stopping ends in `TurnFinished(status="interrupted")`. `cancel()` (barge-in or
Stop) silences the player at once, closes the LLM stream and drops pending speech; the
assistant message is then stored as `interrupted` with the text that was actually spoken.

The reply's text is saved as it streams: at each sentence end (and at least every
`SAVE_EVERY_S` in a long sentence), before that text is shown, with a write that does not
wait for a busy database. So a crash loses at most the sentence being shown. The final
write is retried for up to `final_write_budget_s` (another program holding the database,
a full disk); if it still fails, the turn ends as it would have and a `Notice` says the
reply was not saved (what was saved while it streamed stays).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop_assistant.assistant.events import (
    Event,
    FragmentSpoken,
    Notice,
    ReplyDelta,
    ReplyStarted,
    SpeakingStarted,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnTimings,
    UserMessageStored,
)
from desktop_assistant.assistant.parts import (
    ChatPart,
    LivePart,
    PlayerPart,
    ReplyStreamPart,
    SynthesizerPart,
    TranscriberPart,
)
from desktop_assistant.assistant.persistence import TurnStore
from desktop_assistant.assistant.sentences import SentenceSplitter
from desktop_assistant.assistant.speaking import SpeechRun
from desktop_assistant.assistant.speculation import Speculation, same_words
from desktop_assistant.errors import ErrorKind, NoticeKind, UserFacingError
from desktop_assistant.llm.context import build_messages
from desktop_assistant.llm.request import ChatOptions
from desktop_assistant.messages import MessageStatus
from desktop_assistant.speech.transcript import Early, LiveStats

if TYPE_CHECKING:  # numpy (the clip) and the YAML parser (the agents): loaded by whoever made them
    from desktop_assistant.agents import Agent
    from desktop_assistant.audio.clip import AudioClip

log = logging.getLogger(__name__)

#: a reply is saved while it streams at each delta holding one of these, or after this long without one
SENTENCE_ENDS = frozenset(".!?;\n…\u3002\uff01\uff1f")  # (and the CJK full stop, ! and ?)
SAVE_EVERY_S = 2.0
FINAL_WRITE_BUDGET_S = 60.0


@dataclass(frozen=True)
class TurnSetup:
    """Everything one turn needs, fixed when it starts."""

    turn_id: int
    agent: Agent
    options: ChatOptions
    max_history: int
    session_timeout: float
    take_new_conversation: Callable[[], bool]  # asked once, as the turn picks its conversation
    store: TurnStore
    chat: ChatPart
    emit: Callable[[Event], None]
    transcriber: TranscriberPart | None = None
    synthesizer: SynthesizerPart | None = None  # None: do not speak
    player: PlayerPart | None = None
    on_speech_run: Callable[[SpeechRun | None], None] | None = None
    #: a spoken turn with a live transcript and no guess yet: asks for the reply to the words heard at
    #: the release, while the final transcript is decoded (assistant/speculation.py)
    guess_for: Callable[[str], Speculation | None] | None = None
    stt_timeout: float = 60.0
    speech_timeout: float = 900.0  # a cap only: the wait ends when the queued speech has played
    final_write_budget_s: float | None = None  # how long the last write of a reply is retried (None: the default)


class Turn:
    def __init__(self, setup: TurnSetup, *, text: str | None = None, clip: AudioClip | None = None,
                 started_at: float | None = None, previous: Turn | None = None,
                 live: LivePart | None = None, guess: Speculation | None = None) -> None:
        if (text is None) == (clip is None):
            raise ValueError("a turn needs either text or a clip")
        self.setup = setup
        self.id = setup.turn_id
        self._text = text
        self._clip = clip
        self._live = live  # the clip's live transcript: its final transcript may be decoded already
        self._guess = guess  # the reply asked for before the release, on the words heard then
        self.started_at = time.monotonic() if started_at is None else started_at
        self._previous = previous  # dropped once joined: a finished turn keeps no chain of older ones alive
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._stream: ReplyStreamPart | None = None
        self._speech: SpeechRun | None = None
        self._done = threading.Event()
        self.result: TurnFinished | TurnFailed | None = None
        self.conversation_id: int | None = None
        self._thread = threading.Thread(target=self._run, name=f"turn-{self.id}", daemon=True)

    # -- control (any thread) ---------------------------------------------------------------------
    def start(self) -> Turn:
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Barge-in/Stop: silence now, stop the stream and pending speech."""
        self._cancel.set()
        with self._lock:
            speech, stream = self._speech, self._stream
        if speech is not None:
            speech.cancel()
        if stream is not None:
            stream.close()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> TurnFinished | TurnFailed | None:
        self._done.wait(timeout)
        return self.result

    def join(self, timeout: float | None = None) -> bool:
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the work (turn thread) -------------------------------------------------------------------
    def _run(self) -> None:
        state = _State()
        try:
            self._work(state)
        except UserFacingError as exc:
            self._fail(state, exc)
        except Exception as exc:  # a bug: log it, tell the user in one line
            log.exception("turn %d failed", self.id)
            self._fail(state, UserFacingError(f"Something went wrong: {exc}", "see the log for details",
                                              kind=ErrorKind.BUG))
        finally:
            self._previous = None
            if self._live is not None:
                self._live.cancel()  # (a turn stopped before it read its transcript: nothing more runs)
                self._live = None
            if self._guess is not None:
                self._guess.cancel("the turn ended before it was used")
                self._guess = None
            speech = self._speech
            if speech is not None:
                speech.close()
                if self.setup.on_speech_run is not None:
                    self.setup.on_speech_run(None)
            self._done.set()

    def _work(self, state: _State) -> None:
        s = self.setup
        if self._previous is not None:
            self._previous.join(timeout=3.0)  # let a barged-in turn store its `interrupted` message
            self._previous = None
        text, source, stt_model = self._input(state)
        if self._clip is not None:  # (what was typed is stored even when stopped at once: the user sees it sent)
            self._check_cancel()
        new = s.take_new_conversation()  # (not before: a press that heard nothing leaves it for the next turn)
        conversation = s.store.conversation_for_turn(s.agent.id, s.session_timeout, new=new)
        self.conversation_id = state.conversation_id = conversation
        user_id = s.store.add_message(conversation, "user", text, source=source, stt_model=stt_model)
        s.emit(UserMessageStored(self.id, conversation, user_id, text, new))
        self._check_cancel()
        history = s.store.recent_messages(conversation, s.max_history + 1)
        messages = build_messages(s.agent.system_prompt, history, max_history=max(1, s.max_history + 1))
        guess, self._guess = self._guess, None
        if guess is not None:
            state.speculation = "hit" if guess.answers(messages) else "miss"
            if state.speculation == "miss":
                guess.cancel(f"the final transcript differs: {len(guess.text)} → {len(text)} characters")
                guess = None
        state.message_id = s.store.add_message(conversation, "assistant", "", status=MessageStatus.STREAMING,
                                               source=source, llm_model=s.options.model)
        s.emit(ReplyStarted(self.id, conversation, state.message_id, s.agent.id))
        self._check_cancel()
        speech = self._start_speech(state, guess)
        splitter = SentenceSplitter()
        llm_started = time.monotonic() if guess is None else guess.started_at
        stream = s.chat.stream(messages, s.options, cancel=self._cancel) if guess is None else guess.take()
        with self._lock:
            self._stream = stream
        if self._cancel.is_set():
            stream.close()
        for delta in stream:
            if state.first_token_at is None:
                state.first_token_at = time.monotonic()
                state.llm_first_token_ms = (state.first_token_at - llm_started) * 1000
            state.reply += delta
            self._save_streaming(state, delta)  # before it is shown: a crash loses at most this sentence
            s.emit(ReplyDelta(self.id, delta, state.reply))
            if speech is not None:
                for sentence in splitter.feed(delta):
                    speech.submit(sentence)
            if self._cancel.is_set():
                break
        if self._cancel.is_set():
            self._finish(state, MessageStatus.INTERRUPTED)
            return
        if not state.reply.strip():
            raise UserFacingError("The assistant sent an empty reply", "try asking again", kind=ErrorKind.EMPTY)
        if speech is not None:
            for sentence in splitter.flush():
                speech.submit(sentence)
            speech.finish()
            speech.wait(s.speech_timeout, self._cancel)
        self._finish(state, MessageStatus.INTERRUPTED if self._cancel.is_set() else MessageStatus.COMPLETE)

    def _input(self, state: _State) -> tuple[str, str, str | None]:
        s = self.setup
        if self._clip is None:
            text = (self._text or "").strip()
            if not text:
                raise UserFacingError("Nothing to send", "type a message first", kind=ErrorKind.INPUT)
            return text, "typed", None
        if s.transcriber is None:
            raise UserFacingError("Speech recognition is not available", kind=ErrorKind.STT)
        prefs = s.agent.stt
        if self._live is not None:
            if self._guess is None and s.guess_for is not None:
                heard = self._live.release_guess(self._clip)
                self._guess = s.guess_for(heard) if heard else None
            transcript, state.live = self._live.finish(self._clip, timeout=s.stt_timeout, cancel=self._cancel)
        else:
            transcript = s.transcriber.transcribe(self._clip, language=prefs.language,
                                                  initial_prompt=prefs.initial_prompt, timeout=s.stt_timeout,
                                                  cancel=self._cancel)
        state.final_transcript_ms = (time.monotonic() - self.started_at) * 1000
        state.stt_ms = float(transcript.stt_ms)
        self._check_cancel()
        text = transcript.text.strip()
        if transcript.no_speech or not text:
            raise UserFacingError("I didn't hear anything", "hold the button while you speak", kind=ErrorKind.NO_SPEECH)
        guess = self._guess
        if guess is not None and guess.text != text and same_words(guess.text, text):
            text = guess.text  # the same words: worded as the reply under way was asked (speculation.py)
        s.emit(TranscriptReady(self.id, text, state.stt_ms, transcript.language))
        return text, "voice", transcript.model or None

    def _start_speech(self, state: _State, guess: Speculation | None = None) -> SpeechRun | None:
        s = self.setup
        if s.synthesizer is None or s.player is None:
            return None
        synthesizer = s.synthesizer if guess is None else guess.speech(s.synthesizer)

        def first_audio(at: float) -> None:
            s.emit(SpeakingStarted(self.id, (at - self.started_at) * 1000))

        def fragment(index: int, text: str) -> None:
            s.emit(FragmentSpoken(self.id, index, text))

        speech = SpeechRun(self.id, synthesizer, s.player, on_first_audio=first_audio, on_fragment=fragment)
        if s.on_speech_run is not None:
            s.on_speech_run(speech)
        with self._lock:
            self._speech = speech
        if self._cancel.is_set():
            speech.cancel()
        return speech

    def _save_streaming(self, state: _State, delta: str) -> None:
        now = time.monotonic()
        if SENTENCE_ENDS.isdisjoint(delta) and now - state.saved_at < SAVE_EVERY_S:
            return
        state.saved_at = now
        _, message_id = state.stored_ids()
        self.setup.store.save_reply_text(message_id, state.reply)

    def _store_final(self, message_id: int, **fields: Any) -> UserFacingError | None:
        """Write the reply's last state, retrying a database that is busy or full (bounded);
        returns the error that remained, if any."""
        budget = self.setup.final_write_budget_s
        deadline = time.monotonic() + (FINAL_WRITE_BUDGET_S if budget is None else budget)
        while True:
            try:
                self.setup.store.update_message(message_id, **fields)
                return None
            except UserFacingError as exc:  # locked, disk full, … (HistoryError)
                if time.monotonic() >= deadline:
                    log.info("turn %d: the reply could not be saved: %s", self.id, exc.message)
                    return exc
                log.info("turn %d: saving the reply failed (%s); retrying", self.id, exc.message)
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def _not_saved(self, error: UserFacingError) -> None:
        self.setup.emit(Notice(self.id, NoticeKind.NOT_SAVED, f"The reply could not be saved to the history: {error}"))

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise UserFacingError("Stopped", kind=ErrorKind.CANCELLED)

    def _timings(self, state: _State) -> TurnTimings:
        speech = self._speech
        first_audio = speech.first_audio_at if speech is not None else None
        return TurnTimings(
            stt_ms=state.stt_ms,
            llm_first_token_ms=state.llm_first_token_ms,
            first_audio_ms=(first_audio - self.started_at) * 1000 if first_audio is not None else None,
            total_ms=(time.monotonic() - self.started_at) * 1000,
            final_transcript_ms=state.final_transcript_ms,
            partials=state.live.partials if state.live is not None else None,
            early=state.live.early if state.live is not None else None,
            speculation=state.speculation if self._clip is not None else None,
        )

    def _finish(self, state: _State, status: MessageStatus) -> None:
        s = self.setup
        speech = self._speech
        if speech is not None:
            speech.settle(0.5)
        spoken = speech.spoken_text if speech is not None else state.reply.strip()
        stored = spoken if status == MessageStatus.INTERRUPTED and speech is not None else state.reply
        timings = self._timings(state)
        conversation_id, message_id = state.stored_ids()
        problem = self._store_final(message_id, text=stored, status=status, **timings.stored())
        if problem is not None:
            self._not_saved(problem)
        self.result = TurnFinished(self.id, conversation_id, message_id, state.reply, status, spoken, timings)
        s.emit(self.result)

    def _fail(self, state: _State, error: UserFacingError) -> None:
        speech = self._speech
        if speech is not None:
            speech.cancel()
        if error.kind == ErrorKind.CANCELLED and state.message_id is not None:
            try:
                self._finish(state, MessageStatus.INTERRUPTED)  # stopped after the reply began: not an error
                return
            except Exception:  # fall through and report it as failed
                log.exception("could not store the interrupted turn %d", self.id)
        timings = self._timings(state)
        if state.message_id is not None:
            try:
                problem = self._store_final(state.message_id, text=state.reply, status=MessageStatus.FAILED,
                                            error=str(error), **timings.stored())
                if problem is not None:
                    self._not_saved(problem)
            except Exception:  # the failure we report matters more
                log.exception("could not store the failed turn %d", self.id)
        self.result = TurnFailed(self.id, error, state.conversation_id, state.message_id, state.reply, timings)
        self.setup.emit(self.result)


@dataclass
class _State:
    conversation_id: int | None = None
    message_id: int | None = None
    reply: str = ""
    stt_ms: float | None = None
    final_transcript_ms: float | None = None
    live: LiveStats | None = None
    speculation: Early = "none"  # the reply asked for before the release: used, cancelled, or none asked
    llm_first_token_ms: float | None = None
    first_token_at: float | None = None
    saved_at: float = 0.0  # when the streaming text was last saved (monotonic)

    def stored_ids(self) -> tuple[int, int]:
        """The conversation and the reply's message (both stored before the reply streams)."""
        if self.conversation_id is None or self.message_id is None:
            raise RuntimeError("the reply has no stored message yet")
        return self.conversation_id, self.message_id
