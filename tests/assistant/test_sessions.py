"""Sessions and settings with the real SQLite history: timeout → new conversation, agents, new, mute."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from desktop_assistant.agents import FALLBACK_AGENT, AgentSet
from desktop_assistant.assistant.events import TurnFinished
from desktop_assistant.config import Settings
from desktop_assistant.history.store import HistoryStore
from tests.assistant.test_turn_unit import Harness
from tests.support.groq_server import DEFAULT_REPLY, GroqServer

TUTOR = replace(FALLBACK_AGENT, id="tutor", name="Tutor", system_prompt="You are a tutor.")
COOL = replace(FALLBACK_AGENT, id="cool", name="Cool", llm=replace(FALLBACK_AGENT.llm, temperature=0.2))


@pytest.fixture
def make(groq_server: GroqServer, store: HistoryStore) -> Iterator:
    made: list[Harness] = []

    def build(**settings_values) -> Harness:
        settings = Settings(groq_api_key="gsk_test12345", groq_base_url=groq_server.base_url, **settings_values)
        h = Harness(groq_server, speak=False, settings=settings, store=store,
                    agents=AgentSet({"assistant": FALLBACK_AGENT, "tutor": TUTOR, "cool": COOL}, []))
        made.append(h)
        return h

    yield build
    for h in made:
        h.close()


def ask(h: Harness, text: str) -> TurnFinished:
    result = h.assistant.send_text(text).wait(10)
    assert isinstance(result, TurnFinished), result
    return result


def test_turns_continue_the_conversation_within_the_session(make, store: HistoryStore) -> None:
    h = make(session_timeout=3600)
    first, second = ask(h, "one"), ask(h, "two")
    assert first.conversation_id == second.conversation_id
    messages = store.recent_messages(first.conversation_id, 10)
    assert [(m.role, m.text, m.status) for m in messages] == [
        ("user", "one", "complete"), ("assistant", DEFAULT_REPLY, "complete"),
        ("user", "two", "complete"), ("assistant", DEFAULT_REPLY, "complete")]
    assert messages[1].llm_first_token_ms is not None and messages[1].total_ms is not None


def test_after_the_session_timeout_a_new_conversation_starts(make) -> None:
    h = make(session_timeout=0)
    first, second = ask(h, "one"), ask(h, "two")
    assert first.conversation_id != second.conversation_id


def test_new_conversation_and_agent_switch_start_new_conversations(make, groq_server: GroqServer) -> None:
    h = make()
    first = ask(h, "one")
    h.assistant.new_conversation()
    second = ask(h, "two")
    h.assistant.set_agent("tutor")
    third = ask(h, "three")
    assert len({first.conversation_id, second.conversation_id, third.conversation_id}) == 3
    assert groq_server.received[-1].body["messages"][0]["content"] == "You are a tutor."


def test_changed_settings_apply_from_the_next_turn(make, groq_server: GroqServer) -> None:
    """(A new key is the engine's to apply: tests/assistant/test_engine.py.)"""
    h = make()
    ask(h, "one")
    h.assistant.apply_settings(replace(h.assistant.settings, llm_model="other-model"))
    ask(h, "two")
    assert groq_server.received[-1].body["model"] == "other-model"  # the agent names no model: the setting decides


def test_an_agent_changed_in_settings_is_announced_like_a_switch(make) -> None:
    """Saving the agent setting can reach the engine before the window's set_agent: the switch is
    said either way (ConversationChanged), once, and set_agent then has nothing left to do."""
    from desktop_assistant.assistant.events import ConversationChanged

    h = make()
    seen: list[object] = []
    h.assistant.add_listener(seen.append)
    h.assistant.apply_settings(replace(h.assistant.settings, agent="tutor"))
    h.assistant.set_agent("tutor")
    changes = [e for e in seen if isinstance(e, ConversationChanged)]
    assert changes == [ConversationChanged(0, None, "tutor")]
    assert h.assistant.agent.id == "tutor"


def test_the_settings_temperature_wins_unless_it_is_the_default(make, groq_server: GroqServer) -> None:
    """Like the speech engine: an agent's own temperature applies while Settings has the default;
    a temperature the user chose in Settings reaches the request whatever the agent says."""
    h = make()
    h.assistant.set_agent("cool")  # its own temperature: 0.2
    ask(h, "one")
    assert groq_server.received[-1].body["temperature"] == 0.2  # Settings at its default 0.7
    h.assistant.apply_settings(replace(h.assistant.settings, llm_temperature=1.3))
    ask(h, "two")
    assert groq_server.received[-1].body["temperature"] == 1.3
