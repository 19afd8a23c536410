"""Command line: `desktop-assistant [flags] [command …]`.

With no command it opens the GUI. Each command lives in `commands/<name>.py`
with `register(subparsers)`; its handler gets the `App` and the parsed args
and returns an exit code (a command that never needs the Groq key sets
`reads_key=False` in its defaults: the OS keyring is then not read). Only the
named command's module is imported. A `UserFacingError` becomes one line on
stderr: exit 2 for bad input or settings, 1 for anything else the user met.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from desktop_assistant import __version__
from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.terminal import inert, shown_bytes, undecodable

log = logging.getLogger(__name__)

COMMANDS = ("check", "transcribe", "record", "ask", "say", "talk", "history", "screenshot", "ptt")

# CLI flag -> setting name (the top layer of the configuration)
GLOBAL_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "debug": ("--debug", {"action": "store_const", "const": True, "help": "debug logging (like DEBUG=1)"}),
    "stt_model": ("--stt-model", {"metavar": "NAME", "help": "Whisper model size or directory (STT_MODEL)"}),
    "stt_compute_type": ("--compute-type", {"metavar": "TYPE", "help": "CTranslate2 compute type (STT_COMPUTE_TYPE)"}),
    "llm_model": ("--llm-model", {"metavar": "NAME", "help": "Groq model (LLM_MODEL)"}),
    "llm_temperature": ("--temperature", {"metavar": "T", "help": "LLM temperature 0–2 (LLM_TEMPERATURE)"}),
    "tts_engine": ("--tts-engine", {"metavar": "ENGINE", "help": "gtts, espeak or none (TTS_ENGINE)"}),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or only the command `only` (its module alone is imported:
    importing them all costs ~80 ms, about half of a `ptt` key binding's start)."""
    parser = argparse.ArgumentParser(
        prog="desktop-assistant",
        description="A push-to-talk voice assistant. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--smoke-test", action="store_true",
                        help="check the installed app end to end and exit (used by packaging)")
    for dest, (flag, kwargs) in GLOBAL_FLAGS.items():
        parser.add_argument(flag, dest=dest, **kwargs)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"desktop_assistant.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"desktop_assistant.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` names (its first word that is neither a flag nor a global flag's value), if any."""
    takes_value = {flag for flag, kwargs in GLOBAL_FLAGS.values() if kwargs.get("action") is None}
    words = iter(argv)
    for word in words:
        if word in takes_value:
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def flags_from(args: argparse.Namespace) -> dict[str, object]:
    names = [*GLOBAL_FLAGS, "agent"]
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(only=command_in(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    problem = undecodable_argument(args)
    if problem is not None:
        _print_error(UserFacingError(problem, "check the terminal's character encoding (locale), or type the text "
                                     "again", kind=ErrorKind.INPUT))
        return 2
    handler = getattr(args, "func", None)
    opens_window = handler is None and not args.smoke_test
    if args.smoke_test:
        from desktop_assistant.commands.smoke import run_smoke_test

        handler = run_smoke_test
    elif handler is None:
        from desktop_assistant.commands.gui import run_gui

        handler = run_gui
    from desktop_assistant.app import App

    try:
        # The window reads a key kept in the OS keyring just after it shows, off the GUI thread; a
        # command that never uses the key (`reads_key=False`, e.g. `ptt`) does not wait for the keyring.
        app = App.create(flags_from(args), console_log=not getattr(args, "json", False),
                         read_stored_key=not opens_window and getattr(args, "reads_key", True),
                         tolerant_settings=opens_window)
    except UserFacingError as exc:  # a setting, the data folder, a stored key
        _print_error(exc)
        return 2 if exc.users_mistake or exc.kind == ErrorKind.INPUT else 1
    try:
        return int(handler(app, args) or 0)
    except UserFacingError as exc:
        log.info("stopped: %s", exc)
        _print_error(exc, app.redactor)
        return 2 if exc.users_mistake or exc.kind == ErrorKind.INPUT else 1
    except KeyboardInterrupt:
        return 130
    finally:
        app.close()


#: arguments that name files: any bytes the file system allows are fine there
_PATH_ARGUMENTS = frozenset({"file", "out"})


def undecodable_argument(args: argparse.Namespace) -> str | None:
    """What to say about a text argument that is not valid UTF-8 (it could be neither stored nor sent)."""
    for dest, value in vars(args).items():
        if dest in _PATH_ARGUMENTS:
            continue
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and undecodable(text):
                return f"The {dest.replace('_', ' ')} given ({shown_bytes(text)}) is not valid UTF-8 text"
    return None


def _print_error(exc: UserFacingError, redactor: Callable[[str], str] | None = None) -> None:
    stream = sys.stderr or sys.__stderr__
    if stream is not None:
        text = str(exc) if redactor is None else redactor(str(exc))
        print(f"desktop-assistant: {inert(text)}", file=stream)
