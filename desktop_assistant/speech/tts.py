"""Text to speech: gTTS (online) with an offline espeak-ng fallback.

`Synthesizer.synthesize(text)` returns a `SpeechAudio` (float32 mono PCM at the
player's rate) or None when no engine can speak (the reply is still shown).
gTTS always gets a timeout (its default is none). Its MP3 is decoded in-process
with PyAV; pydub trims silence, changes speed and evens out loudness in memory.
When gTTS fails (offline, 429, timeout, changed API) the offline voice speaks
instead, the user is told once through `on_notice(kind, message)`, and gTTS is
tried again only after `retry_gtts_after_s`. Thread-safe: a small pool may call
`synthesize` concurrently.
"""

from __future__ import annotations

import io
import logging
import subprocess
import threading
import time
import warnings
import wave
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop_assistant.errors import NoticeKind

with warnings.catch_warnings():  # pydub warns about ffmpeg/audioop at import; we decode with PyAV
    warnings.simplefilter("ignore")
    from pydub import AudioSegment
    from pydub.effects import speedup
    from pydub.silence import detect_leading_silence

if TYPE_CHECKING:
    from requests import PreparedRequest

log = logging.getLogger(__name__)

PLAYER_RATE = 24000
OFFLINE_NOTICE = "Google's voice cannot be reached — replies are spoken with the offline voice"
NO_VOICE_NOTICE = "Speech is unavailable — the reply is shown as text"
_ESPEAK_WPM = 175


@dataclass(frozen=True)
class Voice:
    lang: str = "en"
    tld: str = "com"
    speed: float = 1.0

    @classmethod
    def for_agent(cls, agent: Any, settings: Any = None) -> Voice:
        speed = float(agent.tts.speed) * float(getattr(settings, "tts_speed", 1.0) or 1.0)
        return cls(agent.tts.lang, agent.tts.tld, min(2.0, max(0.5, speed)))


@dataclass(frozen=True)
class SpeechAudio:
    pcm: np.ndarray  # float32 mono, -1..1
    sample_rate: int
    text: str
    engine: str  # "gtts" | "espeak"
    index: int = 0

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.sample_rate if self.sample_rate else 0.0


class SpeechError(Exception):
    """One engine could not speak one text (internal; the Synthesizer falls back)."""


def engine_for(settings: Any, agent: Any = None) -> str:
    """The engine to use: TTS_ENGINE unless it is the default and the agent chose another."""
    engine: str = getattr(settings, "tts_engine", "gtts")
    agent_engine: str | None = getattr(getattr(agent, "tts", None), "engine", None)
    if engine == "gtts" and agent_engine in ("espeak", "none"):
        return agent_engine
    return engine


