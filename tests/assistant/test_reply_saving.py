"""A reply the user saw is not lost: its text is saved as it streams, and the final write waits
out another process holding the database. Real CLI subprocesses / the real Assistant, the loopback
Groq over real HTTP, real SQLite files, and a real second process holding the write lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop_assistant.errors import NoticeKind
from tests.commands.test_commands import db_rows, groq_env
from tests.support.groq_server import GroqBehaviour, GroqServer
from tests.support.sqlite_lock import write_lock_held_by_another_process

pytestmark = pytest.mark.timeout(120)

REPLY = "The first sentence arrives. Then a second one follows. And the third ends it."


def _ask(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "desktop_assistant", "ask", *args, "--no-speak"],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _read(proc: subprocess.Popen[str], n: int) -> str:
    assert proc.stdout is not None
    text = ""
    while len(text) < n:
        char = proc.stdout.read(1)
        assert char, f"the reply ended after {text!r}"
        text += char
    return text


def test_a_reply_finished_while_another_process_holds_the_database_is_saved(
        app_home: Path, groq_server: GroqServer) -> None:
    groq_server.default = GroqBehaviour(reply=REPLY, tokens_per_s=15)
    env = groq_env(groq_server)
    proc = _ask("Tell me three things", env=env)
    try:
        shown = _read(proc, 1)
        with write_lock_held_by_another_process(app_home / "data" / "history.db"):
            shown += _read(proc, len(REPLY) - 1)  # the whole reply streamed while the lock is held
            # hold the lock past the store's 5 s busy timeout: the final write must wait it out
            time.sleep(6.5)
            assert proc.poll() is None
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert shown + out == REPLY + "\n"
    assert proc.returncode == 0
    assert err == ""
    assert db_rows(app_home) == [("user", "Tell me three things", "complete"), ("assistant", REPLY, "complete")]


def test_a_reply_killed_mid_stream_keeps_the_sentences_already_shown(app_home: Path,
                                                                      groq_server: GroqServer) -> None:
    groq_server.default = GroqBehaviour(reply=REPLY, tokens_per_s=8)
    env = groq_env(groq_server)
    proc = _ask("Tell me three things", env=env)
    try:
        shown = _read(proc, REPLY.index("Then a second one follows.") + len("Then a second one follows."))
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    restarted = subprocess.run([sys.executable, "-m", "desktop_assistant", "ask", "Go on", "--no-speak"],
                               env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False)
    assert restarted.returncode == 0, restarted.stderr
    rows = db_rows(app_home)
    assert rows[0] == ("user", "Tell me three things", "complete")
    role, text, status = rows[1]
    assert (role, status) == ("assistant", "interrupted")
    assert shown.startswith(text) or text.startswith(shown)
    assert text.startswith("The first sentence arrives. Then a second one follows.")
    assert rows[2:] == [("user", "Go on", "complete"), ("assistant", REPLY, "complete")]


def test_a_final_write_that_keeps_failing_is_reported_once_and_the_streamed_text_stays(
        app_home: Path, groq_server: GroqServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_assistant.agents import FALLBACK_AGENT, AgentSet
    from desktop_assistant.assistant import turn as turn_module
    from desktop_assistant.assistant.conductor import Assistant
    from desktop_assistant.assistant.events import Notice, ReplyDelta, TurnFinished
    from desktop_assistant.config import Settings
    from desktop_assistant.history.store import HistoryStore
    from desktop_assistant.llm.client import ChatClient

    monkeypatch.setattr(turn_module, "FINAL_WRITE_BUDGET_S", 1.5)
    groq_server.default = GroqBehaviour(reply=REPLY, tokens_per_s=15)
    db = app_home / "history.db"
    store = HistoryStore.open(db, busy_timeout=0.3)
    settings = Settings(groq_api_key="gsk_test12345", groq_base_url=groq_server.base_url)
    events: list[object] = []
    first_sentence = threading.Event()

    def listen(event: object) -> None:
        events.append(event)
        if isinstance(event, ReplyDelta) and "." in event.text:
            first_sentence.set()

    chat = ChatClient.from_settings(settings)  # closed here: the Assistant leaves a given client to its owner
    assistant = Assistant(settings, AgentSet({"assistant": FALLBACK_AGENT}, []), store, chat, speak=False,
                          listener=listen)
    try:
        turn = assistant.send_text("Tell me three things")
        assert first_sentence.wait(30)
        with write_lock_held_by_another_process(db):
            result = turn.wait(60)
            assert isinstance(result, TurnFinished) and result.reply == REPLY and result.status == "complete"
            notices = [e for e in events if isinstance(e, Notice)]
            assert [n.kind for n in notices] == [NoticeKind.NOT_SAVED]
            assert notices[0].message.startswith("The reply could not be saved to the history: ")
            assert "locked" in notices[0].message
    finally:
        assistant.close()
        chat.close()
        store.close()
    reopened = HistoryStore.open(db)  # the next start
    try:
        conv = next(c for c in reopened.list_conversations() if c.title != "held")
        user, reply = reopened.recent_messages(conv.id, 10)
        assert (user.text, user.status) == ("Tell me three things", "complete")
        assert reply.status == "interrupted" and reply.text.startswith("The first sentence arrives.")
        assert REPLY.startswith(reply.text)
    finally:
        reopened.close()


def test_a_disk_that_fills_during_the_reply_keeps_the_first_sentence_and_says_so(
        app_home: Path, groq_server: GroqServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own page limit (`max_page_count`) makes the database full: a real SQLITE_FULL."""
    from sqlalchemy import event

    from desktop_assistant.agents import FALLBACK_AGENT, AgentSet
    from desktop_assistant.assistant import turn as turn_module
    from desktop_assistant.assistant.conductor import Assistant
    from desktop_assistant.assistant.events import Notice, TurnFinished
    from desktop_assistant.config import Settings
    from desktop_assistant.history.store import HistoryStore
    from desktop_assistant.llm.client import ChatClient

    monkeypatch.setattr(turn_module, "FINAL_WRITE_BUDGET_S", 1.0)
    tail = " ".join(f"word{n}" for n in range(4000))
    reply = f"The first sentence fits. {tail}"
    groq_server.default = GroqBehaviour(reply=reply)
    db = app_home / "history.db"
    store = HistoryStore.open(db)
    pages = store._raw(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    store.close()
    store = HistoryStore.open(db)
    event.listen(store._engine, "connect", lambda conn, _: conn.execute(f"PRAGMA max_page_count = {pages + 4}"))
    settings = Settings(groq_api_key="gsk_test12345", groq_base_url=groq_server.base_url)
    events: list[object] = []
    chat = ChatClient.from_settings(settings)  # closed here: the Assistant leaves a given client to its owner
    assistant = Assistant(settings, AgentSet({"assistant": FALLBACK_AGENT}, []), store, chat, speak=False,
                          listener=events.append)
    try:
        result = assistant.send_text("Tell me everything").wait(60)
        assert isinstance(result, TurnFinished) and result.reply == reply
        (notice,) = [e for e in events if isinstance(e, Notice)]
        assert notice.kind == NoticeKind.NOT_SAVED
        assert notice.message == ("The reply could not be saved to the history: The disk is full, so the history "
                                  "could not be saved — Free some disk space")
    finally:
        assistant.close()
        chat.close()
        store.close()
    reopened = HistoryStore.open(db)  # the next start, with space again
    try:
        (conv,) = reopened.list_conversations()
        user, saved = reopened.recent_messages(conv.id, 10)
        assert (user.text, user.status) == ("Tell me everything", "complete")
        assert saved.status == "interrupted" and saved.text.startswith("The first sentence fits.")
        assert reply.startswith(saved.text)
    finally:
        reopened.close()
