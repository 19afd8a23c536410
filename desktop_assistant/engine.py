"""The engine's one composition root: builds every part the `Assistant` runs on, rebuilds exactly
the parts a settings change affects, runs the probes the Settings dialog needs, and closes it all
in order. Qt-free: the CLI commands and the window (`ui/controller.py`, which only adds the thread hop)
build their engine here, and nothing else constructs a Recorder, Player, Transcriber or ChatClient.

What happens when setting X changes is answered in one place, `REBUILDS` (parts built anew) and
`READ_WHEN_USED` (settings looked up each time they are needed). A part is never swapped under a
turn in progress: a new microphone waits for the recording to end, and the microphone, output,
speech model and Groq client that a running turn holds are closed only after that turn ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from desktop_assistant.assistant.conductor import Assistant, Listener
from desktop_assistant.assistant.events import Event, RecordingCancelled, RecordingStopped, TurnFailed
from desktop_assistant.assistant.parts import ChatPart, PlayerPart, RecorderPart, SynthesizerPart, TranscriberPart
from desktop_assistant.audio.events import PlayerEvent, RecorderEvent
from desktop_assistant.config import Settings
from desktop_assistant.errors import NoticeKind

if TYPE_CHECKING:  # each loads numpy, PortAudio or the network stack: only when the part is built
    from desktop_assistant.agents import Agent
    from desktop_assistant.audio.devices import DeviceList
    from desktop_assistant.audio.recorder import Recorder
    from desktop_assistant.history.records import MessageRecord
    from desktop_assistant.history.store import HistoryStore
    from desktop_assistant.speech.stt import Transcriber
    from desktop_assistant.speech.transcript import ModelStatus
    from desktop_assistant.speech.tts import Synthesizer

log = logging.getLogger(__name__)
T = TypeVar("T")

Part = Literal["recorder", "transcriber", "player", "chat", "voices"]

#: Settings whose change builds a part anew (from the next use; never under a turn in progress).
REBUILDS: Mapping[str, Part] = {
    "input_device": "recorder",
    "max_recording_s": "recorder",
    "stt_model": "transcriber",
    "stt_compute_type": "transcriber",
    "output_device": "player",
    "groq_api_key": "chat",
    "groq_base_url": "chat",
    "tts_engine": "voices",
    "tts_speed": "voices",
}
#: Settings read each time they are used: by the next turn (model, temperature, history, session),
#: the next cue, the Assistant's mute and agent (`Assistant.apply_settings`), the log level (`App`),
#: or the window itself (push-to-talk key and mode, the global hotkey and its mode, window options).
READ_WHEN_USED = frozenset({
    "llm_model", "llm_temperature", "max_conversation_history", "session_timeout", "audio_cues",
    "speech_muted", "agent", "debug", "ptt_key", "ptt_mode", "global_hotkey", "global_hotkey_mode",
    "live_transcript", "speculative_reply",
})
#: How long closing one part may take at shutdown before the next is closed anyway.
CLOSE_BOUND_S = 5.0


@dataclass(frozen=True)
class ModelChoice:
    """Where a speech model would come from now, and whether it can be had (Settings' model picker)."""

    name: str
    source: str  # speech.models.SOURCES
    reason: str | None  # why that is not the model asked for
    problem: str | None  # why it cannot be had now (not here, no download possible) and what to do


class Engine:
    """Build with `Engine(app, …).build()` (blocking: the model, the database, the output device).

    `on_event` gets every engine event, `on_level` the microphone level (dBFS), `on_model_status`
    the speech model's status. `speak=False` / `listen=False` build a text-only engine that opens
    no audio device (`ask --no-speak`). `given` parts are used instead of building them and are not
    closed here (tests share one loaded model). `gtts_endpoint` sends gTTS's requests elsewhere.
    """

    def __init__(self, app: Any, *, on_event: Listener | None = None,
                 on_level: Callable[[float], None] | None = None,
                 on_model_status: Callable[[ModelStatus], None] | None = None, speak: bool = True, listen: bool = True,
                 gtts_endpoint: str | None = None, given: Mapping[str, Any] | None = None) -> None:
        self.app = app
        self._on_event = on_event
        self._on_level = on_level
        self._on_model_status = on_model_status
        self._speak = speak
        self._listen = listen
        self._gtts_endpoint = gtts_endpoint
        self._given = dict(given or {})
        self._owned: list[tuple[str, Any]] = []  # built here, closed here (in reverse order)
        self._transcriber: Transcriber | None = None  # the one the assistant uses (built or given)
        self._pending_recorder = False  # new microphone settings wait for the recording to end
        self._registered = False  # with the App, which closes the engine (before the database)
        self.assistant: Assistant | None = None

    # ------------------------------------------------------------------ building
    @property
    def settings(self) -> Settings:
        return self.app.settings  # type: ignore[no-any-return]

    def build(self) -> Assistant:
        store = self.store()
        chat = self._make_chat()
        stt: TranscriberPart | None = self._make_transcriber() if self._listen else None
        player: PlayerPart | None = self._make_player() if self._speak else None
        recorder: RecorderPart | None = self._make_recorder(first=True) if self._listen else None
        assistant = Assistant(self.settings, self.app.agents, store, chat, transcriber=stt, recorder=recorder,
                              player=player, synthesizer_for=self._make_synthesizer, speak=self._speak,
                              listener=self._relay)
        self.assistant = assistant
        if not self._registered:  # (a text-only engine with every part given owns nothing)
            self._registered = True
            self.app.part(f"engine-{id(self)}", lambda: self, Engine.close)
        assistant.warm_up()
        return assistant

    def store(self) -> HistoryStore:
        """The history database (opened on first use; the history commands need nothing else)."""
        from desktop_assistant.history.store import app_store

        return app_store(self.app)

    def current_conversation(self, limit: int = 50) -> list[MessageRecord]:
        """The last messages of the conversation the next turn continues (the window's first view): the
        store's session rule, asked with the agent and timeout the turn uses; [] when it starts a new one."""
        assistant = self.assistant
        if assistant is None:
            return []
        store = self.store()
        current = store.conversation_to_continue(assistant.agent.id, assistant.settings.session_timeout)
        return [] if current is None else store.recent_messages(current, limit)

    def _own(self, name: str, part: T) -> T:
        if not self._owned and not self._registered:  # closed with the app, before the database
            self._registered = True
            self.app.part(f"engine-{id(self)}", lambda: self, Engine.close)
        self._owned.append((name, part))
        return part

    def synthesizer(self, agent: Agent, on_notice: Callable[[NoticeKind, str], None] | None = None) -> Synthesizer:
        """A voice for `agent` as the current settings make it (the `say` command speaks with it)."""
        from desktop_assistant.speech.tts import Synthesizer, Voice, engine_for

        settings = self.settings
        return Synthesizer(engine_for(settings, agent), Voice.for_agent(agent, settings),
                           on_notice=on_notice or self._tts_notice, gtts_endpoint=self._gtts_endpoint)

    def output(self) -> PlayerPart:
        """The sound output as the settings name it (not opened; closed with the engine)."""
        return self._make_player()

    def _make_chat(self) -> ChatPart:
        if "chat" in self._given:
            return cast(ChatPart, self._given["chat"])
        from desktop_assistant.llm.client import ChatClient

        return self._own("chat", ChatClient.from_settings(self.settings))

    def _make_transcriber(self) -> TranscriberPart:
        from desktop_assistant.speech.stt import Transcriber

        if "transcriber" in self._given:
            self._transcriber = cast(Transcriber, self._given["transcriber"])
        else:
            self._transcriber = self._own("transcriber", Transcriber(self.settings, self.app.paths,
                                                                     on_status=self._on_model_status).start())
        return self._transcriber

    def _make_player(self) -> PlayerPart:
        if "player" in self._given:
            return cast(PlayerPart, self._given["player"])
        from desktop_assistant.audio.player import Player
        from desktop_assistant.speech.tts import PLAYER_RATE

        player = Player(device=self.settings.output_device, sample_rate=PLAYER_RATE)
        player.on_event = self._player_event
        return self._own("player", player)

    def _make_recorder(self, *, first: bool = False) -> RecorderPart:
        recorder: RecorderPart
        if first and "recorder" in self._given:
            recorder = cast(RecorderPart, self._given["recorder"])  # (new microphone settings build a real one)
        else:
            from desktop_assistant.audio.recorder import Recorder

            recorder = self._own("recorder", Recorder(device=self.settings.input_device,
                                                      max_seconds=self.settings.max_recording_s,
                                                      on_level=self._on_level, cue=self._cue))
        recorder.on_event = self._recorder_event
        return recorder

    def _make_synthesizer(self, agent: Agent) -> SynthesizerPart:
        return self.synthesizer(agent)

    # The parts call back into the assistant that was built after them.
    def _cue(self, kind: str) -> None:
        if self.assistant is not None:
            self.assistant.play_cue(kind)

    def _tts_notice(self, kind: NoticeKind, message: str) -> None:
        if self.assistant is not None:
            self.assistant.tts_notice(kind, message)

    def _player_event(self, event: PlayerEvent) -> None:
        if self.assistant is not None:
            self.assistant.on_player_event(event)

    def _recorder_event(self, event: RecorderEvent) -> None:
        if self.assistant is not None:
            self.assistant.on_recorder_event(event)

    def _relay(self, event: Event) -> None:
        if self._on_event is not None:
            self._on_event(event)
        if self._pending_recorder and isinstance(event, (RecordingStopped, RecordingCancelled, TurnFailed)):
            self._swap_recorder()  # the recording that held the old microphone has ended

    # ------------------------------------------------------------------ settings
    def apply_settings(self, old: Settings, new: Settings) -> list[Part]:
        """Use `new` (already the App's settings): the Assistant takes what it reads per turn, and
        the parts `REBUILDS` names are built anew. Blocking (a speech model may start loading):
        the window calls it on its command thread. Returns the parts rebuilt (or waiting to be)."""
        assistant = self.assistant
        if assistant is None:
            return []
        assistant.apply_settings(new)
        parts = sorted({part for name, part in REBUILDS.items() if getattr(old, name) != getattr(new, name)})
        for part in parts:
            if part == "recorder" and self._listen:
                self._pending_recorder = True
                self._swap_recorder()
            elif part == "transcriber" and self._listen:
                self._swap_transcriber(assistant)
            elif part == "player" and self._speak:
                self._retire(assistant.use_player(self._make_player()))
            elif part == "chat":
                self._retire(assistant.use_chat(self._make_chat()))
            # "voices": Assistant.apply_settings made new synthesizers for the next reply
        if parts:
            log.info("settings rebuilt: %s", ", ".join(parts))
        return parts

    def _swap_recorder(self) -> None:
        """Put a recorder for the current settings in place, unless a recording is in progress
        (then again when it has ended: `_relay`). No lock of its own: it runs under the Assistant's
        (`use_recorder`), and two threads swapping at once only build one recorder too many."""
        assistant = self.assistant
        if not self._pending_recorder or assistant is None:
            return
        swapped, old = assistant.use_recorder(self._make_recorder)
        if not swapped:
            log.info("new microphone settings wait for the recording to end")
            return
        self._pending_recorder = False
        self._retire(old, cancel=True)

    def _swap_transcriber(self, assistant: Assistant) -> None:
        from desktop_assistant.speech.models import unobtainable

        settings, current = self.settings, self._transcriber  # (the engine's own: it alone keeps serving)
        missing = unobtainable(settings, self.app.paths)
        if missing is not None and current is not None and current.resolved is not None:
            current.keep_serving(missing)  # e.g. offline: keep the model in use and say why
            return
        self._retire(assistant.use_transcriber(self._make_transcriber()))

    def _retire(self, part: Any, *, cancel: bool = False) -> None:
        """Close a part no longer used, once the turn that may still hold it has ended (its own thread:
        closing may wait on a device or a worker)."""
        if part is None or any(part is given for given in self._given.values()):
            return
        self._owned = [(name, p) for name, p in self._owned if p is not part]
        turn = self.assistant.current_turn if self.assistant is not None else None

        def run() -> None:
            if turn is not None:
                turn.join(120.0)
            for step in ("cancel", "close") if cancel else ("close",):
                try:
                    getattr(part, step)()
                except Exception:  # an old part that fails to close is only logged
                    log.warning("closing the replaced %s failed", type(part).__name__, exc_info=True)

        threading.Thread(target=run, name="engine-retire-part", daemon=True).start()

    # ------------------------------------------------------------------ probes for Settings
    def list_devices(self) -> DeviceList:
        from desktop_assistant.audio import devices

        return devices.list_devices(described=True)

    def model_choice(self, name: str) -> ModelChoice:
        """Up to ~2 s for a model that is not here (it probes the network)."""
        from desktop_assistant.speech import models

        settings = self.settings.with_values(stt_model=name)
        plan = models.plan(settings, self.app.paths)
        problem = models.unobtainable(settings, self.app.paths)
        return ModelChoice(name, plan.source, plan.reason, str(problem) if problem else None)

    def model_sources(self, names: tuple[str, ...]) -> dict[str, str]:
        """Where each model would come from now (offline, fast): a source, "download" or "unavailable"."""
        from desktop_assistant.errors import UserFacingError
        from desktop_assistant.speech import models

        out = {}
        for name in names:
            try:
                plan = models.plan(self.settings.with_values(stt_model=name), self.app.paths)
                out[name] = plan.source if plan.name == name else "download"
            except UserFacingError:
                out[name] = "unavailable"
        return out

    def test_key(self, key: str | None) -> str:
        """A one-token request with `key` (not saved); returns the model that answered."""
        from desktop_assistant.llm.client import ChatClient
        from desktop_assistant.llm.request import ChatMessage, ChatOptions

        settings = self.settings
        client = ChatClient(key, settings.groq_base_url, read_timeout=10.0, retry_budget_s=3.0, max_attempts=2)
        try:
            stream = client.stream([ChatMessage("user", "Reply with OK.")],
                                   ChatOptions(model=settings.llm_model, temperature=0.0, max_tokens=1))
            try:
                next(iter(stream), None)
            finally:
                stream.close()
        finally:
            client.close()
        return settings.llm_model

    def microphone(self, device: str | int | None, *, max_seconds: float = 30.0,
                   on_level: Callable[[float], None] | None = None,
                   on_event: Callable[[Any], None] | None = None) -> Recorder:
        """A recorder on `device`, not started and not kept (Settings' microphone test, `record`):
        the caller starts, stops and closes it."""
        from desktop_assistant.audio.recorder import Recorder

        return Recorder(device=device, max_seconds=max_seconds, on_level=on_level, on_event=on_event)

    def speech_model(self, settings: Settings | None = None, *, model: Any = None,
                     allow_download: bool = True) -> Transcriber:
        """A transcriber for `settings` (default: the App's), not started and not kept (`transcribe`,
        the smoke test): the caller closes it. `model` forces a resolved model."""
        from desktop_assistant.speech.stt import Transcriber

        return Transcriber(settings or self.settings, self.app.paths, allow_download=allow_download, model=model)

    def test_speaker(self, device: str | int | None) -> bool:
        """Play the speaker test sound on `device`; True once it has drained."""
        from desktop_assistant.audio.decode import decode_file
        from desktop_assistant.audio.player import Player
        from desktop_assistant.paths import resource_path

        pcm = decode_file(resource_path("sounds", "speaker-test.wav"), sample_rate=24000)
        player = Player(device=device, sample_rate=24000)
        player.open()
        try:
            player.enqueue(pcm)
            return player.wait_drained(timeout=10.0)
        finally:
            player.close()

    # ------------------------------------------------------------------ shutdown
    def close(self, timeout: float = CLOSE_BOUND_S) -> None:
        """The assistant first (its turn ends), then the parts, last built first, each bounded."""
        steps: list[tuple[str, Callable[[], Any]]] = []
        if self.assistant is not None:
            steps.append(("assistant", self.assistant.close))
        steps += [(name, part.close) for name, part in reversed(self._owned)]
        self._owned = []
        for name, close in steps:
            done = threading.Event()

            def run(close: Callable[[], Any] = close, done: threading.Event = done, name: str = name) -> None:
                try:
                    close()
                except Exception:  # shutdown goes on
                    log.exception("closing the %s failed", name)
                finally:
                    done.set()

            threading.Thread(target=run, name=f"engine-close-{name}", daemon=True).start()
            if not done.wait(timeout):
                log.warning("closing the %s took longer than %.1f s; going on", name, timeout)
