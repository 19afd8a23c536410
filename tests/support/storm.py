"""Tools for push-to-talk storms: a seeded plan of user events, lanes that run calls the way
the window does (one thread each, in order) and notice a call that blocks, and thread stacks
for a failure message."""

from __future__ import annotations

import queue
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

#: how often each kind of event comes (a held key is released far more often than anything else)
WEIGHTS = {"press": 30, "release": 30, "stop": 12, "type": 12, "agent": 8, "settings": 8}


@dataclass(frozen=True)
class PlannedEvent:
    at: float  # seconds after the storm starts
    kind: str  # a key of WEIGHTS


def plan_storm(seed: int, count: int, seconds: float, *, busy_while_held: bool = True) -> list[PlannedEvent]:
    """`count` events over `seconds`, random gaps (mean seconds/count) and kinds. A press only comes
    while no press is held and a release only while one is (a key cannot go down twice); with
    `busy_while_held=False` nothing but a release or a Stop comes while one is (a person at a
    keyboard types with the key up). It ends with a release if a press was still held, then a
    typed message and, 50 ms later, the final Stop: the Stop always has a reply to end."""
    rng = random.Random(seed)
    gaps = [rng.expovariate(1.0) for _ in range(count - 1)]
    scale = (seconds - 0.1) / sum(gaps)
    events: list[PlannedEvent] = []
    held, at = False, 0.0
    for gap in gaps[:-1]:
        at += gap * scale
        allowed = [k for k in WEIGHTS if not (k == "press" and held) and not (k == "release" and not held)
                   and (busy_while_held or not held or k in ("release", "stop"))]
        kind = rng.choices(allowed, weights=[WEIGHTS[k] for k in allowed])[0]
        held = {"press": True, "release": False}.get(kind, held)
        events.append(PlannedEvent(at, kind))
    if held:
        events.append(PlannedEvent(seconds - 0.1, "release"))
    events.append(PlannedEvent(seconds - 0.05, "type"))
    events.append(PlannedEvent(seconds, "stop"))
    return events


@dataclass
class Call:
    lane: str
    name: str
    submitted: float
    started: float | None = None
    ended: float | None = None
    error: BaseException | None = None


@dataclass
class Lane:
    """One thread that runs calls in order, like the window's command thread or its Stop thread."""

    name: str
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._jobs: queue.Queue[tuple[Call, Callable[[], object]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"storm-{self.name}", daemon=True)
        self._thread.start()

    def submit(self, name: str, fn: Callable[[], object]) -> Call:
        call = Call(self.name, name, time.monotonic())
        self.calls.append(call)
        self._jobs.put((call, fn))
        return call

    def close(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, fn = job
            call.started = time.monotonic()
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - recorded; the test decides
                call.error = exc
            call.ended = time.monotonic()

    def blocked(self, now: float, limit: float) -> Call | None:
        """A call that has been running for more than `limit` seconds."""
        for call in self.calls:
            if call.started is not None and call.ended is None and now - call.started > limit:
                return call
        return None

    def drained(self) -> bool:
        return all(call.ended is not None for call in self.calls)


def thread_stacks() -> str:
    """Every thread's stack, for a failure message."""
    names = {t.ident: t.name for t in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        parts.append(f"--- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame))}")
    return "\n".join(parts)
