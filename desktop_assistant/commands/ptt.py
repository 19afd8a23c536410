"""`desktop-assistant ptt press|release|toggle|show`: push-to-talk from anywhere, for a key binding
of the desktop or compositor (sway `bindsym --release`, Hyprland `bind`/`bindr`, a GNOME custom
shortcut with `ptt toggle`). It sends `ptt <word>` over the running window's command channel
(`channel_client.py`; the window's side is `ui/talk_control.py`) and exits: 0 when the window did
it, 1 when no window is running (or it does not answer, or cannot do it now), 2 for a word it
does not know. No Qt, no engine, no key store: it costs a Python start and one local socket.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from desktop_assistant.errors import ErrorKind, UserFacingError

log = logging.getLogger(__name__)

WORDS = {
    "press": "start listening, as holding the talk key does",
    "release": "let go, and what was said is sent",
    "toggle": "press when not listening, else release (for bindings that only give a press)",
    "show": "bring the window forward",
}
START_IT = "start it with `desktop-assistant`"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ptt",
        usage="desktop-assistant ptt press|release|toggle|show",
        help="push-to-talk in the running window (press, release, toggle, show)",
        description="Push-to-talk in the running window, for a desktop key binding: "
        + "; ".join(f"{word}: {what}" for word, what in WORDS.items()) + ".",
    )
    # A free word, checked by the command: a wrong one is one line and exit 2 (not argparse's usage text).
    parser.add_argument("action", nargs="*", metavar="press|release|toggle|show")
    parser.set_defaults(func=run, reads_key=False)


def run(app: Any, args: argparse.Namespace) -> int:
    given = " ".join(args.action)
    word = given.strip().lower()
    if word not in WORDS:
        said = f"“{given}” is not one of" if given else "`ptt` needs one of"
        raise UserFacingError(f"{said} press, release, toggle, show",
                              "e.g. `desktop-assistant ptt toggle`", kind=ErrorKind.INPUT)
    from desktop_assistant.channel_client import CONNECT_TIMEOUT_S, ChannelError, channel_name, send_command

    data_dir = app.paths.data_dir
    # Wait for the channel only while a window is starting (it holds the lock and listens just after its
    # first frame); with no window at all, say so at once.
    starting = _window_process(data_dir) is not None
    try:
        answer = send_command(channel_name(data_dir), f"ptt {word}",
                              connect_timeout=CONNECT_TIMEOUT_S if starting else 0)
    except ChannelError as exc:
        log.info("ptt %s: %s", word, exc)
        if exc.reason == "absent" and not starting:
            raise UserFacingError("No Desktop Assistant window is running", START_IT,
                                  kind=ErrorKind.NOT_ANSWERING) from None
        raise UserFacingError("The Desktop Assistant window does not answer",
                              f"close it and {START_IT} again", kind=ErrorKind.NOT_ANSWERING) from None
    if answer != "ok":
        reason = answer.removeprefix("error").strip() or answer
        raise UserFacingError(f"The window could not {word}: {reason}", kind=ErrorKind.ERROR)
    log.info("ptt %s: done", word)
    return 0


def _window_process(data_dir: Any) -> int | None:
    """The pid of a live process holding the window's lock (written into the lock file), if any."""
    from desktop_assistant.instance import InstanceLock

    pid = InstanceLock(data_dir / "window.lock").holder_pid()
    if pid is None or sys.platform == "win32":  # (os.kill(pid, 0) would end it there)
        return pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # another user's process with that pid: not our window
        return None
    return pid
