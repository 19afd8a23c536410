"""Network faults met by `ask` as users run it: a reply the app cannot read, an endpoint that
echoes the API key. Real subprocesses, the loopback Groq over real HTTP, real SQLite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.commands.test_commands import db_rows, groq_env, run_cli
from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour, GroqServer

pytestmark = pytest.mark.timeout(90)

UNREADABLE = {
    "malformed-json": (b'{"choices": [{"delta": {"content": "x"', "not valid JSON"),
    "wrong-shape": (b'{"choices": "none of these"}', "not the expected shape"),
    "content-not-text": (b'{"choices": [{"index": 0, "delta": {"content": 42}}]}', "not the expected shape"),
    "not-utf8": (b'{"choices": [{"index": 0, "delta": {"content": "caf\xff\xfe"}}]}', "not UTF-8 text"),
}


def test_a_reply_the_app_cannot_read_is_blamed_on_the_server_and_the_question_is_kept(
        app_home: Path, groq_server: GroqServer) -> None:
    for n, (case, (bad, what)) in enumerate(UNREADABLE.items()):
        groq_server.queue.append(GroqBehaviour(bad_event=bad, bad_event_after_tokens=3))
        result = run_cli("ask", f"Question {n}?", "--no-speak", env=groq_env(groq_server))
        assert result.returncode == 1, case
        assert result.stderr == f"desktop-assistant: Groq sent a reply the app cannot read ({what}) — try again\n"
        user, reply = db_rows(app_home)[-2:]
        assert user == ("user", f"Question {n}?", "complete"), case
        assert reply[0] == "assistant" and reply[2] == "failed", case
    # usable right after: the next answer streams and is stored
    again = run_cli("ask", "And of Italy?", "--no-speak", env=groq_env(groq_server))
    assert again.returncode == 0, again.stderr
    assert again.stdout == DEFAULT_REPLY + "\n"
    assert db_rows(app_home)[-2:] == [("user", "And of Italy?", "complete"), ("assistant", DEFAULT_REPLY, "complete")]


def test_a_page_instead_of_a_stream_is_named_and_a_proxy_error_is_a_server_problem(
        app_home: Path, groq_server: GroqServer) -> None:
    page = b"<html><body><h1>Sign in to the hotel Wi-Fi</h1></body></html>"
    groq_server.queue.append(GroqBehaviour(raw_body=page))
    signin = run_cli("ask", "first", "--no-speak", env=groq_env(groq_server))
    assert signin.returncode == 1
    assert signin.stderr == ("desktop-assistant: Groq sent a reply the app cannot read (text/html instead of a "
                             "stream) — check the network (a sign-in page?) and GROQ_BASE_URL, then try again\n")
    assert len(groq_server.received) == 1  # not retried: it will not change by itself
    groq_server.default = GroqBehaviour(status=502, raw_body=b"<html><h1>502 Bad Gateway</h1></html>")
    proxy = run_cli("ask", "second", "--no-speak", env=groq_env(groq_server))
    assert proxy.returncode == 1
    assert proxy.stderr == "desktop-assistant: Groq had a server problem (502) — try again in a moment\n"
    groq_server.default = GroqBehaviour(status=404, raw_body=b"<html>\n<h1>Not Found</h1>\n" + b"<p>x</p>\n" * 2000)
    wrong_path = run_cli("ask", "third", "--no-speak", env=groq_env(groq_server))
    assert wrong_path.returncode == 1
    (line,) = wrong_path.stderr.splitlines()  # a page of HTML is cut to one short line
    assert line.startswith("desktop-assistant: Groq refused the request (404): <html> <h1>Not Found</h1> <p>x</p>")
    assert len(line) < 400 and "…" in line
    users = [row[:2] for row in db_rows(app_home) if row[0] == "user"]
    assert users == [("user", "first"), ("user", "second"), ("user", "third")]


# A key that no pattern recognises: only knowing the configured key can take it out.
KEY = "Zq8-not-a-groq-shaped-key-4711"


def _leaky(groq_server: GroqServer) -> dict[str, str]:
    groq_server.default = GroqBehaviour(status=400, error_message="model not found", echo_authorization=True)
    return groq_env(groq_server, GROQ_API_KEY=KEY)


def test_an_endpoint_echoing_the_key_does_not_leak_it_to_the_terminal_or_the_history(
        app_home: Path, groq_server: GroqServer) -> None:
    env = _leaky(groq_server)
    result = run_cli("ask", "hello there", "--no-speak", env=env)
    assert groq_server.received[-1].headers["authorization"] == f"Bearer {KEY}"  # it really was sent
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("desktop-assistant: Groq refused the request (400)") and "[REDACTED]" in line
    assert KEY not in result.stderr + result.stdout

    with sqlite3.connect(app_home / "data" / "history.db") as db:
        errors = [e for (e,) in db.execute("SELECT error FROM messages WHERE error IS NOT NULL")]
    assert len(errors) == 1 and "model not found" in errors[0] and KEY not in errors[0]

    show = run_cli("history", "show", "1")
    assert show.returncode == 0, show.stderr
    assert "model not found" in show.stdout and KEY not in show.stdout
    show_json = run_cli("history", "show", "1", "--json")
    assert "model not found" in show_json.stdout and KEY not in show_json.stdout
    for fmt in ("md", "json", "txt"):
        export = run_cli("history", "export", "--all", "--format", fmt)
        assert export.returncode == 0, export.stderr
        assert "model not found" in export.stdout and KEY not in export.stdout, fmt
    log_text = "".join(p.read_text() for p in (app_home / "logs").glob("app.log*"))
    assert KEY not in log_text


def test_an_error_event_mid_reply_echoing_the_key_does_not_leak_it(app_home: Path,
                                                                    groq_server: GroqServer) -> None:
    message = f"overloaded (request had Authorization: Bearer {KEY})"
    event = json.dumps({"error": {"message": message, "type": "server_error"}}).encode()
    groq_server.default = GroqBehaviour(bad_event=event)
    result = run_cli("ask", "hello", "--no-speak", env=groq_env(groq_server, GROQ_API_KEY=KEY))
    assert result.returncode == 1
    assert result.stderr.startswith("desktop-assistant: Groq reported an error mid-reply: overloaded")
    assert KEY not in result.stderr + result.stdout
    with sqlite3.connect(app_home / "data" / "history.db") as db:
        (error,) = db.execute("SELECT error FROM messages WHERE error IS NOT NULL").fetchone()
    assert "overloaded" in error and KEY not in error


def test_a_key_stored_in_an_error_by_an_older_version_is_redacted_when_shown_and_exported(
        app_home: Path, groq_server: GroqServer) -> None:
    run_cli("ask", "hello", "--no-speak", env=groq_env(groq_server))
    leaked = "Groq refused the request (400): {'message': 'echo Authorization: Bearer Zq8-old-secret-1234'}"
    with sqlite3.connect(app_home / "data" / "history.db") as db:
        db.execute("UPDATE messages SET status = 'failed', error = ? WHERE role = 'assistant'", (leaked,))
    outputs = [run_cli("history", "show", "1").stdout, run_cli("history", "show", "1", "--json").stdout]
    outputs += [run_cli("history", "export", "1", "--format", fmt).stdout for fmt in ("md", "json", "txt")]
    for out in outputs:
        assert "echo Authorization: [REDACTED]" in out and "Zq8-old-secret" not in out
    detail = json.loads(outputs[1])
    assert "Authorization: [REDACTED]" in detail["messages"][1]["error"]


def test_an_error_holding_a_key_is_redacted_when_stored(app_home: Path) -> None:
    from desktop_assistant.history.store import HistoryStore

    store = HistoryStore.open(app_home / "data" / "history.db")
    try:
        conv = store.conversation_for_turn("assistant", 60)
        reply = store.add_message(conv, "assistant", "", status="streaming",
                                  error="first: authorization=Bearer Zq8-secret-abcdef")
        store.update_message(reply, status="failed", error="echoed Authorization: Bearer Zq8-secret-abcdef")
    finally:
        store.close()
    with sqlite3.connect(app_home / "data" / "history.db") as db:
        (stored,) = db.execute("SELECT error FROM messages").fetchone()
    assert stored == "echoed Authorization: [REDACTED]"
