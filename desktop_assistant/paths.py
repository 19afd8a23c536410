"""Where the app keeps user files, and where its bundled resources are.

Every user file lives below one of the directories of `Paths`. Setting
`DESKTOP_ASSISTANT_HOME` moves all of them below that one directory (tests
always do). Bundled files (agents, resources, migrations, the embedded model
when frozen) are found through `resource_path()`, which works the same from a
source checkout and from a PyInstaller bundle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from desktop_assistant import APP_NAME

HOME_ENV = "DESKTOP_ASSISTANT_HOME"


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    config_dir: Path
    log_dir: Path
    cache_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "history.db"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "app.log"

    @property
    def models_dir(self) -> Path:
        """User model directory: downloaded Whisper models go here."""
        return self.data_dir / "models"

    @property
    def user_agents_dir(self) -> Path:
        return self.data_dir / "agents"

    @property
    def hf_cache_dir(self) -> Path | None:
        """The Hugging Face cache to use; None means the library's default."""
        return self.cache_dir / "huggingface" if self._isolated else None

    @property
    def _isolated(self) -> bool:
        return self.data_dir.parent == self.config_dir.parent == self.cache_dir.parent

    def ensure(self) -> Paths:
        for d in (self.data_dir, self.config_dir, self.log_dir, self.cache_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Paths:
        env = os.environ if env is None else env
        home = env.get(HOME_ENV, "").strip()
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root / "data", root / "config", root / "logs", root / "cache")
        import platformdirs  # ~5 ms at start-up; not needed under DESKTOP_ASSISTANT_HOME

        return cls(
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_root() -> Path:
    """The directory that holds `agents/`, `resources/`, `models/`.

    In a PyInstaller bundle that is `sys._MEIPASS`; from a checkout (or an
    editable install) it is the repository root.
    """
    if is_frozen():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return bundle_root().joinpath("resources", *parts)


def bundled_agents_dir() -> Path:
    return bundle_root() / "agents"


def project_models_dir() -> Path:
    return bundle_root() / "models"
