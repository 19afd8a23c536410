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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop_assistant.errors import UserFacingError

if TYPE_CHECKING:  # imported with the first thread, after the window shows (~2.5 ms)
    from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

Builder = Callable[[Any, Any], Any]  # (app, bridge) -> assistant

# Settings the Assistant does not apply itself: the controller swaps these parts.
RECORDER_SETTINGS = ("input_device", "max_recording_s")
STT_SETTINGS = ("stt_model", "stt_compute_type")
PLAYER_SETTINGS = ("output_device",)


def build_engine(app: Any, bridge: Any, **options: Any) -> Any:
    """The real engine (assistant/wiring.py), its events and levels routed into the bridge.

    `options` go to `build_assistant` (tests pass `gtts_endpoint` for the loopback TTS server).
    """
    from desktop_assistant.assistant.wiring import build_assistant

    return build_assistant(
        app,
        on_event=bridge.post,
        on_level=bridge.post_level,
        on_model_status=bridge.post_model_status,
        **options,
    )


class EngineController:
    def __init__(self, app: Any, bridge: Any, build: Builder | None = None) -> None:
        self.app = app
        self.bridge = bridge
        self._build = build or build_engine
        self._pools: dict[str, ThreadPoolExecutor] = {}  # "cmd", "stop": made on first use
        self._pools_lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False
        self._started = False
        self.assistant: Any = None
        self.error: BaseException | None = None
        if hasattr(app, "on_settings_changed"):
            app.on_settings_changed(self._settings_changed)

    @property
    def built(self) -> bool:
        """The build has finished (successfully or not)."""
        return self._ready.is_set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self.assistant is not None

    def start(self) -> Future[Any] | None:
        if self._closed or self._started:
            return None
        self._started = True
        return self._pool("cmd").submit(self._start)

    def _start(self) -> Any:
        try:
            self._load_app_data()
            self.assistant = self._build(self.app, self.bridge)
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
        """The conversation the next turn continues, for the view: the store's session rule, asked
        with the agent and timeout the turn uses."""
        assistant = self.assistant
        store = getattr(assistant, "store", None)
        if store is None or not hasattr(store, "conversation_to_continue"):
            return
        try:
            current = store.conversation_to_continue(assistant.agent.id, assistant.settings.session_timeout)
            if current is None:
                return
            messages = store.recent_messages(current, 50)
        except Exception:  # the view simply starts empty
            log.warning("could not load the current conversation", exc_info=True)
            return
        self.bridge.post_conversation_loaded(messages)

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout) and self.assistant is not None

    # ------------------------------------------------------------ commands (GUI thread → command thread)

    def press(self) -> None:
        self._call("push_to_talk_pressed")

    def release(self) -> None:
        self._call("push_to_talk_released")

    def discard_recording(self) -> None:
        """A tap: close the microphone quietly, send nothing."""
        self._call("cancel_recording", "tap")

    def send_text(self, text: str) -> None:
        self._call("send_text", text)

    def new_conversation(self) -> None:
        self._call("new_conversation")

    def set_agent(self, agent_id: str) -> None:
        self._call("set_agent", agent_id)

    def set_muted(self, muted: bool) -> None:
        self._call("set_muted", muted)

    def cancel_download(self) -> None:
        self._call("cancel_download")

    def stop(self) -> None:
        """Barge-in: runs on its own thread so it never queues behind a slow command, and again on the
        command thread, after what was asked before it (a press or a message still queued there)."""
        if not self._closed:
            self._pool("stop").submit(self._invoke, "stop", ())
            self._call("stop")

    def _pool(self, name: str) -> ThreadPoolExecutor:
        """The command thread ("cmd") or the Stop thread ("stop"), made on first use."""
        with self._pools_lock:
            pool = self._pools.get(name)
            if pool is None:
                from concurrent.futures import ThreadPoolExecutor

                pool = self._pools[name] = ThreadPoolExecutor(1, thread_name_prefix=f"gui-engine-{name}")
            return pool

    def _call(self, name: str, *args: Any) -> None:
        if not self._closed:
            self._pool("cmd").submit(self._invoke, name, args)

    def _invoke(self, name: str, args: tuple[Any, ...]) -> None:
        assistant = self.assistant
        if assistant is None:
            if name not in ("stop", "push_to_talk_released", "cancel_recording", "cancel_download"):
                self.bridge.post_command_failed(
                    self.error
                    if isinstance(self.error, UserFacingError)
                    else UserFacingError(
                        "The assistant is still starting", "try again in a moment", kind="starting"
                    )
                )
            return
        method = getattr(assistant, name, None)
        if method is None and name == "cancel_download":
            method = getattr(getattr(assistant, "transcriber", None), "cancel_download", None)
        if method is None:
            log.debug("engine has no %s()", name)
            return
        try:
            method(*args)
        except UserFacingError as exc:
            log.info("%s: %s", name, exc)
            self.bridge.post_command_failed(exc)
        except Exception as exc:  # a bug, reported and survived
            log.exception("engine command %s failed", name)
            self.bridge.post_command_failed(
                UserFacingError(f"Something went wrong: {exc}", "see the log for details")
            )

    # ------------------------------------------------------------ settings that need new parts

    def _settings_changed(self, old: Any, new: Any) -> None:
        changed = {
            name
            for name in (*RECORDER_SETTINGS, *STT_SETTINGS, *PLAYER_SETTINGS)
            if getattr(old, name) != getattr(new, name)
        }
        if changed and not self._closed:
            self._pool("cmd").submit(self._swap_parts, changed)

    def _swap_parts(self, changed: set[str]) -> None:
        """Replace the recorder / transcriber / player built from old settings (command thread)."""
        assistant, app = self.assistant, self.app
        if assistant is None:
            return
        settings = app.settings
        try:
            if changed & set(RECORDER_SETTINGS):
                from desktop_assistant.audio.recorder import Recorder

                recorder = Recorder(
                    device=settings.input_device,
                    max_seconds=settings.max_recording_s,
                    on_level=self.bridge.post_level,
                )
                recorder.on_event = getattr(assistant, "on_recorder_event", None)
                self._retire(app.replace_part("recorder", recorder, lambda r: r.close()), "cancel", "close")
                assistant.recorder = recorder
            if changed & set(STT_SETTINGS):
                from desktop_assistant.speech.models import unobtainable
                from desktop_assistant.speech.stt import Transcriber

                missing, current = unobtainable(settings, app.paths), getattr(assistant, "transcriber", None)
                if missing is not None and getattr(current, "resolved", None) is not None:
                    current.keep_serving(missing)  # e.g. offline: keep the model in use, say why
                else:
                    stt = Transcriber(settings, app.paths, on_status=self.bridge.post_model_status).start()
                    self._retire(app.replace_part("transcriber", stt, lambda t: t.close()), "close")
                    assistant.transcriber = stt
            if changed & set(PLAYER_SETTINGS):
                from desktop_assistant.audio.player import Player
                from desktop_assistant.speech.tts import PLAYER_RATE

                player = Player(device=settings.output_device, sample_rate=PLAYER_RATE)
                player.on_event = getattr(assistant, "on_player_event", None)
                self._retire(app.replace_part("player", player, lambda p: p.close()), "close")
                assistant.player = player
                if hasattr(assistant, "_player_state"):
                    assistant._player_state = None  # opened on the next spoken turn
            log.info("applied new %s", ", ".join(sorted(changed)))
        except Exception as exc:  # shown as a banner; the old parts stay in use
            log.exception("could not apply new audio/speech settings")
            self.bridge.post_command_failed(
                exc
                if isinstance(exc, UserFacingError)
                else UserFacingError(f"Could not apply the new settings: {exc}")
            )

    @staticmethod
    def _retire(part: Any, *steps: str) -> None:
        """Close a replaced part on its own thread (closing may wait on a device or a worker)."""
        if part is None:
            return

        def run() -> None:
            for step in steps:
                try:
                    getattr(part, step)()
                except Exception:  # an old part that fails to close is only logged
                    log.warning("closing the replaced %s failed", type(part).__name__, exc_info=True)

        threading.Thread(target=run, name="gui-retire-part", daemon=True).start()

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
            for name in ("stop", "close"):
                method = getattr(assistant, name, None)
                if method is None:
                    continue
                done = threading.Event()

                def run(m: Callable[[], Any] = method, d: threading.Event = done) -> None:
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
