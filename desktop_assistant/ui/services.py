"""Engine look-ups the Settings dialog needs, run off the GUI thread: the audio
device lists (the sound server's descriptions), the speech model plan (and whether
it can be had at all), a key test, a microphone test (level meter) and a speaker
test sound. Results come back on the GUI thread through the bridge.

Not a widget: imports the audio and speech modules lazily, on worker threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from desktop_assistant.errors import UserFacingError

if TYPE_CHECKING:  # the engine and the parts' modules load on the first probe, on the pool's threads
    from desktop_assistant.app import App
    from desktop_assistant.audio.devices import DeviceList
    from desktop_assistant.audio.recorder import Recorder
    from desktop_assistant.engine import Engine, ModelChoice
    from desktop_assistant.ui.bridge import EngineBridge

log = logging.getLogger(__name__)
T = TypeVar("T")
Device = str | int | None  # a device as the settings name it

class SettingsServices:
    def __init__(self, app: App, bridge: EngineBridge) -> None:
        self.app = app
        self.bridge = bridge
        self._probe: Engine | None = None
        self._probe_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="gui-settings")
        self._mic: Recorder | None = None
        self._mic_lock = threading.Lock()
        self._closed = False

    @property
    def probe(self) -> Engine:
        """An engine that is not built: only its probes run, on the pool's threads (which also import
        it: the engine module imports the assistant and the Groq client, ~0.4 s)."""
        with self._probe_lock:
            if self._probe is None:
                from desktop_assistant.engine import Engine

                self._probe = Engine(self.app)
            return self._probe

    def _run(self, work: Callable[[], T], done: Callable[[T | UserFacingError], None]) -> None:
        """Run `work` on a worker; call `done(result or UserFacingError)` on the GUI thread."""
        if self._closed:
            return

        def job() -> None:
            result: T | UserFacingError
            try:
                result = work()
            except UserFacingError as exc:
                result = exc
            except Exception as exc:  # shown in the dialog, logged as a bug
                log.exception("settings look-up failed")
                result = UserFacingError(str(exc))
            self.bridge.post_call(done, result)

        self._pool.submit(job)

    def devices(self, done: Callable[[DeviceList | UserFacingError], None]) -> None:
        self._run(lambda: self.probe.list_devices(), done)  # (the probe is made on the pool)

    def model_plan(self, name: str, done: Callable[[ModelChoice | UserFacingError], None]) -> None:
        """Where the model would come from now, and whether it can be had at all (a model not here,
        offline: up to 2 s to probe the network)."""
        self._run(lambda: self.probe.model_choice(name), done)

    def model_plans(self, names: tuple[str, ...], done: Callable[[dict[str, str] | UserFacingError], None]) -> None:
        """{name: source} for every model name (offline, fast)."""
        self._run(lambda: self.probe.model_sources(names), done)

    def key_location(self, done: Callable[[str | UserFacingError], None]) -> None:
        """Where the key is kept, in words: finding the system keyring may take up to the key store's
        timeout."""
        self._run(lambda: self.app.keystore.location, done)

    def test_key(self, key: str | None, done: Callable[[str | UserFacingError], None]) -> None:
        """Ask Groq for a one-token reply with `key` (not saved); done(the model that answered)."""
        self._run(lambda: self.probe.test_key(key), done)

    def start_mic_test(
        self, device: Device, on_level: Callable[[float], None], done: Callable[[bool | UserFacingError], None]
    ) -> None:
        """Record from `device` (not kept) and feed its level to `on_level` (any thread)."""

        def work() -> bool:
            with self._mic_lock:
                self._stop_mic()
                recorder = self.probe.microphone(device, on_level=on_level)
                recorder.start()
                self._mic = recorder
            return True

        self._run(work, done)

    def stop_mic_test(self) -> None:
        def work() -> None:
            with self._mic_lock:
                self._stop_mic()

        if not self._closed:
            self._pool.submit(work)

    def _stop_mic(self) -> None:
        recorder, self._mic = self._mic, None
        if recorder is not None:
            try:
                recorder.cancel()
                recorder.close()
            except Exception:  # a test recorder that fails to close is only logged
                log.warning("closing the test recorder failed", exc_info=True)

    def test_speaker(self, device: Device, done: Callable[[bool | UserFacingError], None]) -> None:
        """Play the speaker test sound on `device`; done(True once it has drained)."""
        self._run(lambda: self.probe.test_speaker(device), done)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def stop() -> None:  # not on the GUI thread: a test microphone may still be opening (holding the lock)
            with self._mic_lock:
                self._stop_mic()

        self._pool.shutdown(wait=False, cancel_futures=True)
        threading.Thread(target=stop, name="gui-settings-close", daemon=True).start()
