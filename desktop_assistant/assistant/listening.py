"""The recording phase: who holds the microphone, from the moment the user starts speaking until
the words are handed to a turn. `PushToTalk` is the one mode today (a press opens the microphone, the
release hands over the clip); a voice-activated mode and a wake-word mode are meant to be siblings
with the same outcome (a turn id and a clip, or nothing), reading the same `audio` while it records.

The owner (`Assistant`) calls it under its own lock, so a press, a release, Stop and a settings
change see one state; this object emits nothing itself: its caller says what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_assistant.assistant.parts import LivePart, RecorderPart
from desktop_assistant.errors import ErrorKind, UserFacingError

if TYPE_CHECKING:  # numpy and PortAudio: loaded with the recorder
    from desktop_assistant.audio.chunks import AudioChunks
    from desktop_assistant.audio.clip import AudioClip

log = logging.getLogger(__name__)


class PushToTalk:
    """The microphone is open exactly while the user holds the press."""

    def __init__(self, recorder: RecorderPart | None) -> None:
        self.recorder = recorder
        self._turn_id: int | None = None
        self._live: LivePart | None = None  # the live transcript following the recording

    @property
    def turn_id(self) -> int | None:
        """The turn the recording in progress belongs to (None: the microphone is closed)."""
        return self._turn_id

    @property
    def is_recording(self) -> bool:
        return self._turn_id is not None

    @property
    def audio(self) -> AudioChunks | None:
        """The recording's audio so far, readable while the user speaks (None when not recording)."""
        return self.recorder.chunks if self._turn_id is not None and self.recorder is not None else None

    def press(self, turn_id: int, follow: Callable[[AudioChunks], LivePart | None] | None = None) -> None:
        """Open the microphone for `turn_id`, and `follow` its audio while the user speaks (a live
        transcript); raises UserFacingError when the microphone cannot open."""
        if self.recorder is None:
            raise UserFacingError("No microphone is available", kind=ErrorKind.AUDIO)
        self.recorder.start()
        self._turn_id = turn_id
        chunks = self.recorder.chunks
        if follow is not None and chunks is not None:
            try:
                self._live = follow(chunks)
            except UserFacingError as exc:  # (the speech model shut down meanwhile: the release says so)
                log.info("no live transcript: %s", exc)

    def release(self) -> tuple[int, AudioClip | UserFacingError, LivePart | None] | None:
        """Close the microphone: (turn id, what was said — or why the device failed meanwhile, the live
        transcript to finish with the clip), or None when nothing was recording. The live transcript
        shows nothing more from here: the final one comes next."""
        turn_id, self._turn_id = self._turn_id, None
        live, self._live = self._live, None
        if turn_id is None or self.recorder is None:
            return None
        if live is not None:
            live.stop_updates()
        try:
            return turn_id, self.recorder.stop(), live
        except UserFacingError as exc:
            if live is not None:
                live.cancel()
            return turn_id, exc, None

    def cancel(self) -> int | None:
        """Close the microphone and drop the recording: the turn id it had, or None."""
        turn_id, self._turn_id = self._turn_id, None
        live, self._live = self._live, None
        if live is not None:
            live.cancel()
        if turn_id is not None and self.recorder is not None:
            self.recorder.cancel()
        return turn_id

    def use_recorder(self, make: Callable[[], RecorderPart]) -> tuple[bool, RecorderPart | None]:
        """Put `make()` in place of the microphone unless a recording is in progress: (done, old one)."""
        if self._turn_id is not None:
            return False, None
        old, self.recorder = self.recorder, make()
        return True, old
