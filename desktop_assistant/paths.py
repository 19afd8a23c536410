"""Where the app keeps user files, and where its bundled resources are.

Every user file lives below one of the directories of `Paths`. Setting
`DESKTOP_ASSISTANT_HOME` moves all of them below that one directory (tests
always do). Bundled files (agents, resources, migrations, the embedded model
when frozen) are found through `resource_path()`, which works the same from a
source checkout and from a PyInstaller bundle.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from desktop_assistant import APP_NAME
from desktop_assistant.errors import ConfigError, ErrorKind, UserFacingError

HOME_ENV = "DESKTOP_ASSISTANT_HOME"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: errors of the machine, not of a path the user chose (disk full, quota, I/O)
_ENVIRONMENT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO)


def make_private(path: Path | str, mode: int = PRIVATE_FILE) -> None:
    """Take group and other permissions off `path` (conversations are private whatever the
    umask). Best effort: a file the user does not own, or on a file system without modes, stays."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
        if current & 0o077:
            os.chmod(path, mode)
    except OSError:
        pass


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) readable by the user only; tighten it when it exists."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    make_private(path, PRIVATE_DIR)


def open_private(path: Path | str, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """`os.open` a file created readable and writable by the user only (an existing one is tightened)."""
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        current = stat.S_IMODE(os.fstat(fd).st_mode)
        if current & 0o077:
            os.fchmod(fd, current & ~0o077)
    except OSError:
        pass
    return fd


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    config_dir: Path
    log_dir: Path
    cache_dir: Path
    home: Path | None = field(default=None, compare=False)  # DESKTOP_ASSISTANT_HOME, when it is set

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
        """Create the user directories, private to the user. One that cannot be created is a
        `ConfigError` when DESKTOP_ASSISTANT_HOME points there (the user's setting), else a
        `UserFacingError` of kind "environment"."""
        try:
            for d in (self.data_dir, self.config_dir, self.log_dir, self.cache_dir):
                private_dir(d)
        except OSError as exc:
            raise self._unusable(exc) from None
        return self

    def _unusable(self, exc: OSError) -> UserFacingError:
        where = Path(exc.filename) if exc.filename else self.data_dir
        # the nearest part of the path that exists says what is wrong with it
        probe = where
        while not os.path.lexists(probe) and probe != probe.parent:
            probe = probe.parent
        if os.path.lexists(probe) and not os.path.isdir(probe):
            reason = f"{probe} is a file, not a folder"
        else:
            reason = f"{where}: {exc.strerror or exc}"
        if self.home is not None and exc.errno not in _ENVIRONMENT_ERRNOS:
            return ConfigError(f"{HOME_ENV}={self.home} cannot hold the app's files: {reason}",
                               f"set {HOME_ENV} to a folder you can write to, or unset it")
        return UserFacingError(f"Cannot create the app's folders: {reason}",
                               "check that your home folder is writable and not full", kind=ErrorKind.ENVIRONMENT)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Paths:
        env = os.environ if env is None else env
        home = env.get(HOME_ENV, "").strip()
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root / "data", root / "config", root / "logs", root / "cache", home=root)
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
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]  # set by PyInstaller's bootloader
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return bundle_root().joinpath("resources", *parts)


def bundled_agents_dir() -> Path:
    return bundle_root() / "agents"


def project_models_dir() -> Path:
    return bundle_root() / "models"
