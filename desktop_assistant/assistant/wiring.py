"""Builds the `Assistant` from the `App`'s parts (the composition root calls this).

Each hardware/network part is an `app.part(...)`, so it is built once, lazily,
and closed in order on shutdown (assistant first, then recorder, player,
transcriber, chat client, history store). `speak=False` and `listen=False` build a
text-only assistant that needs no audio device (the `ask --no-speak` command).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop_assistant.assistant.conversation import Assistant, Listener
from desktop_assistant.llm.client import ChatClient

if TYPE_CHECKING:  # speech.tts loads numpy (~0.4 s): only when a reply is spoken
    from desktop_assistant.speech.tts import Synthesizer


def history_store(app: Any) -> Any:
    from desktop_assistant.history.store import app_store

    return app_store(app)


def chat_client(app: Any) -> ChatClient:
    return app.part("chat", lambda: ChatClient.from_settings(app.settings), lambda c: c.close())


def transcriber(app: Any, on_status: Callable[[Any], None] | None = None) -> Any:
    def build() -> Any:
        from desktop_assistant.speech.stt import Transcriber

        stt = Transcriber(app.settings, app.paths, on_status=on_status)
        stt.start()
        return stt

    return app.part("transcriber", build, lambda t: t.close())


def player(app: Any) -> Any:
    def build() -> Any:
        from desktop_assistant.audio.player import Player
        from desktop_assistant.speech.tts import PLAYER_RATE

        return Player(device=app.settings.output_device, sample_rate=PLAYER_RATE)

    return app.part("player", build, lambda p: p.close())


def recorder(app: Any, on_level: Callable[[float], None] | None = None,
             cue: Callable[[str], None] | None = None) -> Any:
    def build() -> Any:
        from desktop_assistant.audio.recorder import Recorder

        return Recorder(device=app.settings.input_device, max_seconds=app.settings.max_recording_s,
                        on_level=on_level, cue=cue)

    return app.part("recorder", build, lambda r: r.close())


def synthesizer_factory(app: Any, on_notice: Callable[[str, str], None],
                        gtts_endpoint: str | None = None) -> Callable[[Any], Synthesizer]:
    def make(agent: Any) -> Synthesizer:
        from desktop_assistant.speech.tts import Synthesizer, Voice, engine_for

        settings = app.settings
        return Synthesizer(engine_for(settings, agent), Voice.for_agent(agent, settings), on_notice=on_notice,
                           gtts_endpoint=gtts_endpoint)

    return make


def build_assistant(app: Any, *, on_event: Listener | None = None,
                    on_level: Callable[[float], None] | None = None,
                    on_model_status: Callable[[Any], None] | None = None,
                    speak: bool = True, listen: bool = True, gtts_endpoint: str | None = None) -> Assistant:
    """The engine for the GUI (`listen=True`) or the CLI; `on_event` gets every event."""

    def build() -> Assistant:
        store = history_store(app)
        chat = chat_client(app)
        stt = transcriber(app, on_model_status) if listen else None
        out = player(app) if speak else None
        holder: dict[str, Assistant] = {}
        mic = recorder(app, on_level, cue=lambda kind: holder["a"].play_cue(kind)) if listen else None
        make_synth = synthesizer_factory(app, lambda kind, msg: holder["a"].tts_notice(kind, msg), gtts_endpoint)
        assistant = Assistant(app.settings, app.agents, store, chat, transcriber=stt, recorder=mic, player=out,
                              synthesizer_for=make_synth, speak=speak, listener=on_event)
        holder["a"] = assistant
        if out is not None:
            out.on_event = assistant.on_player_event
        if mic is not None:
            mic.on_event = assistant.on_recorder_event
        if hasattr(app, "on_settings_changed"):
            app.on_settings_changed(lambda old, new: assistant.apply_settings(new))
        assistant.warm_up()
        return assistant

    return app.part("assistant", build, lambda a: a.close())
