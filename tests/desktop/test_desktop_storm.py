"""A push-to-talk storm through the real window on a real X server, with a core loaded: ~200
seeded events in ~20 s — Space held and let go, Esc, a message typed and sent, the agent picker
changed from the keyboard (Alt+A, then Up or Down: the window also saves it as a setting) — ending
with a message sent and, at once, Esc. Read back from the app's log (its timestamps): the microphone is never open while
the key is not held, beyond `GRACE_S` after the let-go; no more recordings than holds; the
window is idle (`state: ready`) within 1 s of the final Esc and stays idle; nothing was logged as an error; every
message typed is stored; and one more typed turn is answered.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.support.groq_server import GroqBehaviour
from tests.support.storm import plan_storm

SEED = int(os.environ.get("DA_STORM_SEED", "20261128"))
EVENTS = 200
STORM_S = 20.0
IDLE_WITHIN_S = 1.0
IDLE = "ready"  # the window's idle state (`state: ready` in its log)
#: How long the microphone may stay open after the key is let go (or after it opened, when that
#: came later): the let-go goes from the GUI thread to the command thread, which closes the stream
#: at once (audio/recorder.py). Measured max over three storms: 9, 206 and 338 ms, the last beside
#: a busy loop as well as the core hog (a let-go waiting for the threads to be scheduled).
GRACE_S = 1.0
LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \S+\s+\S+ \S+: (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Logged:
    at: float  # epoch seconds
    text: str


def log_lines(app: Any) -> list[Logged]:
    return [Logged(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp(), text)
            for stamp, text in LINE.findall(app.log_text())]


def microphone_without_a_hold(lines: list[Logged]) -> tuple[list[str], float]:
    """Times the microphone was open with the key not held for longer than GRACE_S, and the
    longest such stretch (from the let-go, or from the opening when that came later)."""
    held, opened_at, let_go_at = False, None, 0.0
    problems, worst = [], 0.0

    def check(now: float) -> None:
        nonlocal worst
        if opened_at is not None and not held:
            late = now - max(let_go_at, opened_at)
            worst = max(worst, late)
            if late > GRACE_S:
                problems.append(f"microphone open {late:.2f} s with the key not held (until {now:.3f})")

    for line in lines:
        if line.text == "push-to-talk held":
            check(line.at)
            held = True
        elif line.text.startswith("push-to-talk let go"):
            held, let_go_at = False, line.at
        elif line.text.startswith("recording from "):
            opened_at = line.at
        elif line.text.startswith("microphone closed"):
            check(line.at)
            opened_at = None
    if opened_at is not None:
        problems.append("the microphone is still open at the end")
    return problems, worst


@pytest.mark.audio
def test_push_to_talk_storm_through_the_window(desktop: Any, launch_app: Any, groq_server: Any,
                                               cpu_hog: None) -> None:
    groq_server.default = GroqBehaviour(reply="It is sunny. Take a hat.", ttft_s=0.05, tokens_per_s=100)
    app = launch_app()
    app.wait_state("ready", timeout=60)
    app.focus()
    app.key("Tab")  # away from the message box: Space talks wherever the user is not typing
    seed = f"(seed {SEED}: DA_STORM_SEED={SEED} repeats it)"
    plan = plan_storm(SEED, EVENTS, STORM_S, busy_while_held=False)
    held, presses, typed, done = False, 0, [], 0
    t0 = time.monotonic()
    for n, event in enumerate(plan):
        if (wait := t0 + event.at - time.monotonic()) > 0:
            time.sleep(wait)
        if event.kind == "press":
            app.key_down("space")
            held, presses = True, presses + 1
        elif event.kind == "release":
            app.key_up("space")
            held = False
        elif event.kind == "stop":
            app.key("Escape")
        elif event.kind == "type":
            text = f"storm{n}"  # (no space: a space in the message box is typing, not talking)
            app.type(text)
            app.key("Return")
            typed.append(text)
        else:  # the agent picker, from the keyboard: a new agent, saved as the agent setting
            app.key("alt+a", "Down" if event.kind == "agent" else "Up", "Tab")  # (Tab: the combo box would
            # take typed letters as an item search)
        done += 1
    stopped_at = time.time()  # the plan ends with a message sent and, at once, Esc
    assert not held
    storm_s = time.monotonic() - t0
    time.sleep(IDLE_WITHIN_S + 2.0)  # whatever was still queued has run by now: the state must not move

    lines = log_lines(app)
    states = [(line.at, line.text.split(": ", 1)[1]) for line in lines if line.text.startswith("state: ")]
    last_at, last_state = states[-1]
    problems, worst = microphone_without_a_hold(lines)
    holds = sum(line.text == "push-to-talk held" for line in lines)
    recordings = sum(line.text.startswith("recording from ") for line in lines)
    errors = [line.text for line in lines if "Traceback" in line.text] + re.findall(r"^.* ERROR .*$", app.log_text(),
                                                                                  re.MULTILINE)
    print(f"desktop storm {seed}: {done} events in {storm_s:.1f} s ({presses} presses, {len(typed)} typed; "
          f"{holds} holds and {recordings} recordings logged); last state {last_state!r} "
          f"{(last_at - stopped_at) * 1000:.0f} ms after the final Esc; microphone open at most "
          f"{worst * 1000:.0f} ms after a let-go")
    assert last_state == IDLE, f"{last_state} after the final Esc {seed}\n{app.tail()}"
    assert last_at - stopped_at <= IDLE_WITHIN_S, f"idle only {last_at - stopped_at:.2f} s after Esc {seed}"
    assert not problems, f"{problems[:5]} {seed}"
    assert 0 < recordings <= holds <= presses, f"{recordings} recordings, {holds} holds, {presses} presses {seed}"
    assert not errors, f"{errors[:5]} {seed}"
    stored = [text for role, text, _ in app.messages() if role == "user"]
    assert [t for t in typed if t not in stored] == [], f"typed but not stored {seed}: {stored}"

    before = len(app.messages())
    app.type("stillthere")
    app.key("Return")
    rows = app.wait_messages(before + 2, timeout=30)
    reply = groq_server.default.reply
    answered = rows[-2][:2] == ("user", "stillthere") and rows[-1] == ("assistant", reply, "complete")
    assert answered, f"{rows[-2:]} {seed}"
