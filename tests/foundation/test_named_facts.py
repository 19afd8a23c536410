"""Error kinds, notice kinds, message statuses and timing keys each have one home (an Enum); what is
stored in SQLite and written to the log stays the same strings as before they were named."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from desktop_assistant.assistant.events import TurnTimings
from desktop_assistant.errors import ErrorKind, NoticeKind, UserFacingError
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.messages import MessageStatus, TimingKey


def test_an_error_kind_outside_the_table_is_refused_where_it_is_made() -> None:
    assert UserFacingError("x", kind="offline").kind is ErrorKind.OFFLINE
    with pytest.raises(ValueError):
        UserFacingError("x", kind="ofline")


def test_the_kinds_the_window_maps_are_all_named_kinds() -> None:
    from desktop_assistant.ui import main_events, problems, settings_dialog
    from desktop_assistant.ui.main_window import SETTINGS_PAGE_FOR

    mapped = [*problems._ACTIONS, *SETTINGS_PAGE_FOR, *main_events.NETWORK_FOR_KIND, *settings_dialog.KEY_TEST_LOG]
    assert all(isinstance(kind, ErrorKind) for kind in mapped), mapped
    assert all(isinstance(kind, ErrorKind | NoticeKind) for kind in main_events.LASTING_PROBLEMS)


def test_timings_are_keyed_by_the_timing_keys_in_column_order() -> None:
    assert list(TurnTimings(1.0, 2.0, 3.0, 4.0).as_dict()) == list(TimingKey)
    assert [str(key) for key in TimingKey] == ["stt_ms", "llm_first_token_ms", "first_audio_ms", "total_ms",
                                               "final_transcript_ms"]


def test_stored_statuses_and_timings_are_the_same_plain_strings_on_disk(app_home: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    path = app_home / "history.db"
    store = HistoryStore.open(path)
    try:
        conversation = store.conversation_for_turn("assistant", 60)
        store.add_message(conversation, "user", "hello")
        reply = store.add_message(conversation, "assistant", "", status=MessageStatus.STREAMING)
        store.update_message(reply, text="hi", status=MessageStatus.INTERRUPTED,
                             timings=TurnTimings(None, 420.0, None, 900.0).as_dict())
        error = store.add_message(conversation, "assistant", "", status=MessageStatus.FAILED,
                                  error=str(UserFacingError("Cannot reach Groq", kind=ErrorKind.OFFLINE)))
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT status, typeof(status), llm_first_token_ms, total_ms FROM messages "
                            "ORDER BY id").fetchall()
        assert rows == [("complete", "text", None, None), ("interrupted", "text", 420.0, 900.0),
                        ("failed", "text", None, None)]
        assert conn.execute("SELECT error FROM messages WHERE id = ?", (error,)).fetchone() == ("Cannot reach Groq",)
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("failed (%s) with %s", ErrorKind.RATE_LIMIT, NoticeKind.NO_OUTPUT)
    assert "failed (rate_limit) with no_output" in caplog.text


def test_the_model_catalogs_live_with_speech_and_llm_and_import_nothing_heavy() -> None:
    """The Settings dialog offers them: they hold the defaults, and importing them costs nothing."""
    import subprocess
    import sys

    from desktop_assistant.config import Settings
    from desktop_assistant.llm.catalog import LLM_MODELS
    from desktop_assistant.speech.catalog import WHISPER_MODELS
    from desktop_assistant.speech.models import EMBEDDED_NAME

    assert Settings().llm_model == LLM_MODELS[0]
    assert {Settings().stt_model, EMBEDDED_NAME} <= set(WHISPER_MODELS)
    root = Path(__file__).resolve().parents[2]
    code = ("import sys; import desktop_assistant.speech.catalog, desktop_assistant.llm.catalog; "
            "print(sorted(m for m in ('numpy', 'groq', 'httpx', 'faster_whisper', 'ctranslate2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
                         cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
