"""`ask`, `say` and `talk` as users run them: real subprocesses, the loopback Groq, real SQLite."""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import pytest

from tests.support.audio import (
    FIXTURES,
    SENTENCES,
    SINK_MAX_WER,
    MonitorCapture,
    active_seconds,
    play_into_sink,
)
from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour, GroqServer
from tests.support.wer import word_error_rate

pytestmark = pytest.mark.timeout(90)
needs_sink = pytest.mark.audio


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_assistant", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=stdin, timeout=timeout, check=False)


def groq_env(server: GroqServer, **extra: str) -> dict[str, str]:
    return {"GROQ_API_KEY": "gsk_cli_test_key_1", "GROQ_BASE_URL": server.base_url, **extra}


def db_rows(home: Path) -> list[tuple]:
    with sqlite3.connect(home / "data" / "history.db") as db:
        return db.execute("SELECT role, text, status FROM messages ORDER BY id").fetchall()


# ---------------------------------------------------------------- say

def test_say_writes_a_wav_with_the_offline_voice(tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    result = run_cli("say", "Hello there. This is a test of the offline voice.", "--out", str(out),
                     env={"TTS_ENGINE": "espeak"})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        assert wav.getnframes() / 24000 > 2.0


def test_say_refuses_a_non_wav_output_and_speech_turned_off(tmp_path: Path) -> None:
    bad = run_cli("say", "hi", "--out", str(tmp_path / "x.mp3"), env={"TTS_ENGINE": "espeak"})
    assert bad.returncode == 2 and "must end in .wav" in bad.stderr
    off = run_cli("say", "hi", "--out", str(tmp_path / "x.wav"), env={"TTS_ENGINE": "none"})
    assert off.returncode == 2 and "TTS_ENGINE=none" in off.stderr


@pytest.mark.audio
@needs_sink
def test_say_plays_on_the_sink() -> None:
    with MonitorCapture() as capture:
        result = run_cli("say", "The quick brown fox jumps over the lazy dog.", env={"TTS_ENGINE": "espeak"})
    assert result.returncode == 0, result.stderr
    assert active_seconds(capture.samples(), capture.sample_rate) > 1.5


# ---------------------------------------------------------------- ask

def test_ask_streams_the_reply_and_stores_both_messages(app_home: Path, groq_server: GroqServer) -> None:
    result = run_cli("ask", "What", "is the capital of France?", "--no-speak", env=groq_env(groq_server))
    assert result.returncode == 0, result.stderr
    assert result.stdout == DEFAULT_REPLY + "\n"
    assert db_rows(app_home) == [("user", "What is the capital of France?", "complete"),
                                 ("assistant", DEFAULT_REPLY, "complete")]
    body = groq_server.received[-1].body
    assert body["stream"] is True and body["messages"][-1]["content"] == "What is the capital of France?"


def test_ask_json_continues_the_conversation_and_new_starts_another(app_home: Path,
                                                                   groq_server: GroqServer) -> None:
    first = json.loads(run_cli("ask", "one", "--no-speak", "--json", env=groq_env(groq_server)).stdout)
    second = json.loads(run_cli("ask", "two", "--no-speak", "--json", env=groq_env(groq_server)).stdout)
    third = json.loads(run_cli("ask", "three", "--no-speak", "--json", "--new", env=groq_env(groq_server)).stdout)
    assert first["reply"] == DEFAULT_REPLY
    assert set(first) >= {"conversation_id", "reply", "timings"}
    assert first["timings"]["llm_first_token_ms"] > 0 and first["timings"]["first_audio_ms"] is None
    assert second["conversation_id"] == first["conversation_id"]
    assert third["conversation_id"] != first["conversation_id"]
    # the second request carried the first exchange as context
    assert [m["content"] for m in groq_server.received[1].body["messages"][1:]] == ["one", DEFAULT_REPLY, "two"]


def test_ask_without_a_key_says_what_to_do(app_home: Path) -> None:
    result = run_cli("ask", "hello", "--no-speak")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "desktop-assistant: No Groq API key — add your Groq API key in Settings or GROQ_API_KEY")
    assert db_rows(app_home)[0][:2] == ("user", "hello")  # what the user said is kept


def test_ask_rate_limited_says_when_to_retry(groq_server: GroqServer) -> None:
    groq_server.default = GroqBehaviour(status=429, retry_after=42)
    result = run_cli("ask", "hello", "--no-speak", env=groq_env(groq_server))
    assert result.returncode == 1
    assert "Groq rate limit reached — retry in 42 s" in result.stderr


