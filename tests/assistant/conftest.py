"""Pipeline test fixtures: the real SQLite history (`store`), and small fakes for unit tests."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.audio.events import ChunkStarted, Drained
from desktop_assistant.history.store import HistoryStore


@dataclass(frozen=True)
class FakeMessage:
    id: int
    conversation_id: int
    role: str
    text: str
    status: str
    source: str
    error: str | None = None
    timings: Mapping[str, float | None] = field(default_factory=dict)


class MemoryStore:
    """An in-memory TurnStore for unit tests of the orchestration."""

    def __init__(self) -> None:
        self.messages: dict[int, FakeMessage] = {}
        self.conversations: list[tuple[int, str]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def conversation_to_continue(self, agent: str, session_timeout: float) -> int | None:
        with self._lock:
            last = self.conversations[-1] if self.conversations else None
            return last[0] if last is not None and last[1] == agent else None

    def conversation_for_turn(self, agent: str, session_timeout: float, *, new: bool = False) -> int:
        with self._lock:
            self.calls.append("conversation_for_turn")
            if new or not self.conversations or self.conversations[-1][1] != agent:
                self.conversations.append((len(self.conversations) + 1, agent))
            return self.conversations[-1][0]

    def add_message(self, conversation_id: int, role: str, text: str, *, status: str = "complete",
                    source: str = "typed", error: str | None = None, stt_model: str | None = None,
                    llm_model: str | None = None) -> int:
        with self._lock:
            self.calls.append(f"add_message:{role}")
            message = FakeMessage(next(self._ids), conversation_id, role, text, status, source, error)
            self.messages[message.id] = message
            return message.id

    def update_message(self, message_id: int, *, text: str | None = None, status: str | None = None,
                       error: str | None = None, timings: Mapping[str, float | None] | None = None,
                       partials: int | None = None, early: str | None = None,
                       speculation: str | None = None) -> None:
        with self._lock:
            self.calls.append("update_message")
            old = self.messages[message_id]
            self.messages[message_id] = replace(
                old, text=old.text if text is None else text, status=old.status if status is None else status,
                error=error if error is not None else old.error, timings=dict(timings or old.timings))

    def save_reply_text(self, message_id: int, text: str) -> bool:
        with self._lock:
            self.calls.append("save_reply_text")
            self.messages[message_id] = replace(self.messages[message_id], text=text)
            return True

    def recent_messages(self, conversation_id: int, limit: int) -> list[FakeMessage]:
        with self._lock:
            rows = [m for m in self.messages.values() if m.conversation_id == conversation_id]
            return rows[-limit:]

    def of_role(self, role: str) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.role == role]


class FakePlayer:
    """Plays queued PCM in (optionally accelerated) real time on a thread, with the Player's events."""

    def __init__(self, sample_rate: int = 24000, speedup: float = 1.0, on_event=None) -> None:
        self.sample_rate = sample_rate
        self.speedup = speedup
        self.on_event = on_event
        self.queue: list[tuple[np.ndarray, object]] = []
        self.enqueued: list[object] = []
        self.stops: list[float] = []
        self.opened = False
        self._cond = threading.Condition()
        self._playing = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def open(self) -> None:
        self.opened = True
        self._thread.start()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def enqueue(self, pcm: np.ndarray, tag=None) -> None:
        with self._cond:
            self.queue.append((pcm, tag))
            self.enqueued.append(tag)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.queue.clear()
            self._playing = False
            self.stops.append(time.monotonic())
            self._cond.notify_all()

    @property
    def is_playing(self) -> bool:
        return self._playing

    def wait_drained(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self.queue and not self._playing, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self.queue or self._closed)
                if self._closed:
                    return
                pcm, tag = self.queue.pop(0)
                self._playing = True
            if self.on_event:
                self.on_event(ChunkStarted(time.monotonic(), tag))
            end = time.monotonic() + len(pcm) / self.sample_rate / self.speedup
            with self._cond:
                while self._playing and time.monotonic() < end:
                    self._cond.wait(max(0.0, end - time.monotonic()))
                interrupted = not self._playing
                self._playing = bool(self.queue) and not interrupted
                drained = not self.queue
                self._cond.notify_all()
            if drained and self.on_event:
                self.on_event(Drained(time.monotonic()))


@pytest.fixture
def store(app_home: Path) -> Iterator[HistoryStore]:
    """The real SQLite history, in the test's home."""
    history = HistoryStore.open(app_home / "history.db")
    yield history
    history.close()


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()
