"""One history, many writers, as a user meets it: the real window sends typed turns of its own while
four `ask` processes stream theirs and `history search` runs over and over, all on one data dir.
No lock error reaches anyone (no banner, no traceback, no "locked" in any process's output or the
window's log), every question and every reply is stored complete, and the database stays sound."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.desktop import atspi
from tests.desktop.harness import REPO
from tests.desktop.test_desktop_accessibility import ask
from tests.support.groq_server import GroqBehaviour, GroqServer

pytestmark = pytest.mark.timeout(120)

REPLY = "Sentence one is here. Sentence two is here. Sentence three ends it."
CLI_QUESTIONS = [f"parallel question {n}" for n in range(4)]
WINDOW_QUESTIONS = [f"window question {n}" for n in range(3)]
TROUBLE = ("locked", "Traceback", "database is", "could not be saved")


def cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "desktop_assistant", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_window_and_four_asks_and_searches_share_one_history(
        launch_app: Any, groq_server: GroqServer, app_home: Path, cpu_hog: None) -> None:
    # ~1 s of streaming per reply, so the window's turns, the asks and the searches overlap
    groq_server.default = GroqBehaviour(reply=REPLY, tokens_per_s=20)
    app = launch_app(home=app_home, extra_env={"TTS_ENGINE": "none"})
    nodes = atspi.tree(app.env, app.proc.pid)
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(app_home), "PYTHONPATH": str(REPO),
           "GROQ_BASE_URL": groq_server.base_url, "GROQ_API_KEY": "gsk_loopbacktestkey0123456789"}
    ready_before = app.count_log(r"state: ready")

    asks = [cli(["ask", question, "--no-speak"], env) for question in CLI_QUESTIONS]
    searches: list[tuple[int, str, str]] = []

    def search_while_asking() -> None:
        while len(searches) < 2 or any(p.poll() is None for p in asks):
            proc = cli(["history", "search", "question"], env)
            out, err = proc.communicate(timeout=60)
            searches.append((proc.returncode, out, err))

    searcher = threading.Thread(target=search_while_asking)
    searcher.start()
    overlapped = 0  # window turns sent while an ask was still running
    try:
        for n, question in enumerate(WINDOW_QUESTIONS):
            overlapped += any(p.poll() is None for p in asks)
            if n == 0:
                ask(app, nodes, question)  # click into the message box, type, Enter
            else:
                app.type(question)
                app.key("Return")
            app.wait_log(r"state: ready", count=ready_before + n + 1, timeout=40)
        outputs = [p.communicate(timeout=60) for p in asks]
    finally:
        for proc in asks:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        searcher.join(90)

    for proc, (out, err) in zip(asks, outputs, strict=True):
        assert (proc.returncode, err) == (0, ""), err
        assert out == REPLY + "\n"
    assert len(searches) >= 2
    for code, out, err in searches:
        assert (code, err) == (0, ""), err
        assert out == "No matches.\n" or "question" in out
    assert overlapped >= 1, "the window's turns all ran after the asks: nothing was concurrent"
    window_output = app.log_text() + (app.output.read_text(errors="replace") if app.output.exists() else "")
    assert [word for word in TROUBLE if word in window_output] == [], app.tail()
    assert app.count_log(r"banner: ") == 0, app.tail()

    with closing(sqlite3.connect(app_home / "data" / "history.db", timeout=10)) as conn:
        rows = conn.execute("SELECT role, text, status FROM messages ORDER BY id").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    users = sorted(text for role, text, _ in rows if role == "user")
    assert users == sorted(CLI_QUESTIONS + WINDOW_QUESTIONS)
    replies = [(text, status) for role, text, status in rows if role == "assistant"]
    assert replies == [(REPLY, "complete")] * (len(CLI_QUESTIONS) + len(WINDOW_QUESTIONS))
    final = cli(["history", "search", "question"], env)
    out, err = final.communicate(timeout=60)
    assert (final.returncode, err) == (0, "") and out.count("«question»") == 7, out