class Synthesizer:
    def __init__(self, engine: str = "gtts", voice: Voice | None = None, *, sample_rate: int = PLAYER_RATE,
                 timeout: float = 4.0, gtts_endpoint: str | None = None,
                 on_notice: Callable[[NoticeKind, str], None] | None = None,
                 decode: Callable[[bytes, int], np.ndarray] | None = None,
                 espeak_binary: str = "espeak-ng", retry_gtts_after_s: float = 60.0) -> None:
        if engine not in ("gtts", "espeak", "none"):
            raise ValueError(f"unknown TTS engine {engine!r}")
        self.engine = engine
        self.voice = voice or Voice()
        self.sample_rate = sample_rate
        self.timeout = timeout
        self.gtts_endpoint = gtts_endpoint  # tests/benchmarks only; production uses gTTS's own URL
        self._on_notice = on_notice
        self._decode = decode
        self._espeak = espeak_binary
        self._retry_after = retry_gtts_after_s
        self._gtts_down_until = 0.0
        self._gtts_cls: type | None = None
        self._noticed: set[str] = set()
        self._lock = threading.Lock()

    # -- public -----------------------------------------------------------------------------------
    def synthesize(self, text: str, index: int = 0) -> SpeechAudio | None:
        """Speech for `text`, or None when it has nothing speakable or no engine can speak."""
        text = " ".join(text.split())
        if self.engine == "none" or not any(ch.isalnum() for ch in text):
            return None
        if self.engine == "gtts" and time.monotonic() >= self._gtts_down_until:
            try:
                return self._finish(self._gtts(text), text, "gtts", index)
            except SpeechError as exc:
                log.info("gTTS failed (%s); using the offline voice", exc)
                with self._lock:
                    self._gtts_down_until = time.monotonic() + self._retry_after
                self._notice(NoticeKind.OFFLINE_VOICE, OFFLINE_NOTICE)
        elif self.engine == "gtts":
            self._notice(NoticeKind.OFFLINE_VOICE, OFFLINE_NOTICE)
        try:
            return self._finish(self._espeak_pcm(text), text, "espeak", index)
        except SpeechError as exc:
            log.warning("offline voice failed: %s", exc)
            self._notice(NoticeKind.NO_VOICE, NO_VOICE_NOTICE)
            return None

    def prepare(self) -> None:
        """Import the engine's modules now, so the first fragment does not wait for them."""
        if self.engine == "gtts":
            import gtts  # noqa: F401

            self._decoder()
        if self.engine != "none":
            from desktop_assistant.audio import decode  # noqa: F401

        # -- engines ----------------------------------------------------------------------------------
    def _gtts(self, text: str) -> np.ndarray:
        from gtts import gTTS, gTTSError

        if self._gtts_cls is None:
            self._gtts_cls = _routed_gtts(self.gtts_endpoint) if self.gtts_endpoint else gTTS
        cls = self._gtts_cls
        buf = io.BytesIO()
        try:
            tts = cls(text, tld=self.voice.tld, lang=self.voice.lang, slow=self.voice.speed < 0.75,
                      lang_check=False, timeout=(min(3.0, self.timeout), self.timeout))
            tts.write_to_fp(buf)
        except (gTTSError, AssertionError, ValueError, OSError) as exc:
            raise SpeechError(str(exc) or type(exc).__name__) from None
        if not buf.getvalue():
            raise SpeechError("gTTS returned no audio")
        try:
            return self._decoder()(buf.getvalue(), self.sample_rate)
        except Exception as exc:  # noqa: BLE001 - a bad MP3 is one more reason to fall back
            raise SpeechError(f"cannot decode gTTS audio: {exc}") from None

    def _decoder(self) -> Callable[[bytes, int], np.ndarray]:
        if self._decode is None:
            from desktop_assistant.audio.decode import decode_bytes

            self._decode = decode_bytes
        return self._decode

    def _espeak_pcm(self, text: str) -> np.ndarray:
        wpm = str(int(_ESPEAK_WPM * self.voice.speed))
        last = "no output"
        for args in (["-v", self.voice.lang], []):
            try:
                done = subprocess.run([self._espeak, "--stdout", "-s", wpm, *args], input=text.encode(),
                                      capture_output=True, timeout=max(5.0, self.timeout * 2), check=False)
            except FileNotFoundError:
                raise SpeechError(f"{self._espeak} is not installed") from None
            except subprocess.TimeoutExpired:
                raise SpeechError("espeak-ng timed out") from None
            if done.returncode == 0 and len(done.stdout) > 44:
                return self._parse_wav(done.stdout)
            last = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
        raise SpeechError(f"espeak-ng failed: {last}")

    def _parse_wav(self, data: bytes) -> np.ndarray:
        try:
            with wave.open(io.BytesIO(data)) as wav:  # espeak's stdout header has a bogus length
                rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
                frames = wav.readframes(wav.getnframes())
        except (wave.Error, EOFError) as exc:
            raise SpeechError(f"bad WAV from espeak-ng: {exc}") from None
        if width != 2:
            raise SpeechError(f"unexpected espeak-ng sample width {width}")
        pcm = np.frombuffer(frames[: len(frames) // (2 * channels) * 2 * channels], dtype=np.int16)
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768.0
        from desktop_assistant.audio.decode import resample

        return resample(pcm, rate, self.sample_rate)

    # -- processing -------------------------------------------------------------------------------
    def _finish(self, pcm: np.ndarray, text: str, engine: str, index: int) -> SpeechAudio | None:
        speed = self.voice.speed if engine == "gtts" else 1.0  # espeak already speaks at the speed
        out = process(pcm, self.sample_rate, speed=speed)
        if out.size == 0:
            return None
        return SpeechAudio(out, self.sample_rate, text, engine, index)

    def _notice(self, kind: NoticeKind, message: str) -> None:
        with self._lock:
            if kind in self._noticed:
                return
            self._noticed.add(kind)
        if self._on_notice is not None:
            self._on_notice(kind, message)


def process(pcm: np.ndarray, rate: int, *, speed: float = 1.0, target_dbfs: float = -18.0,
            silence_dbfs: float = -45.0, keep_ms: int = 30) -> np.ndarray:
    """Trim leading/trailing silence, change speed (> 1 only) and even out loudness (pydub)."""
    samples = np.clip(np.asarray(pcm, dtype=np.float32), -1.0, 1.0)
    if samples.size == 0:
        return samples
    seg = AudioSegment((samples * 32767).astype(np.int16).tobytes(), sample_width=2, frame_rate=rate, channels=1)
    lead = detect_leading_silence(seg, silence_threshold=silence_dbfs, chunk_size=5)
    tail = detect_leading_silence(seg.reverse(), silence_threshold=silence_dbfs, chunk_size=5)
    if lead >= len(seg):
        return np.zeros(0, dtype=np.float32)
    seg = seg[max(0, lead - keep_ms): len(seg) - max(0, tail - keep_ms)]
    if speed > 1.05 and len(seg) > 200:
        seg = speedup(seg, playback_speed=speed, chunk_size=60, crossfade=20)
    if seg.dBFS != float("-inf"):
        gain = min(target_dbfs - seg.dBFS, -1.0 - seg.max_dBFS)
        seg = seg.apply_gain(gain)
    out = np.frombuffer(seg.raw_data, dtype=np.int16).astype(np.float32) / 32768.0
    return out


def _routed_gtts(endpoint: str) -> type:
    """A gTTS subclass whose requests go to `endpoint` instead of translate.google.<tld>."""
    from gtts import gTTS

    class RoutedGTTS(gTTS):  # type: ignore[misc]  # gTTS ships no types: its class is Any to mypy
        def _prepare_requests(self) -> list[PreparedRequest]:
            prepared: list[PreparedRequest] = super()._prepare_requests()
            for request in prepared:
                request.prepare_url(endpoint, None)
            return prepared

    return RoutedGTTS
