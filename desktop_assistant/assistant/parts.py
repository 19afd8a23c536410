"""What the assistant needs from each part the engine builds, as Protocols (beside `TurnStore` in
`persistence.py`): the real classes satisfy them (mypy checks it where `engine.Engine` builds them)
and the tests' small fakes have the same shape (`isinstance` checks the names; mypy the signatures).

| Protocol | real class |
|---|---|
| `TranscriberPart` (→ `LivePart`) | `speech.stt.Transcriber` (→ `speech.live.LiveTranscription`) |
| `RecorderPart` | `audio.recorder.Recorder` |
| `PlayerPart` | `audio.player.Player` |
| `ChatPart` (→ `ReplyStreamPart`) | `llm.client.ChatClient` (→ `ReplyStream`) |
| `SynthesizerPart` | `speech.tts.Synthesizer` |

Importing this module loads no numpy, PyAV, faster-whisper, PortAudio, groq or httpx: the audio
values (`AudioClip`, `SpeechAudio`, a PCM array) are named for the type checker only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from desktop_assistant.audio.events import PlayerEvent, RecorderEvent
from desktop_assistant.llm.request import ChatMessage, ChatOptions
from desktop_assistant.speech.transcript import LiveStats, LiveUpdate, Transcript

if TYPE_CHECKING:  # numpy: the values that carry audio
    import numpy as np

    from desktop_assistant.audio.chunks import AudioChunks
    from desktop_assistant.audio.clip import AudioClip
    from desktop_assistant.speech.tts import SpeechAudio


@runtime_checkable
class TranscriberPart(Protocol):
    """Speech to text, on a worker of its own; `transcribe` blocks the calling turn (bounded)."""

    def transcribe(self, clip: AudioClip, *, language: str | None = None, initial_prompt: str | None = None,
                   timeout: float = 60.0, cancel: threading.Event | None = None) -> Transcript: ...

    def listen(self, chunks: AudioChunks, *, on_update: Callable[[LiveUpdate], None] | None = None,
               language: str | None = None, initial_prompt: str | None = None,
               partials: bool = True, on_guess: Callable[[str | None], None] | None = None) -> LivePart | None:
        """Follow a recording while the user speaks (speech/live.py): partial transcripts to `on_update`,
        the words to start a reply on when the user pauses to `on_guess`; None: no live transcript."""
        ...

    def cancel_download(self) -> None: ...

    def close(self, timeout: float = 5.0) -> None: ...


class LivePart(Protocol):
    """One recording's live transcript: `finish` gives the final transcript at the release;
    `stop_updates` (at the release) ends the partials at once, `cancel` (Stop) drops everything."""

    def stop_updates(self) -> None: ...

    def release_guess(self, clip: AudioClip) -> str | None:
        """At the release: the words to ask the reply for while the final transcript is decoded."""
        ...

    def finish(self, clip: AudioClip, *, timeout: float = 60.0,
               cancel: threading.Event | None = None) -> tuple[Transcript, LiveStats]: ...

    def cancel(self) -> None: ...


@runtime_checkable
class RecorderPart(Protocol):
    """The microphone: open from `start()` to `stop()` (the clip) or `cancel()` (nothing)."""

    on_event: Callable[[RecorderEvent], None] | None

    @property
    def is_recording(self) -> bool: ...
    @property
    def chunks(self) -> AudioChunks | None: ...

    def start(self) -> None: ...

    def stop(self) -> AudioClip: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class PlayerPart(Protocol):
    """The sound output: a gapless queue of tagged PCM; `stop()` silences at once."""

    sample_rate: int
    on_event: Callable[[PlayerEvent], None] | None

    def open(self) -> None: ...

    def close(self) -> None: ...

    def enqueue(self, pcm: np.ndarray, tag: Any = None) -> None: ...

    def stop(self) -> None: ...

    def wait_drained(self, timeout: float) -> bool: ...


@runtime_checkable
class ReplyStreamPart(Protocol):
    """A streamed reply: iterate for text deltas; `close()` cancels it from any thread."""

    def __iter__(self) -> Iterator[str]: ...

    def close(self) -> None: ...


@runtime_checkable
class ChatPart(Protocol):
    """The LLM: opens streamed replies (raises `UserFacingError` when it cannot)."""

    def stream(self, messages: Sequence[ChatMessage], options: ChatOptions,
               cancel: threading.Event | None = None) -> ReplyStreamPart: ...

    def prepare(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class SynthesizerPart(Protocol):
    """Text to speech for one voice: None when there is nothing speakable or no engine can speak."""

    def synthesize(self, text: str, index: int = 0) -> SpeechAudio | None: ...

    def prepare(self) -> None: ...
