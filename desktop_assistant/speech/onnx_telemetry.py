"""onnxruntime's telemetry, turned off before onnxruntime loads.

faster-whisper's Silero VAD runs on onnxruntime, whose PyPI wheels carry Microsoft's 1DS telemetry
SDK, on by default (its Privacy.md). Measured with onnxruntime 1.32.0, at the first VAD run: a
session file `.ses` (a time stamp and an id) in TMPDIR, a `deviceid` and an SQLite queue of events
(OS, CPU model, executable path, network type, container) in ~/.cache/Microsoft/DeveloperTools/
.onnxruntime, and about 9 s later a DNS lookup of mobile.events.data.microsoft.com, retried every
few seconds. `ORT_DISABLE_TELEMETRY=1` in the environment when onnxruntime is imported stops all of
it. Set after the import it does nothing, and `onnxruntime.disable_telemetry_events()` does not
stop the files or the lookup. `tests/privacy/` proves the result.
"""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)

VARIABLE = "ORT_DISABLE_TELEMETRY"


def disable_onnxruntime_telemetry() -> None:
    """Call before anything imports onnxruntime: the composition root does, first thing."""
    if os.environ.get(VARIABLE) == "1":
        return
    os.environ[VARIABLE] = "1"
    if "onnxruntime" in sys.modules:
        log.warning("onnxruntime was loaded before its telemetry could be turned off")
