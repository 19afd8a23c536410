"""Fixtures for the real-desktop suite (marker `desktop`): one X11 desktop per session, a CPU hog,
and `launch_app(...)` starting the real app against the loopback Groq server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.desktop import harness
from tests.desktop.harness import Desktop, RunningApp, app_env, launch, missing_tools


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.desktop)


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    missing = missing_tools()
    if missing:  # never skipped: `make test` installs them (scripts/sysdeps.sh test)
        pytest.fail(f"the desktop suite needs {', '.join(missing)}: run scripts/sysdeps.sh test", pytrace=False)
    session = Desktop(tmp_path_factory.mktemp("desktop")).start()
    yield session
    session.close()


@pytest.fixture
def cpu_hog() -> Iterator[None]:
    """One core kept busy by another process for the whole test."""
    with harness.cpu_hog(1):
        yield


@pytest.fixture
def launch_app(desktop: Desktop, groq_server: Any, tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    started: list[RunningApp] = []

    def start(theme: str = "light", scale: float | None = None, extra_env: dict[str, Any] | None = None,
              args: list[str] | None = None, home: Path | None = None, wait_ready: bool = True,
              wrap: Callable[[list[str]], list[str]] | None = None) -> RunningApp:
        home = home or tmp_path / f"app{len(started)}"
        env = app_env(desktop, home, groq_url=groq_server.base_url, theme=theme, scale=scale, extra=extra_env)
        app = launch(desktop, home, env, args=args, wait_ready=wait_ready, wrap=wrap)
        started.append(app)
        return app

    yield start
    for app in started:
        app.close()
