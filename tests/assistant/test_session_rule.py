"""Which conversation a turn continues, said once (the store's session rule) and kept by everyone:
the window's first view shows exactly the conversation the next turn sends as context, and a
"New conversation" holds until a turn actually stores something (real SQLite, loopback Groq)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from desktop_assistant.agents import FALLBACK_AGENT, AgentSet
from desktop_assistant.assistant.conductor import Assistant
from desktop_assistant.assistant.events import Event, TurnFailed, TurnFinished
from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.config import Settings
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.llm.client import ChatClient
from desktop_assistant.ui.controller import EngineController, build_engine
from tests.assistant.test_turn_unit import Harness
from tests.support.groq_server import DEFAULT_REPLY, GroqServer

TUTOR = replace(FALLBACK_AGENT, id="tutor", name="Tutor", system_prompt="You are a tutor.")
T = TypeVar("T")
AGENTS = AgentSet({"assistant": FALLBACK_AGENT, "tutor": TUTOR}, [])


def settings_for(server: GroqServer) -> Settings:
    return Settings(groq_api_key="gsk_test12345", groq_base_url=server.base_url, agent="assistant",
                    session_timeout=3600)


def ask(assistant: Assistant, text: str) -> TurnFinished:
    result = assistant.send_text(text).wait(10)
    assert isinstance(result, TurnFinished), result
    return result


def run_before(server: GroqServer, store: HistoryStore, turns: Callable[[Assistant], T]) -> T:
    """An earlier run of the app on this history (an engine of its own, closed after `turns`)."""
    settings = settings_for(server)
    chat = ChatClient.from_settings(settings)
    assistant = Assistant(settings, AGENTS, store, chat, speak=False)
    try:
        return turns(assistant)
    finally:
        assistant.close()
        chat.close()


class ShownBridge:
    """The window's side of the engine: keeps what the first view was given and the turns' ends."""

    def __init__(self) -> None:
        self.shown: list[Any] | None = None
        self.finished: list[TurnFinished | TurnFailed] = []
        self.done = threading.Event()

    def post_conversation_loaded(self, messages: Any) -> None:
        self.shown = list(messages)

    def post(self, event: Event) -> None:
        if isinstance(event, TurnFinished | TurnFailed):
            self.finished.append(event)
            self.done.set()

    def __getattr__(self, name: str) -> Any:  # post_agents_loaded, post_engine_ready, …
        return lambda *args: None


class App:
    """The App as the window's engine uses it, around the test's history database."""

    def __init__(self, settings: Settings, store: HistoryStore) -> None:
        self.settings = settings
        self.agents = AGENTS
        self._store = store
        self.closers: list[Callable[[], object]] = []

    def load_stored_key(self) -> None:
        pass

    def on_settings_changed(self, listener: Any) -> None:
        pass

    def part(self, name: str, build: Callable[[], T], close: Callable[[T], object]) -> T:
        if name == "history":
            return self._store  # type: ignore[return-value]
        part = build()
        self.closers.append(lambda: close(part))
        return part


def first_view_then_a_turn(server: GroqServer, store: HistoryStore) -> tuple[list[str], list[str], int]:
    """Start the window's engine (the real Engine, text only) on this history: (the texts its first view
    shows, the earlier messages the next turn sends to Groq, that turn's conversation)."""
    settings = settings_for(server)
    chat = ChatClient.from_settings(settings)
    bridge = ShownBridge()
    app = App(settings, store)
    controller = EngineController(
        app, bridge,  # type: ignore[arg-type]
        build=lambda app, bridge: build_engine(app, bridge, speak=False, listen=False, given={"chat": chat}))
    try:
        controller.start()
        assert controller.wait_ready(10)
        controller.send_text("three")
        assert bridge.done.wait(10)
    finally:
        controller.shutdown()
        for close in reversed(app.closers):
            close()
        chat.close()
    (result,) = bridge.finished
    assert isinstance(result, TurnFinished), result
    shown = [m.text for m in bridge.shown or []]
    sent = [m["content"] for m in server.received[-1].body["messages"][1:-1]]  # (system prompt … "three")
    return shown, sent, result.conversation_id


def test_after_switching_agents_a_b_a_the_first_view_is_the_conversation_the_turn_continues(
        groq_server: GroqServer, store: HistoryStore) -> None:
    """A → B → A with a turn each: the next turn of A starts afresh (the newest conversation is B's),
    so the window, started again on A, shows nothing of A's old conversation."""
    def earlier(assistant: Assistant) -> tuple[int, int]:
        old = ask(assistant, "one").conversation_id
        assistant.set_agent("tutor")
        tutors = ask(assistant, "two").conversation_id
        assistant.set_agent("assistant")
        return old, tutors

    old, tutors = run_before(groq_server, store, earlier)

    shown, sent, continued = first_view_then_a_turn(groq_server, store)

    assert shown == sent == []
    assert continued not in (old, tutors)


def test_within_the_session_the_first_view_shows_the_context_the_next_turn_sends(
        groq_server: GroqServer, store: HistoryStore) -> None:
    old = run_before(groq_server, store, lambda assistant: ask(assistant, "one").conversation_id)

    shown, sent, continued = first_view_then_a_turn(groq_server, store)

    assert shown == sent == ["one", DEFAULT_REPLY]
    assert continued == old


class SilentRecorder:
    """A microphone that hears nothing: every recording is a second of silence."""

    chunks = None  # (nothing reads the audio while it records here)

    def start(self) -> None:
        pass

    def stop(self) -> AudioClip:
        return AudioClip.silent(1.0)

    def cancel(self) -> None:
        pass


def test_new_conversation_holds_after_a_press_that_heard_no_speech(
        groq_server: GroqServer, store: HistoryStore, transcriber: Any) -> None:
    h = Harness(groq_server, speak=False, settings=settings_for(groq_server), store=store,
                transcriber=transcriber, agents=AGENTS)
    try:
        h.assistant.listening.recorder = SilentRecorder()
        first = ask(h.assistant, "one").conversation_id
        h.assistant.new_conversation()
        h.assistant.push_to_talk_pressed()
        heard = h.assistant.push_to_talk_released()
        assert heard is not None
        silence = heard.wait(30)
        assert isinstance(silence, TurnFailed) and silence.error.kind == "no_speech", silence
        second = ask(h.assistant, "two").conversation_id
    finally:
        h.close()
    assert [m["role"] for m in groq_server.received[-1].body["messages"]] == ["system", "user"]
    assert groq_server.received[-1].body["messages"][-1]["content"] == "two"
    assert second != first
    assert [m.text for m in store.recent_messages(second, 10)] == ["two", DEFAULT_REPLY]


def test_switching_agents_a_b_a_without_a_turn_starts_the_new_conversation_the_window_announces(
        groq_server: GroqServer, store: HistoryStore) -> None:
    """The window clears the chat and says "New conversation with …" on every switch (ConversationChanged
    with no conversation): the next turn must not carry A's old conversation as context."""
    def switch_back_and_ask(assistant: Assistant) -> tuple[int, int]:
        old = ask(assistant, "one").conversation_id
        assistant.set_agent("tutor")
        assistant.set_agent("assistant")
        return old, ask(assistant, "two").conversation_id

    old, continued = run_before(groq_server, store, switch_back_and_ask)
    assert [m["content"] for m in groq_server.received[-1].body["messages"][1:]] == ["two"]
    assert continued != old
