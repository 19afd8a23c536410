"""`desktop-assistant ask "TEXT" [--agent NAME] [--new] [--speak/--no-speak] [--json]`.

Streams the reply to stdout as it arrives (and speaks it unless --no-speak), storing
both messages in the history. `--json` prints one object at the end instead:
{"conversation_id", "reply", "timings"}. Without an output device the reply is still
printed and a warning is given once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from desktop_assistant.assistant.events import TurnFailed, TurnFinished
from desktop_assistant.commands.console import ConsolePrinter
from desktop_assistant.errors import ErrorKind, NoticeKind, UserFacingError

if TYPE_CHECKING:
    from desktop_assistant.assistant.conductor import Assistant
    from desktop_assistant.assistant.turn import Turn

TURN_TIMEOUT_S = 600.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ask", help="ask the assistant (typed) and stream the reply")
    p.add_argument("text", nargs="+", help="what to ask")
    add_turn_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.set_defaults(func=run)


def add_turn_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agent", metavar="NAME", help="the agent (persona) to use")
    p.add_argument("--new", action="store_true", help="start a new conversation")
    p.add_argument("--speak", action=argparse.BooleanOptionalAction, default=None,
                   help="speak the reply (default: on unless speech is muted)")


def check_agent(app: Any, name: str | None) -> None:
    if name is not None and name not in app.agents.agents:
        raise UserFacingError(f"Unknown agent '{name}'", "choose one of: " + ", ".join(app.agents.agents),
                              kind=ErrorKind.INPUT)


def wants_speech(app: Any, args: argparse.Namespace) -> bool:
    if args.speak is not None:
        return bool(args.speak)
    return not app.settings.speech_muted and app.settings.tts_engine != "none"


def print_store_notices(app: Any) -> None:
    """What opening the history had to do (a damaged or foreign file moved aside), one line each."""
    from desktop_assistant.history.store import app_store

    notices = app_store(app).notices
    while notices:
        print(f"desktop-assistant: {notices.pop(0)}", file=sys.stderr, flush=True)


def wait_for(assistant: Assistant, turn: Turn) -> TurnFinished | TurnFailed:
    """Wait for the turn; Ctrl-C stops it (and is re-raised)."""
    deadline = time.monotonic() + TURN_TIMEOUT_S
    try:
        while not turn.done:
            if time.monotonic() > deadline:
                assistant.stop()
                raise UserFacingError("The turn took too long", kind=ErrorKind.TIMEOUT)
            turn.wait(0.1)
    except KeyboardInterrupt:
        assistant.stop()
        turn.wait(5)
        raise
    if turn.result is None:  # (a turn that is done always has its result)
        raise RuntimeError(f"turn {turn.id} ended without a result")
    return turn.result


def run(app: Any, args: argparse.Namespace) -> int:
    from desktop_assistant.engine import Engine

    text = " ".join(args.text).strip()
    if not text:
        raise UserFacingError("Nothing to ask", "give the question as an argument", kind=ErrorKind.INPUT)
    check_agent(app, args.agent)
    printer = ConsolePrinter(stream_reply=not args.json)
    speak = wants_speech(app, args)
    if speak:
        from desktop_assistant.audio.alsa_log import route_alsa_messages_to_log

        route_alsa_messages_to_log()  # alsa-lib's underrun messages would break the reply's line
    assistant = Engine(app, on_event=printer, speak=speak, listen=False).build()
    print_store_notices(app)
    if args.new:
        assistant.new_conversation()
    try:
        with printer.taking_log_lines():
            result = wait_for(assistant, assistant.send_text(text))
    finally:
        printer.close()
    if isinstance(result, TurnFailed):
        raise result.error
    if args.json:
        print(json.dumps({"conversation_id": result.conversation_id, "reply": result.reply,
                          "status": result.status, "timings": result.timings.as_dict()}))
    return 1 if NoticeKind.NOT_SAVED in printer.noticed else 0  # shown, but the history could not keep it
