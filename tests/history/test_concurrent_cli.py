"""Concurrency as users meet it: four `ask` processes at once while `history search` runs over and
over, all on one fresh history. No lock error reaches anyone; nothing is lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from tests.commands.test_commands import groq_env
from tests.support.groq_server import GroqBehaviour, GroqServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

REPLY = "Sentence one is here. Sentence two is here. Sentence three ends it."


def test_four_asks_at_once_while_searching_lose_nothing_and_show_no_lock_error(
        app_home: Path, groq_server: GroqServer) -> None:
    groq_server.default = GroqBehaviour(reply=REPLY, tokens_per_s=40)
    env = {**os.environ, **groq_env(groq_server)}
    asks = [subprocess.Popen([sys.executable, "-m", "desktop_assistant", "ask", f"parallel question {n}",
                              "--no-speak"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for n in range(4)]
    searches: list[subprocess.CompletedProcess[str]] = []

    def search_while_asking() -> None:
        while len(searches) < 2 or any(p.poll() is None for p in asks):
            searches.append(subprocess.run([sys.executable, "-m", "desktop_assistant", "history", "search",
                                            "parallel"], env=env, capture_output=True, text=True, timeout=60,
                                           check=False))

    searcher = threading.Thread(target=search_while_asking)
    searcher.start()
    outputs = [p.communicate(timeout=120) for p in asks]
    searcher.join(120)
    for proc, (out, err) in zip(asks, outputs, strict=True):
        assert (proc.returncode, err) == (0, ""), err
        assert out == REPLY + "\n"
    for search in searches:
        assert (search.returncode, search.stderr) == (0, ""), search.stderr
        assert search.stdout == "No matches.\n" or "parallel" in search.stdout
    with closing(sqlite3.connect(app_home / "data" / "history.db")) as conn:
        rows = conn.execute("SELECT role, text, status FROM messages ORDER BY id").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(text for role, text, _ in rows if role == "user") == [f"parallel question {n}" for n in range(4)]
    assert [(text, status) for role, text, status in rows if role == "assistant"] == [(REPLY, "complete")] * 4
    final = subprocess.run([sys.executable, "-m", "desktop_assistant", "history", "search", "parallel"],
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert final.returncode == 0 and final.stdout.count("«parallel» question") == 4
