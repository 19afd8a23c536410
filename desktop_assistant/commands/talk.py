"""`desktop-assistant talk`: push-to-talk in a terminal, for users without a display.

Press Enter to start recording and Enter again to stop; the reply streams to the
terminal and is spoken. A typed line is sent as a message. Ctrl-C stops a reply;
`q` (or Ctrl-D) quits.
"""

from __future__ import annotations

import argparse
from typing import Any

from desktop_assistant.commands.ask import (
    ConsolePrinter,
    add_turn_options,
    check_agent,
    print_store_notices,
    wait_for,
    wants_speech,
)

HELP = ("Press Enter to start recording, Enter again to stop. Type a message and press Enter to send it.\n"
        "Ctrl-C stops a reply; q or Ctrl-D quits.")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("talk", help="push-to-talk in the terminal (Enter to start/stop recording)")
    add_turn_options(p)
    p.set_defaults(func=run)


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def run(app: Any, args: argparse.Namespace) -> int:
    from desktop_assistant.assistant.wiring import build_assistant

    check_agent(app, args.agent)
    printer = ConsolePrinter(show_transcript=True, show_failures=True)
    assistant = build_assistant(app, on_event=printer, speak=wants_speech(app, args), listen=True)
    print_store_notices(app)
    if args.new:
        assistant.new_conversation()
    print(HELP, flush=True)
    while True:
        line = _read("> ")
        if line is None or line.strip().lower() in ("q", "quit", "exit"):
            return 0
        try:
            if line.strip():
                turn = assistant.send_text(line.strip())
            else:
                assistant.push_to_talk_pressed()
                if not assistant.is_recording:
                    continue  # the failure was printed by the listener
                print("● recording… press Enter to stop", flush=True)
                if _read("") is None:
                    assistant.stop()
                    return 0
                turn = assistant.push_to_talk_released()
                if turn is None:
                    continue
            wait_for(assistant, turn)
        except KeyboardInterrupt:
            print("\n(stopped)", flush=True)
