"""Logging: file + console, DEBUG level, and no secret ever reaches a log line."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import groq
import pytest

from desktop_assistant.app import App
from desktop_assistant.log import Redactor, RotatingLogFile

KEY = "gsk_TestSecretKey1234567890abcdef"


class _Unauthorized(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"error": {"message": "Invalid API Key", "type": "invalid_request_error", "code": "invalid_api_key"}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def unauthorized_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_key_and_authorization_redacted_from_debug_log(monkeypatch: pytest.MonkeyPatch,
                                                       unauthorized_server: str) -> None:
    monkeypatch.setenv("GROQ_API_KEY", KEY)
    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.setenv("GROQ_BASE_URL", unauthorized_server)
    app = App.create(console_log=False)
    try:
        assert logging.getLogger().level == logging.DEBUG
        client = groq.Groq(api_key=app.settings.groq_api_key, base_url=app.settings.groq_base_url,
                           max_retries=0, timeout=5)
        with pytest.raises(groq.AuthenticationError) as info:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        # the failure, logged the careless way a library or a future bug might do it
        log = logging.getLogger("test")
        log.debug("request headers: {'Authorization': 'Bearer %s'}", KEY)
        log.debug("Authorization: Bearer %s", KEY)
        log.error("call failed with key %s: %s", KEY, info.value)
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            log.exception("traceback carries the key too")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = app.paths.log_file.read_text()
    finally:
        app.close()
    assert "401" in text and "Invalid API Key" in text  # the call was really made and logged
    assert "request headers" in text and "traceback carries" in text
    assert KEY not in text
    assert "TestSecretKey" not in text
    assert text.count("[REDACTED]") >= 4


def test_redactor_patterns() -> None:
    r = Redactor()
    assert r("authorization: Bearer abc.def-123456") == "authorization: [REDACTED]"
    assert "gsk_" not in r("key gsk_ABCDEFGH12345678 leaked")
    assert r("nothing secret here") == "nothing secret here"
    r.add_secret("hunter2-long")
    assert r("password hunter2-long!") == "password [REDACTED]!"


def test_log_file_rotates_and_debug_level(monkeypatch: pytest.MonkeyPatch, app_home: Path) -> None:
    app = App.create(console_log=False)
    try:
        assert logging.getLogger().level == logging.INFO
        logging.getLogger("x").debug("hidden-debug-line")
        logging.getLogger("x").info("visible-info-line")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = app.paths.log_file.read_text()
        assert "visible-info-line" in text and "hidden-debug-line" not in text
        assert app_home in app.paths.log_file.parents
        assert any(isinstance(h, RotatingLogFile) for h in logging.getLogger().handlers)
    finally:
        app.close()


def test_log_file_is_moved_aside_when_full_keeping_three_backups(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "app.log"
    handler = RotatingLogFile(path, max_bytes=100, backups=3)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("rotation-test")
    log.propagate = False
    log.addHandler(handler)
    try:
        for i in range(15):
            log.warning("line %02d %s", i, "x" * 40)  # 49 bytes: a file fills after 3 lines
    finally:
        log.removeHandler(handler)
        handler.close()
    files = {p.name: p.read_text().splitlines() for p in logs.iterdir()}
    assert sorted(files) == ["app.log", "app.log.1", "app.log.2", "app.log.3"]  # the oldest dropped
    assert [line[:7] for line in files["app.log"]] == ["line 12", "line 13", "line 14"]
    assert [line[:7] for line in files["app.log.1"]] == ["line 09", "line 10", "line 11"]
    assert [line[:7] for line in files["app.log.3"]] == ["line 03", "line 04", "line 05"]
    assert all(len(p.read_bytes()) <= 100 + 49 for p in logs.iterdir())