def test_ask_unknown_agent_is_bad_input(groq_server: GroqServer) -> None:
    result = run_cli("ask", "hello", "--agent", "nobody", "--no-speak", env=groq_env(groq_server))
    assert result.returncode == 2
    assert "Unknown agent 'nobody'" in result.stderr
    assert groq_server.received == []


def test_ask_with_speech_but_no_output_device_prints_and_warns_once(groq_server: GroqServer) -> None:
    result = run_cli("ask", "hello", "--speak", env=groq_env(groq_server, OUTPUT_DEVICE="No Such Device 42"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == DEFAULT_REPLY + "\n"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("desktop-assistant: warning:")]
    assert len(warnings) == 1 and "No sound output" in warnings[0]


@pytest.mark.audio
@needs_sink
def test_ask_speaks_with_the_offline_voice_on_the_sink(groq_server: GroqServer) -> None:
    groq_server.default = GroqBehaviour(reply="Hello there! It is nice to meet you.")
    with MonitorCapture() as capture:
        result = run_cli("ask", "hello", "--speak", env=groq_env(groq_server, TTS_ENGINE="espeak"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello there! It is nice to meet you.\n"
    assert active_seconds(capture.samples(), capture.sample_rate) > 1.2


# ---------------------------------------------------------------- talk

def test_talk_sends_typed_lines_and_quits(app_home: Path, groq_server: GroqServer) -> None:
    result = run_cli("talk", "--no-speak", stdin="hello there\nq\n", env=groq_env(groq_server))
    assert result.returncode == 0, result.stderr
    assert "Press Enter to start talking, Enter again when you are done" in result.stdout
    assert DEFAULT_REPLY in result.stdout
    assert [r[:2] for r in db_rows(app_home)] == [("user", "hello there"), ("assistant", DEFAULT_REPLY)]


@pytest.mark.audio
@pytest.mark.slow
@needs_sink
def test_talk_records_with_enter_and_answers(app_home: Path, groq_server: GroqServer,
                                             embedded_model_dir: Path) -> None:
    env = {**os.environ, **groq_env(groq_server, STT_MODEL=str(embedded_model_dir))}
    proc = subprocess.Popen([sys.executable, "-m", "desktop_assistant", "talk", "--no-speak"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()

    def wait_for(fragment: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            if fragment in line:
                return line
        proc.kill()
        raise AssertionError(f"no line with {fragment!r}; stdout: {seen!r}; stderr: {proc.stderr.read()!r}")

    try:
        wait_for("Press Enter to start talking")
        proc.stdin.write("\n")
        proc.stdin.flush()
        wait_for("● Recording… press Enter when you are done")  # piped: a plain line, no live timer
        # a fresh capture stream can take a moment to start flowing: speak after a pause
        # weather.wav: tiny.en (int8) hears lights.wav through the sink as "turn off my life" for
        # about 1 lead-in in 4; weather.wav came through 30 of 30 lead-ins from 0.1 to 1.55 s
        play_into_sink(FIXTURES / "weather.wav", delay_s=1.0).communicate(timeout=20)
        time.sleep(0.3)
        proc.stdin.write("\n")
        proc.stdin.flush()
        heard = wait_for("you:", timeout=60)
        wait_for(DEFAULT_REPLY[:30], timeout=30)
        proc.stdin.write("q\n")
        proc.stdin.flush()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdin.close()
        reader.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
    assert word_error_rate(SENTENCES["weather.wav"], heard.split("you:", 1)[1]) <= SINK_MAX_WER, heard
    rows = db_rows(app_home)
    assert [r[0] for r in rows] == ["user", "assistant"] and rows[1][1] == DEFAULT_REPLY


@pytest.mark.parametrize("speak", ["--no-speak", "--speak"])
def test_ask_without_any_sound_server(groq_server: GroqServer, speak: str) -> None:
    result = run_cli("ask", "hello", speak, env=groq_env(groq_server, PULSE_SERVER="unix:/nonexistent/pulse"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == DEFAULT_REPLY + "\n"
    if speak == "--no-speak":
        assert result.stderr == ""
    else:
        assert result.stderr.count("desktop-assistant: warning: No sound output") == 1
        assert "Traceback" not in result.stderr
