"""The composition root's start-up work: what `App.create()` does at once and what it leaves
for first use (the agents) or for the caller (the stored key, for the GUI)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_assistant.app import App
from desktop_assistant.keystore import KeyStore
from desktop_assistant.paths import Paths

STORED = "stored-key-for-the-app-test-0123"  # not gsk_-shaped: redacted only once registered
TYPED = "typed-key-for-the-app-test-01234"


def store_key(key: str) -> None:
    KeyStore.for_paths(Paths.from_env().ensure()).set(key)  # an isolated home: a private file


def test_agents_are_parsed_on_first_use_once(app_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop_assistant.agents as agents_module

    calls: list[int] = []
    real_load = agents_module.load_agents
    monkeypatch.setattr(agents_module, "load_agents", lambda *dirs: calls.append(1) or real_load(*dirs))
    app = App.create(console_log=False)
    try:
        assert not app.agents_loaded and calls == []
        results: list[object] = []
        threads = [threading.Thread(target=lambda: results.append(app.agents)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert calls == [1] and all(r is results[0] for r in results)  # once, whoever asks first
        assert app.agents_loaded and app.agent.id == "assistant"
    finally:
        app.close()


def test_the_cli_reads_the_stored_key_at_once(app_home: Path) -> None:
    store_key(STORED)
    app = App.create(console_log=False)
    try:
        assert app.settings.groq_api_key == STORED
        app.load_stored_key()  # nothing was left for later: a no-op
        assert app.settings.groq_api_key == STORED
    finally:
        app.close()


def test_the_gui_reads_the_stored_key_later(app_home: Path) -> None:
    store_key(STORED)
    app = App.create(console_log=False, read_stored_key=False)
    try:
        assert app.settings.groq_api_key is None
        app.load_stored_key()
        assert app.settings.groq_api_key == STORED
        assert app.redactor(f"key {STORED}") == "key [REDACTED]"
    finally:
        app.close()


def test_a_key_entered_before_the_stored_one_is_read_wins(app_home: Path) -> None:
    store_key(STORED)
    app = App.create(console_log=False, read_stored_key=False)
    try:
        app.apply_settings(replace(app.settings, groq_api_key=TYPED))  # Settings, in the first moment
        app.load_stored_key()
        assert app.settings.groq_api_key == TYPED
    finally:
        app.close()


def test_the_environment_key_is_never_replaced_by_the_stored_one(
    app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_key(STORED)
    monkeypatch.setenv("GROQ_API_KEY", TYPED)
    app = App.create(console_log=False, read_stored_key=False)
    try:
        app.load_stored_key()
        assert app.settings.groq_api_key == TYPED
    finally:
        app.close()


def test_only_the_window_leaves_the_stored_key_for_later(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_assistant import cli
    from desktop_assistant.commands import gui, smoke

    asked: list[bool] = []

    class Started:
        def close(self) -> None:
            pass

    def create(cls: type, flags: object = None, env: object = None, **options: bool) -> Started:
        asked.append(options["read_stored_key"])
        return Started()

    monkeypatch.setattr(App, "create", classmethod(create))
    monkeypatch.setattr(gui, "run_gui", lambda app, args: 0)
    monkeypatch.setattr(smoke, "run_smoke_test", lambda app, args: 0)
    assert cli.main([]) == 0 and cli.main(["--smoke-test"]) == 0
    assert asked == [False, True]  # the window reads it after its first frame; the rest at once
