"""No command: open the window."""

from __future__ import annotations

import argparse
from typing import Any


def run_gui(app: Any, args: argparse.Namespace) -> int:
    from desktop_assistant.ui.application import run

    return run(app)
