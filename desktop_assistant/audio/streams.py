"""Small helpers shared by the recorder and the player: opening a stream at the best
rate the device accepts, and closing one without waiting forever."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from desktop_assistant.errors import AudioError

log = logging.getLogger(__name__)
CLOSE_TIMEOUT_S = 2.0


def open_at_rates(factory: Callable[..., Any], rates: Sequence[int], what: str,
                  **kwargs: Any) -> tuple[Any, int]:
    """Open a stream at the first of `rates` the device accepts; (stream, rate).

    Raises AudioError naming the device problem when none works.
    """
    last: Exception | None = None
    tried: list[int] = []
    for rate in dict.fromkeys(int(r) for r in rates if r):
        tried.append(rate)
        try:
            return factory(samplerate=rate, **kwargs), rate
        except Exception as exc:  # noqa: BLE001 - sd.PortAudioError or ValueError, depending on backend
            log.info("%s: cannot open at %d Hz: %s", what, rate, exc)
            last = exc
    raise AudioError(f"Cannot open the {what} (tried {', '.join(map(str, tried))} Hz): {last}",
                     "check the device in the system sound settings")


def close_stream(stream: Any, *, abort: bool = False, timeout: float = CLOSE_TIMEOUT_S) -> bool:
    """Stop and close `stream` with a bounded wait; False when it did not finish in time."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            (stream.abort if abort else stream.stop)()
        except Exception as exc:  # noqa: BLE001 - a dead device may refuse to stop; close anyway
            errors.append(exc)
        try:
            stream.close()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    worker = threading.Thread(target=run, name="audio-close", daemon=True)
    worker.start()
    worker.join(timeout)
    for exc in errors:
        log.info("closing audio stream: %s", exc)
    if worker.is_alive():
        log.warning("audio stream did not close within %.1f s; abandoning it", timeout)
        return False
    return True
