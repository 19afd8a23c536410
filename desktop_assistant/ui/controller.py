"""The GUI's handle on the engine: builds it off the GUI thread and forwards the
window's commands to it on a command thread, so no click ever waits on audio,
the model or the network. Everything the engine says comes back through the
`EngineBridge`. Before the build, the same thread reads what the window was shown
without: the stored API key and the agents.

Not a widget: it imports the engine lazily (after the window is shown).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from desktop_assistant.errors import ErrorKind, UserFacingError

if TYPE_CHECKING:  # imported with the first thread, after the window shows (~2.5 ms); the engine after it
    from concurrent.futures import Future, ThreadPoolExecutor

    from desktop_assistant.app import App
    from desktop_assistant.assistant.conductor import Assistant
    from desktop_assistant.config import Settings
    from desktop_assistant.history.records import MessageRecord
    from desktop_assistant.ui.bridge import EngineBridge

log = logging.getLogger(__name__)


class BuiltEngine(Protocol):
    """What the window needs of an engine: `engine.Engine`, or a stand-in in widget tests."""

    @property
    def assistant(self) -> Assistant | None: ...

    def apply_settings(self, old: Settings, new: Settings) -> object: ...

    def current_conversation(self) -> Sequence[MessageRecord]: ...


Builder = Callable[["App", "EngineBridge"], BuiltEngine]  # (app, bridge) -> a built engine
Command = Callable[["Assistant"], object]  # runs with the Assistant, on the command thread
# Commands that mean nothing before the engine is built (no need to say it is still starting).
QUIET_WHEN_STARTING = frozenset({"stop", "release", "discard_recording", "cancel_download"})


def build_engine(app: App, bridge: EngineBridge, **options: Any) -> BuiltEngine:
    """The real engine (engine.py), its events and levels routed into the bridge.

    `options` go to `Engine` (tests pass `gtts_endpoint` for the loopback TTS server, `given` parts).
    """
    from desktop_assistant.engine import Engine

    engine = Engine(app, on_event=bridge.post, on_level=bridge.post_level,
                    on_model_status=bridge.post_model_status, **options)
    engine.build()
    return engine


class EngineController:
    def __init__(self, app: App, bridge: EngineBridge, build: Builder | None = None) -> None:
        self.app = app
        self.bridge = bridge
        self._build = build or build_engine
        self._pools: dict[str, ThreadPoolExecutor] = {}  # "cmd", "stop": made on first use
        self._pools_lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False
        self._started = False
        self.engine: BuiltEngine | None = None
        self.assistant: Assistant | None = None
        self.error: BaseException | None = None
        app.on_settings_changed(self._settings_changed)

    def start(self) -> Future[Assistant | None] | None:
        if self._closed or self._started:
            return None
        self._started = True
        return self._pool("cmd").submit(self._start)

    def _start(self) -> Assistant | None:
        try:
            self._load_app_data()
            self.engine = self._build(self.app, self.bridge)
            self.assistant = self.engine.assistant
        except Exception as exc:  # becomes a banner, not a crash
            if not isinstance(exc, UserFacingError):
                log.exception("the engine could not be built")
            self.error = exc
            self.bridge.post_engine_failed(exc)
            return None
        finally:
            self._ready.set()
        self.bridge.post_engine_ready(self.assistant)
        self._post_current_conversation()
        return self.assistant

    def _load_app_data(self) -> None:
        """What the window was shown without: the key kept in the OS keyring (the engine needs it)
        and the agents (the window's agent picker needs them). Both block, so both are read here."""
        self.app.load_stored_key()
        self.bridge.post_agents_loaded(self.app.agents)

    def _post_current_conversation(self) -> None:
        """The conversation the next turn continues, for the view (`Engine.current_conversation`)."""
        if self.engine is None:
            return
        try:
            messages = self.engine.current_conversation()
        except Exception:  # the view simply starts empty
            log.warning("could not load the current conversation", exc_info=True)
            return
        if messages:
            self.bridge.post_conversation_loaded(messages)

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout) and self.assistant is not None

    # ------------------------------------------------------------ commands (GUI thread → command thread)

    def press(self) -> None:
        self._call("press", lambda a: a.push_to_talk_pressed())

    def release(self) -> None:
        self._call("release", lambda a: a.push_to_talk_released())

    def discard_recording(self) -> None:
        """A tap: close the microphone quietly, send nothing."""
        self._call("discard_recording", lambda a: a.cancel_recording("tap"))

    def send_text(self, text: str) -> None:
        self._call("send_text", lambda a: a.send_text(text))

    def new_conversation(self) -> None:
        self._call("new_conversation", lambda a: a.new_conversation())

    def set_agent(self, agent_id: str) -> None:
        self._call("set_agent", lambda a: a.set_agent(agent_id))

    def set_muted(self, muted: bool) -> None:
        self._call("set_muted", lambda a: a.set_muted(muted))

    def cancel_download(self) -> None:
        self._call("cancel_download", lambda a: a.cancel_download())

    def stop(self) -> None:
        """Barge-in: runs on its own thread so it never queues behind a slow command, and again on the
        command thread, after what was asked before it (a press or a message still queued there)."""
        if not self._closed:
            self._pool("stop").submit(self._invoke, "stop", _stop)
            self._call("stop", _stop)

    def _pool(self, name: str) -> ThreadPoolExecutor:
        """The command thread ("cmd") or the Stop thread ("stop"), made on first use."""
        with self._pools_lock:
            pool = self._pools.get(name)
            if pool is None:
                from concurrent.futures import ThreadPoolExecutor

                pool = self._pools[name] = ThreadPoolExecutor(1, thread_name_prefix=f"gui-engine-{name}")
            return pool

    def _call(self, name: str, command: Command) -> None:
        if not self._closed:
            self._pool("cmd").submit(self._invoke, name, command)

    def _invoke(self, name: str, command: Command) -> None:
        assistant = self.assistant
        if assistant is None:
            if name not in QUIET_WHEN_STARTING:
                self.bridge.post_command_failed(
                    self.error
                    if isinstance(self.error, UserFacingError)
                    else UserFacingError(
                        "The assistant is still starting", "try again in a moment", kind=ErrorKind.STARTING
                    )
                )
            return
        try:
            command(assistant)
        except UserFacingError as exc:
            log.info("%s: %s", name, exc)
            self.bridge.post_command_failed(exc)
        except Exception as exc:  # a bug, reported and survived
            log.exception("engine command %s failed", name)
            self.bridge.post_command_failed(
                UserFacingError(f"Something went wrong: {exc}", "see the log for details")
            )

    # ------------------------------------------------------------ settings

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        """The engine takes new settings on the command thread (after what was asked before; parts
        may be rebuilt and a model may start loading): the GUI thread never waits for it."""
        if not self._closed:
            self._pool("cmd").submit(self._apply_settings, old, new)

    def _apply_settings(self, old: Settings, new: Settings) -> None:
        engine = self.engine
        if engine is None:
            return  # the engine is built from the App's settings, which are the new ones already
        try:
            engine.apply_settings(old, new)
        except Exception as exc:  # shown as a banner; the old parts stay in use
            log.exception("could not apply the new settings")
            self.bridge.post_command_failed(
                exc
                if isinstance(exc, UserFacingError)
                else UserFacingError(f"Could not apply the new settings: {exc}")
            )

    # ------------------------------------------------------------ shutdown

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel the turn, stop the engine's workers (bounded), stop the command threads."""
        if self._closed:
            return
        self._closed = True
        if self._started:
            self._ready.wait(timeout)  # a build in progress must finish before closing its parts
        assistant = self.assistant
        if assistant is not None:
            steps: tuple[tuple[str, Callable[[], object]], ...] = (("stop", assistant.stop), ("close", assistant.close))
            for name, method in steps:  # the parts are closed with the App, after the window
                done = threading.Event()

                def run(m: Callable[[], object] = method, d: threading.Event = done) -> None:
                    try:
                        m()
                    except Exception:  # shutdown goes on
                        log.exception("engine shutdown step failed")
                    finally:
                        d.set()

                threading.Thread(target=run, name=f"gui-engine-{name}", daemon=True).start()
                if not done.wait(timeout):
                    log.warning("engine %s() did not finish within %.1f s", name, timeout)
        with self._pools_lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)


def _stop(assistant: Assistant) -> None:
    assistant.stop()
