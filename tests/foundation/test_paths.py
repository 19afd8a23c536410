"""User paths follow DESKTOP_ASSISTANT_HOME; bundled resources resolve from the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop_assistant import paths as paths_mod
from desktop_assistant.paths import Paths, bundle_root, bundled_agents_dir, resource_path


def test_home_moves_every_user_dir(app_home: Path) -> None:
    p = Paths.from_env()
    for d in (p.data_dir, p.config_dir, p.log_dir, p.cache_dir, p.models_dir, p.database_file, p.log_file):
        assert app_home in d.parents
    assert p.hf_cache_dir is not None and app_home in p.hf_cache_dir.parents


def test_without_home_uses_platform_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    p = Paths.from_env({})
    assert p.data_dir.name == "desktop-assistant"
    assert p.hf_cache_dir is None  # the user's normal Hugging Face cache is shared


def test_resources_found_from_checkout() -> None:
    assert (bundle_root() / "pyproject.toml").is_file()
    assert resource_path("icons", "desktop-assistant.svg").is_file()
    assert (bundled_agents_dir() / "assistant.yaml").is_file()


def test_resources_found_in_frozen_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths_mod.is_frozen()
    assert resource_path("icons", "x.png") == tmp_path / "resources" / "icons" / "x.png"
    assert bundled_agents_dir() == tmp_path / "agents"
