"""Finished turns are freed: many spoken text turns through the real Assistant leave no Turn objects,
threads, open files or temp files behind.

Real parts: the SQLite history, the groq SDK against the loopback Groq, gTTS's real code against the
loopback TTS endpoint (MP3 decoded by PyAV); the player is the fast FakePlayer (no sound device needed).
Some turns are barged in on by the next one, as a press or a typed message does.
"""

from __future__ import annotations

import gc
import os
import re
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_assistant.agents import FALLBACK_AGENT, AgentSet
from desktop_assistant.assistant.conductor import Assistant
from desktop_assistant.assistant.events import ReplyDelta, TurnFinished
from desktop_assistant.assistant.turn import Turn
from desktop_assistant.config import Settings
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.llm.client import ChatClient
from desktop_assistant.speech.tts import Synthesizer, Voice
from tests.assistant.conftest import FakePlayer
from tests.support.groq_server import GroqBehaviour, GroqServer
from tests.support.tts_server import TTSServer

WARM_UP = 5
TURNS = 32
BARGE_IN_EVERY = 8  # every 8th turn is cut off by the next message while it streams
#: the threads a turn starts (turn-7, speech-feed-7, speech-events-7, tts-7_0); none may outlive it
PER_TURN_THREAD = re.compile(r"(turn|speech-feed|speech-events)-\d+$|tts-\d+_\d+$")
REPLY = "Paris is the capital of France. It sits on the Seine."


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR of this process only: other processes on the machine cannot change what is counted."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.fixture
def assistant(app_home: Path, groq_server: GroqServer, tts_server: TTSServer,
              private_tmp: Path) -> Iterator[Assistant]:
    settings = Settings(groq_api_key="gsk_test12345", groq_base_url=groq_server.base_url)
    store = HistoryStore.open(app_home / "history.db")
    chat = ChatClient.from_settings(settings)
    player = FakePlayer(speedup=40.0)
    synth = Synthesizer("gtts", Voice(), gtts_endpoint=tts_server.url)
    made = Assistant(settings, AgentSet({"assistant": FALLBACK_AGENT}, []), store, chat, player=player,
                     synthesizer_for=lambda agent: synth)
    player.on_event = made.on_player_event
    yield made
    made.close()
    chat.close()
    player.close()
    store.close()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def per_turn_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if PER_TURN_THREAD.match(t.name)]


def settles(condition, timeout: float = 15.0) -> bool:
    """Poll `condition` (after a collection) until it holds or `timeout` passes (slow machines)."""
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


class Streaming:
    """A listener that tells when a turn's reply has begun to stream."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._cond = threading.Condition()

    def __call__(self, event: object) -> None:
        if isinstance(event, ReplyDelta):
            with self._cond:
                self._ids.add(event.turn_id)
                self._cond.notify_all()

    def wait(self, turn_id: int, timeout: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: turn_id in self._ids, timeout)


def run_turn(assistant: Assistant, n: int, refs: list[weakref.ref[Turn]], groq: GroqServer,
             streaming: Streaming) -> None:
    if n % BARGE_IN_EVERY == 0:  # a slow reply, cut off by the next message once it streams
        groq.queue.append(GroqBehaviour(reply=REPLY * 20, tokens_per_s=40))  # ~7 s: still streaming
        cut = assistant.send_text(f"question {n}, cut off")
        refs.append(weakref.ref(cut))
        assert streaming.wait(cut.id), cut.result
        del cut
    turn = assistant.send_text(f"question {n}")
    refs.append(weakref.ref(turn))
    result = turn.wait(60)
    assert isinstance(result, TurnFinished) and result.status == "complete", result
    del turn, result
    groq.received.clear()  # the stand-in's own log of requests is not the app's memory


def test_many_spoken_turns_leave_no_turns_threads_files_behind(
        assistant: Assistant, groq_server: GroqServer, private_tmp: Path) -> None:
    groq_server.default = GroqBehaviour(reply=REPLY)
    refs: list[weakref.ref[Turn]] = []
    streaming = Streaming()
    assistant.add_listener(streaming)
    for n in range(1, WARM_UP + 1):
        run_turn(assistant, n, refs, groq_server, streaming)
    assert settles(lambda: not per_turn_threads()), per_turn_threads()
    threads_after_warm_up, fds_after_warm_up = threading.active_count(), open_fds()

    for n in range(WARM_UP + 1, WARM_UP + TURNS + 1):
        run_turn(assistant, n, refs, groq_server, streaming)

    def alive() -> list[Turn]:
        return [t for t in (r() for r in refs) if t is not None]

    assert len(refs) > WARM_UP + TURNS  # the barged-in turns are counted too
    # the assistant keeps its latest turn (and its speech run the turn before at most)
    assert settles(lambda: len(alive()) <= 2), f"{len(alive())} of {len(refs)} turns still alive"
    assert settles(lambda: not per_turn_threads()), per_turn_threads()
    assert settles(lambda: threading.active_count() <= threads_after_warm_up), \
        [t.name for t in threading.enumerate()]
    assert settles(lambda: open_fds() <= fds_after_warm_up), (open_fds(), fds_after_warm_up)
    assert sorted(os.listdir(private_tmp)) == []
    # and every reply was stored: freeing turns lost nothing
    stored = assistant.store.recent_messages(assistant.current_turn.conversation_id, 1000)
    assert sum(1 for m in stored if m.role == "user") == len(refs)
    statuses = [m.status for m in stored if m.role == "assistant"]
    assert statuses.count("interrupted") == (WARM_UP + TURNS) // BARGE_IN_EVERY
    assert statuses.count("complete") == WARM_UP + TURNS
