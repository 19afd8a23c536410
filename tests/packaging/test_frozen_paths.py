"""Inside a PyInstaller bundle: user data never goes into the bundle; no console is fine."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from desktop_assistant.app import App
from desktop_assistant.log import setup_logging
from desktop_assistant.paths import Paths, bundle_root


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    (bundle / "agents").mkdir(parents=True)
    (bundle / "agents" / "assistant.yaml").write_text("name: Bundled\nsystem_prompt: From the bundle.\n")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    return bundle


def test_user_dirs_are_outside_the_bundle(frozen: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DESKTOP_ASSISTANT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg" / "data"))
    p = Paths.from_env()
    assert bundle_root() == frozen
    for d in (p.data_dir, p.models_dir, p.database_file, p.config_dir, p.log_dir, p.cache_dir):
        assert frozen not in d.parents, d


def test_app_starts_frozen_without_stdout_or_stderr(frozen: Path, monkeypatch: pytest.MonkeyPatch,
                                                     app_home: Path) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    app = App.create()
    try:
        assert app.agent.name == "Bundled"  # agents come from the bundle
        logging.getLogger("t").warning("still logging to the file")
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_desktop_assistant_handler", False)]
        assert [type(h).__name__ for h in ours] == ["RotatingLogFile"]  # no console handler
    finally:
        app.close()
    assert "still logging to the file" in app.paths.log_file.read_text()
    assert app_home in app.paths.log_file.parents


def test_setup_logging_with_console_when_stderr_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "stderr", None)
    setup_logging(tmp_path / "app.log", console=True)
    logging.getLogger("t").error("no crash")
    assert "no crash" in (tmp_path / "app.log").read_text()
