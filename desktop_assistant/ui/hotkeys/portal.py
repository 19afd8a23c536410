"""The Wayland backend: org.freedesktop.portal.GlobalShortcuts on the session bus.

The desktop (GNOME, KDE, Hyprland's portal…) owns global shortcuts on Wayland: the app asks for
one (`CreateSession`, then `BindShortcuts` with a preferred trigger), the desktop shows its
dialog, and then sends `Activated` when the shortcut is pressed and `Deactivated` when it is
released — press and release, which push-to-talk needs (a compositor key binding usually gives
only the press). At the next start `ListShortcuts` finds the binding the desktop kept for the app
(registered as `desktop-assistant` through org.freedesktop.host.portal.Registry where the portal
has it), and nothing is asked again.

The D-Bus conversation runs on a thread of its own with jeepney (pure-Python D-Bus, already
there for the keyring): QtDBus from Python cannot declare the `a(sa{sv})` array BindShortcuts takes
(`QDBusArgument.beginArray` needs an element type registered in C++).
Press, release and status changes are posted to the GUI thread through a queued Qt signal.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from desktop_assistant.ui.hotkeys.base import PTT_COMMAND, BackendKind, Callback, HotkeyStatus
from desktop_assistant.ui.hotkeys.shortcut import Shortcut, ShortcutError

log = logging.getLogger(__name__)

PORTAL_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
INTERFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST_INTERFACE = "org.freedesktop.portal.Request"
SHORTCUT_ID = "talk"
APP_ID = "desktop-assistant"
CALL_TIMEOUT_S = 5.0
DIALOG_TIMEOUT_S = 600.0  # the user reads the desktop's dialog
WAITING = "Wayland: via the desktop portal — approve the shortcut in the dialog"
NO_PORTAL = (f"Wayland without the portal (no {INTERFACE} on the session bus): bind `{PTT_COMMAND}` in your "
             "compositor, or `desktop-assistant ptt press` / `ptt release` for press and release")
# The portal's response codes to a request.
RESPONSES = {1: "cancelled in its dialog", 2: "it refused"}


def refused_message(why: str) -> str:
    return (f"Wayland: the desktop portal did not bind the shortcut ({why}) — apply the settings again to be "
            f"asked again, or bind `{PTT_COMMAND}` in your compositor")


class _Stopped(Exception):
    pass


class PortalShortcuts(QObject):
    kind = BackendKind.PORTAL
    _posted = Signal(str, object)  # ("press" | "release" | "status", HotkeyStatus | None), to the GUI thread

    def __init__(self, shortcut: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = shortcut
        self._status = HotkeyStatus(None, WAITING)
        self._on_press: Callback | None = None
        self._on_release: Callback | None = None
        self._on_status: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._router: Any = None
        self._held = False
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def status(self) -> HotkeyStatus:
        return self._status

    def start(self, on_press: Callback, on_release: Callback, on_status: Any = None) -> HotkeyStatus:
        self.stop()
        self._on_press, self._on_release, self._on_status = on_press, on_release, on_status
        try:
            trigger = Shortcut.parse(self._text).portal_trigger()
        except ShortcutError as exc:
            self._status = HotkeyStatus(False, f"Wayland: {exc}")
            return self._status
        self._stop = threading.Event()
        self._status = HotkeyStatus(None, WAITING)
        self._thread = threading.Thread(target=self._run, args=(trigger, self._stop), name="hotkey-portal",
                                        daemon=True)
        self._thread.start()
        return self._status

    def stop(self) -> None:
        self._stop.set()
        router, self._router = self._router, None
        if router is not None:
            try:
                router.close()
                router.conn.close()
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=CALL_TIMEOUT_S)
            self._thread = None
        if self._held:
            self._held = False
            if self._on_release is not None:
                self._on_release()

    # ---------------------------------------------------------------- GUI thread

    def _deliver(self, what: str, status: Any) -> None:
        if self._thread is None:  # (posted before a stop, delivered after it)
            return
        if what == "status":
            self._status = status
            log.info("global hotkey: %s", status.message)
            if self._on_status is not None:
                self._on_status(status)
        elif what == "press" and not self._held:
            self._held = True
            log.info("global hotkey: pressed")
            if self._on_press is not None:
                self._on_press()
        elif what == "release" and self._held:
            self._held = False
            log.info("global hotkey: released")
            if self._on_release is not None:
                self._on_release()

    # ---------------------------------------------------------------- the portal's thread

    def _run(self, trigger: str, stop: threading.Event) -> None:
        try:
            self._converse(trigger, stop)
        except _Stopped:
            pass
        except Exception as exc:  # noqa: BLE001 - any D-Bus failure becomes the status Settings shows
            if not stop.is_set():
                log.warning("global hotkey: the desktop portal failed: %s", exc)
                self._posted.emit("status", HotkeyStatus(False, f"{NO_PORTAL} ({exc})"))
        finally:
            self._close_router(stop)

    def _close_router(self, stop: threading.Event) -> None:
        """(the thread's own router once it is done, unless `stop()` closed it)"""
        router = self._router
        if router is not None and stop is self._stop:
            self._router = None
            try:
                router.close()
                router.conn.close()
            except OSError:
                pass

    def _converse(self, trigger: str, stop: threading.Event) -> None:
        from jeepney import DBusAddress, MatchRule, Properties, message_bus, new_method_call
        from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        router = DBusRouter(open_dbus_connection(bus="SESSION"))
        self._router = router
        if stop.is_set():
            raise _Stopped
        bus = Proxy(message_bus, router, timeout=CALL_TIMEOUT_S)
        portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=INTERFACE)
        try:
            version = unwrap_msg(router.send_and_get_reply(Properties(portal).get("version"),
                                                           timeout=CALL_TIMEOUT_S))[0][1]
        except (DBusErrorResponse, TimeoutError) as exc:
            log.info("global hotkey: no GlobalShortcuts portal: %s", exc)
            self._posted.emit("status", HotkeyStatus(False, NO_PORTAL))
            return
        log.info("global hotkey: GlobalShortcuts portal version %s", version)
        registry = DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface="org.freedesktop.host.portal.Registry")
        try:  # who the app is, so the desktop keeps its binding for the next start (host apps)
            unwrap_msg(router.send_and_get_reply(new_method_call(registry, "Register", "sa{sv}", (APP_ID, {})),
                                                 timeout=CALL_TIMEOUT_S))
        except (DBusErrorResponse, TimeoutError) as exc:
            log.info("global hotkey: no app registry on this portal (%s)", exc)
        signals: queue.Queue[Any] = queue.Queue()
        rule = MatchRule(type="signal", interface=INTERFACE, path=PORTAL_PATH)
        bus.AddMatch(rule)
        router.filter(rule, queue=signals)
        sender = router.unique_name.lstrip(":").replace(".", "_")

        def request(method: str, signature: str, body: tuple[Any, ...], timeout: float) -> tuple[int, dict[str, Any]]:
            token = f"da{secrets.token_hex(6)}"
            path = f"{PORTAL_PATH}/request/{sender}/{token}"
            answer = MatchRule(type="signal", interface=REQUEST_INTERFACE, member="Response", path=path)
            bus.AddMatch(answer)
            responses: queue.Queue[Any] = queue.Queue()
            with router.filter(answer, queue=responses):
                options = {**body[-1], "handle_token": ("s", token)}
                unwrap_msg(router.send_and_get_reply(
                    new_method_call(portal, method, signature, (*body[:-1], options)), timeout=CALL_TIMEOUT_S))
                message = _wait(responses, stop, timeout)
            code, results = message.body
            return code, results

        code, results = request("CreateSession", "a{sv}",
                                ({"session_handle_token": ("s", f"da{secrets.token_hex(6)}")},), CALL_TIMEOUT_S)
        if code != 0:
            self._posted.emit("status", HotkeyStatus(False, refused_message(f"no session: {RESPONSES.get(code)}")))
            return
        session = results["session_handle"][1]
        code, results = request("ListShortcuts", "oa{sv}", (session, {}), CALL_TIMEOUT_S)
        known = dict(results.get("shortcuts", ("", []))[1]) if code == 0 else {}
        if SHORTCUT_ID in known:
            shown = _trigger(known[SHORTCUT_ID]) or self._text
            status = HotkeyStatus(True, f"Wayland: via the desktop portal — {shown} (kept by the desktop from "
                                        "before; change it in the desktop's keyboard settings)")
        else:
            self._posted.emit("status", HotkeyStatus(None, WAITING))
            shortcuts = [(SHORTCUT_ID, {"description": ("s", "Talk to Desktop Assistant (hold to speak)"),
                                        "preferred_trigger": ("s", trigger)})]
            code, results = request("BindShortcuts", "oa(sa{sv})sa{sv}", (session, shortcuts, "", {}),
                                    DIALOG_TIMEOUT_S)
            if code != 0:
                self._posted.emit("status", HotkeyStatus(False, refused_message(RESPONSES.get(code, f"code {code}"))))
                return
            bound = dict(results.get("shortcuts", ("", []))[1])
            if SHORTCUT_ID not in bound:
                self._posted.emit("status", HotkeyStatus(False, refused_message("the shortcut was left out")))
                return
            shown = _trigger(bound[SHORTCUT_ID]) or self._text
            status = HotkeyStatus(True, f"Wayland: via the desktop portal — {shown} bound")
        self._posted.emit("status", status)
        while not stop.is_set():
            try:
                message = signals.get(timeout=0.2)
            except queue.Empty:
                continue
            handle, shortcut_id = message.body[0], message.body[1]
            if handle != session or shortcut_id != SHORTCUT_ID:
                continue
            member = message.header.fields.get(_member_field())
            if member == "Activated":
                self._posted.emit("press", None)
            elif member == "Deactivated":
                self._posted.emit("release", None)


def _wait(responses: queue.Queue[Any], stop: threading.Event, timeout: float) -> Any:
    waited = 0.0
    while waited < timeout:
        if stop.is_set():
            raise _Stopped
        try:
            return responses.get(timeout=0.2)
        except queue.Empty:
            waited += 0.2
    raise TimeoutError("the desktop portal did not answer")


def _trigger(options: dict[str, Any]) -> str:
    value = options.get("trigger_description")
    return str(value[1]) if value else ""


def _member_field() -> Any:
    from jeepney.low_level import HeaderFields

    return HeaderFields.member
