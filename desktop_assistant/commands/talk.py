"""`desktop-assistant talk`: push-to-talk in a terminal, for users without a display.

Press Enter to start talking and Enter again when you are done; the reply streams to the
terminal and is spoken. A typed line is sent as a message. Ctrl-C stops a reply (or a
recording); `q` (or Ctrl-D) quits. On a terminal a status line shows the time and the level
while recording and a spinner until the reply starts (commands/console.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from desktop_assistant.commands.ask import (
    add_turn_options,
    check_agent,
    print_store_notices,
    wait_for,
    wants_speech,
)
from desktop_assistant.commands.console import ConsolePrinter
from desktop_assistant.terminal import shown_bytes, tolerant_stdin, undecodable

HELP = ("Press Enter to start talking, Enter again when you are done. Or type a message and press Enter.\n"
        "Ctrl-C stops a reply; q or Ctrl-D quits.")
NOT_TEXT = ("desktop-assistant: this line is not valid UTF-8 text and was not sent: {shown} — "
            "check the terminal's character encoding (locale), or type it again")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("talk", help="push-to-talk in the terminal (Enter to start talking, Enter when done)")
    add_turn_options(p)
    p.set_defaults(func=run)


def _read(prompt: str) -> str | None:
    """A line from stdin; None at the end of input (Ctrl-D). Bytes that are not text in the
    terminal's encoding arrive as lone surrogates (`tolerant_stdin`): see `undecodable`."""
    try:
        return input(prompt)
    except EOFError:
        return None
    except UnicodeError:  # a stdin that could not be made tolerant
        return "\udcff"


@contextlib.contextmanager
def keys_not_echoed(stream: TextIO) -> Iterator[None]:
    """While recording, the status line is redrawn in place: the Enter that ends it must not
    echo a new line under it. Nothing changes when `stream` is not a terminal."""
    try:
        import termios
    except ImportError:  # not a POSIX system
        yield
        return
    try:
        fd = stream.fileno()
        saved = termios.tcgetattr(fd) if os.isatty(fd) else None
    except (OSError, ValueError, AttributeError, termios.error):
        saved = None
    if saved is None:
        yield
        return
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def run(app: Any, args: argparse.Namespace) -> int:
    from desktop_assistant.audio.alsa_log import route_alsa_messages_to_log
    from desktop_assistant.engine import Engine

    check_agent(app, args.agent)
    route_alsa_messages_to_log()  # alsa-lib's underrun messages would break the reply's line
    printer = ConsolePrinter(show_transcript=True, show_failures=True)
    assistant = Engine(app, on_event=printer, on_level=printer.set_level, speak=wants_speech(app, args)).build()
    print_store_notices(app)
    if args.new:
        assistant.new_conversation()
    printer.say(HELP)
    tolerant_stdin()  # a line that is not UTF-8 is read (and refused), not a crash
    try:
        with printer.taking_log_lines():
            return _talk(assistant, printer)
    finally:
        printer.close()


def _talk(assistant: Any, printer: ConsolePrinter) -> int:
    while True:
        line = _read("> ")
        if line is not None and undecodable(line):
            printer.warn(NOT_TEXT.format(shown=shown_bytes(line)))
            continue
        if line is None or str(line).strip().lower() in ("q", "quit", "exit"):
            if line is None and printer.live:
                printer.say("")  # the shell's prompt starts on a line of its own
            return 0
        text = str(line).strip()
        try:
            if text:
                turn = assistant.send_text(text)
            else:
                assistant.push_to_talk_pressed()
                if not assistant.is_recording:
                    continue  # the failure was printed by the listener
                with keys_not_echoed(sys.stdin):
                    ended = _read("")
                if ended is None:
                    assistant.stop()
                    return 0
                turn = assistant.push_to_talk_released()
                if turn is None:
                    continue
            wait_for(assistant, turn)
        except KeyboardInterrupt:
            assistant.stop()  # a recording too: the microphone is never left on at the prompt
            printer.end_reply()
            printer.say("(stopped)")
