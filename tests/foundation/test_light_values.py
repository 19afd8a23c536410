"""The value types and Protocols that cross the engine's seams import without the heavy libraries:
the window, the CLI's parser and a test's fake can name them before any device, model or network
client is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: the modules that hold what moves between the parts (and the seams' Protocols)
LIGHT = (
    "desktop_assistant.assistant.parts",
    "desktop_assistant.assistant.persistence",
    "desktop_assistant.assistant.events",
    "desktop_assistant.assistant.turn",
    "desktop_assistant.assistant.speaking",
    "desktop_assistant.assistant.listening",
    "desktop_assistant.audio.events",
    "desktop_assistant.audio.devices",
    "desktop_assistant.speech.transcript",
    "desktop_assistant.llm.request",
)
HEAVY = ("numpy", "av", "faster_whisper", "ctranslate2", "sounddevice", "groq", "httpx", "gtts", "sqlalchemy")


def test_seam_types_import_without_numpy_pyav_whisper_portaudio_or_the_network_stack() -> None:
    root = Path(__file__).resolve().parents[2]
    code = (f"import sys\nfor name in {LIGHT!r}: __import__(name)\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
            f"print(sorted(n for n in {LIGHT!r} if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
                         cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    loaded_heavy, loaded_light = out.stdout.splitlines()
    assert loaded_light == str(sorted(LIGHT))  # every module was imported ...
    assert loaded_heavy == "[]"  # ... and none of them pulled in a heavy library


def test_the_real_parts_use_the_light_value_types() -> None:
    """One class per value: the heavy modules hand on the very types the light modules define."""
    from desktop_assistant.audio import events, player, recorder
    from desktop_assistant.llm import client, request
    from desktop_assistant.speech import stt, transcript

    assert stt.Transcript is transcript.Transcript and stt.ModelStatus is transcript.ModelStatus
    assert client.ChatOptions is request.ChatOptions and client.ChatMessage is request.ChatMessage
    assert player.ChunkStarted is events.ChunkStarted and recorder.RecordingFailed is events.RecordingFailed
