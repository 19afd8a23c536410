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
from dataclasses import dataclass
from typing import Any

from desktop_assistant.errors import UserFacingError
from desktop_assistant.paths import resource_path

log = logging.getLogger(__name__)

MODEL_CHOICES = (
    "tiny.en",
    "tiny",
    "base.en",
    "base",
    "small.en",
    "small",
    "medium.en",
    "medium",
    "large-v3",
    "distil-large-v3",
)


@dataclass(frozen=True)
class ModelChoice:
    name: str
    source: str  # where it would come from now (speech.models.SOURCES)
    reason: str | None  # why that is not the model asked for
    problem: str | None  # why it cannot be had now (not here, no download possible) and what to do


class SettingsServices:
    def __init__(self, app: Any, bridge: Any) -> None:
        self.app = app
        self.bridge = bridge
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="gui-settings")
        self._mic: Any = None
        self._mic_lock = threading.Lock()
        self._closed = False

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run `work` on a worker; call `done(result or UserFacingError)` on the GUI thread."""
        if self._closed:
            return

        def job() -> None:
            try:
                result = work()
            except UserFacingError as exc:
                result = exc
            except Exception as exc:  # shown in the dialog, logged as a bug
                log.exception("settings look-up failed")
                result = UserFacingError(str(exc))
            self.bridge.post_call(done, result)

        self._pool.submit(job)

    def devices(self, done: Callable[[Any], None]) -> None:
        """done(DeviceList | UserFacingError)."""

        def work() -> Any:
            from desktop_assistant.audio import devices

            return devices.list_devices(described=True)

        self._run(work, done)

    def model_plan(self, name: str, done: Callable[[Any], None]) -> None:
        """done(ModelChoice | UserFacingError): where the model would come from now, and whether
        it can be had at all (a model not here, offline: up to 2 s to probe the network)."""

        def work() -> Any:
            from desktop_assistant.speech import models

            settings = self.app.settings.with_values(stt_model=name)
            plan = models.plan(settings, self.app.paths)
            problem = models.unobtainable(settings, self.app.paths)
            return ModelChoice(name, plan.source, plan.reason, str(problem) if problem else None)

        self._run(work, done)

    def model_plans(self, names: tuple[str, ...], done: Callable[[Any], None]) -> None:
        """done({name: source} | UserFacingError) for every model name (offline, fast)."""

        def work() -> Any:
            from desktop_assistant.speech import models

            out = {}
            for name in names:
                try:
                    plan = models.plan(self.app.settings.with_values(stt_model=name), self.app.paths)
                    out[name] = plan.source if plan.name == name else "download"
                except UserFacingError:
                    out[name] = "unavailable"
            return out

        self._run(work, done)

    def test_key(self, key: str | None, done: Callable[[Any], None]) -> None:
        """Ask Groq for a one-token reply with `key` (not saved); done(model name | UserFacingError)."""
        settings = self.app.settings

        def work() -> Any:
            from desktop_assistant.llm.client import ChatClient, ChatMessage, ChatOptions

            client = ChatClient(key, settings.groq_base_url, read_timeout=10.0, retry_budget_s=3.0, max_attempts=2)
            try:
                stream = client.stream([ChatMessage("user", "Reply with OK.")],
                                       ChatOptions(model=settings.llm_model, temperature=0.0, max_tokens=1))
                try:
                    next(iter(stream), None)
                finally:
                    stream.close()
            finally:
                client.close()
            return settings.llm_model

        self._run(work, done)

    def start_mic_test(
        self, device: Any, on_level: Callable[[float], None], done: Callable[[Any], None]
    ) -> None:
        """Record from `device` (not kept) and feed its level to `on_level` (any thread)."""

        def work() -> Any:
            from desktop_assistant.audio.recorder import Recorder

            with self._mic_lock:
                self._stop_mic()
                recorder = Recorder(device=device, max_seconds=30.0, on_level=on_level)
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

    def test_speaker(self, device: Any, done: Callable[[Any], None]) -> None:
        """Play the speaker test sound on `device`; done(True | UserFacingError)."""

        def work() -> Any:
            from desktop_assistant.audio.decode import decode_file
            from desktop_assistant.audio.player import Player

            pcm = decode_file(resource_path("sounds", "speaker-test.wav"), sample_rate=24000)
            player = Player(device=device, sample_rate=24000)
            player.open()
            try:
                player.enqueue(pcm)
                return player.wait_drained(timeout=10.0)
            finally:
                player.close()

        self._run(work, done)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._mic_lock:
            self._stop_mic()
        self._pool.shutdown(wait=False, cancel_futures=True)
