"""The Wayland backend against a stand-in GlobalShortcuts portal on a private session bus: real
D-Bus messages both ways (tests/support/portal_standin.py), as the desktop portal sends them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from desktop_assistant.ui.hotkeys.base import HotkeyStatus
from tests.support.portal_standin import StandIn, private_session_bus

pytestmark = pytest.mark.gui


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private session bus for the backend (jeepney reads DBUS_SESSION_BUS_ADDRESS)."""
    with private_session_bus() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address


@pytest.fixture
def portal_factory(session_bus: str) -> Iterator[Any]:
    started: list[StandIn] = []

    def start(*flags: str) -> StandIn:
        started.append(StandIn(session_bus, *flags))
        return started[-1]

    yield start
    for portal in started:
        portal.close()


@pytest.fixture
def start_backend(session_bus: str) -> Iterator[Any]:
    """Start the real backend; each is stopped before the bus goes away."""
    from desktop_assistant.ui.hotkeys.portal import PortalShortcuts

    started: list[PortalShortcuts] = []

    def start() -> tuple[Any, list[str], list[HotkeyStatus]]:
        started.append(PortalShortcuts("Ctrl+Alt+Space"))
        return _started(started[-1])

    yield start
    for backend in started:
        backend.stop()


def _started(backend: Any) -> tuple[Any, list[str], list[HotkeyStatus]]:
    calls: list[str] = []
    statuses: list[HotkeyStatus] = []
    first = backend.start(lambda: calls.append("press"), lambda: calls.append("release"), statuses.append)
    statuses.insert(0, first)
    return backend, calls, statuses


def test_activated_and_deactivated_are_press_and_release(qtbot: Any, portal_factory: Any, start_backend: Any) -> None:
    portal = portal_factory()
    backend, calls, statuses = start_backend()
    assert statuses[0].ok is None and "approve the shortcut in the dialog" in statuses[0].message
    assert portal.wait_line("bind") == "bind talk CTRL+ALT+space"
    assert portal.wait_line("registered") == "registered desktop-assistant"
    qtbot.waitUntil(lambda: backend.status.ok is True, timeout=10000)
    assert backend.status.message == "Wayland: via the desktop portal — Ctrl+Alt+Space bound"
    portal.tell("press")
    qtbot.waitUntil(lambda: calls == ["press"], timeout=5000)
    portal.tell("press")  # (a second Activated while held changes nothing)
    portal.tell("release")
    qtbot.waitUntil(lambda: calls == ["press", "release"], timeout=5000)
    backend.stop()


def test_a_binding_the_desktop_kept_is_used_without_asking_again(
    qtbot: Any, portal_factory: Any, start_backend: Any
) -> None:
    portal = portal_factory("--keep")
    backend, calls, _ = start_backend()
    qtbot.waitUntil(lambda: backend.status.ok is True, timeout=10000)
    assert "kept by the desktop" in backend.status.message
    assert portal.wait_line("list") == "list 1"
    assert not any(line.startswith("bind") for line in portal.lines)  # no dialog
    portal.tell("press")
    portal.tell("release")
    qtbot.waitUntil(lambda: calls == ["press", "release"], timeout=5000)
    backend.stop()


def test_a_refused_binding_says_what_to_do(qtbot: Any, portal_factory: Any, start_backend: Any) -> None:
    portal_factory("--refuse")
    backend, calls, _ = start_backend()
    qtbot.waitUntil(lambda: backend.status.ok is False, timeout=10000)
    assert "cancelled in its dialog" in backend.status.message
    assert "desktop-assistant ptt toggle" in backend.status.message
    backend.stop()
    assert calls == []


def test_no_portal_on_the_bus_says_to_bind_the_command(qtbot: Any, start_backend: Any) -> None:
    backend, _, _ = start_backend()
    qtbot.waitUntil(lambda: backend.status.ok is False, timeout=10000)
    assert backend.status.message.startswith("Wayland without the portal")
    assert "desktop-assistant ptt toggle" in backend.status.message
    backend.stop()
