"""A loopback server that answers gTTS's real request with a real MP3.

gTTS POSTs `f.req=<json rpc>` to `https://translate.google.<tld>/_/TranslateWebserverUi/
data/batchexecute` and looks for `jQ1olc","[\"<base64 mp3>\"]` in the reply lines.
This server parses that request, speaks the text with espeak-ng (or a tone), encodes
MP3 with PyAV and answers in Google's framing. `delay_s`, `status` and `garbage`
simulate a slow, failing or changed upstream. Point a `Synthesizer` at `server.url`.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import threading
import time
import urllib.parse
import wave
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import av
import numpy as np

from .loopback import LoopbackServer, OwnedServer

BATCH_PATH = "/_/TranslateWebserverUi/data/batchexecute"
MP3_RATE = 24000


def espeak_pcm(text: str, rate: int = MP3_RATE) -> np.ndarray:
    """int16 mono speech for `text` at `rate` (espeak-ng, resampled linearly)."""
    out = subprocess.run(["espeak-ng", "--stdout", text], capture_output=True, timeout=10, check=True).stdout
    with wave.open(io.BytesIO(out)) as wav:
        src_rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    n_out = int(len(pcm) * rate / src_rate)
    x = np.interp(np.arange(n_out) * src_rate / rate, np.arange(len(pcm)), pcm.astype(np.float32))
    return x.astype(np.int16)


def tone_pcm(seconds: float = 0.5, rate: int = MP3_RATE, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq * t) * 12000).astype(np.int16)


def encode_mp3(pcm: np.ndarray, rate: int = MP3_RATE) -> bytes:
    """Encode int16 mono PCM as MP3 with PyAV's libmp3lame."""
    buf = io.BytesIO()
    # like Google's answers: bare MPEG frames (no ID3 tag, no Xing header), so parts concatenate
    with av.open(buf, "w", format="mp3", options={"id3v2_version": "0", "write_xing": "0"}) as out:
        stream = out.add_stream("libmp3lame", rate=rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def parse_freq(body: bytes) -> tuple[str, str, Any]:
    """(text, lang, speed) from gTTS's `f.req` form body."""
    form = urllib.parse.parse_qs(body.decode())
    rpc = json.loads(form["f.req"][0])
    text, lang, speed, _ = json.loads(rpc[0][0][1])
    return text, lang, speed


def google_reply(mp3: bytes) -> bytes:
    b64 = base64.b64encode(mp3).decode()
    line = '[["wrb.fr","jQ1olc","[\\"' + b64 + '\\"]",null,null,null,"generic"]]'
    return (")]}'\n\n" + f"{len(line)}\n" + line + "\n").encode()


@dataclass
class TTSRequest:
    text: str
    lang: str
    speed: Any
    started: float
    finished: float | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OwnedServer

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass

    def do_POST(self) -> None:  # stdlib naming
        owner = self.server.owner
        started = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            text, lang, speed = parse_freq(body)
        except (KeyError, ValueError, IndexError):
            self._send(400, b"bad request")
            return
        request = TTSRequest(text, lang, speed, started)
        with owner.lock:
            owner.requests.append(request)
            owner.active += 1
            owner.max_active = max(owner.max_active, owner.active)
        try:
            if self.path != BATCH_PATH:
                self._send(404, b"not found")
                return
            audio = None if owner.status != 200 or owner.garbage else owner.mp3_for(text)
            remaining = owner.delay_s - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
            if owner.status != 200:
                self._send(owner.status, b"error")
            elif owner.garbage or audio is None:
                self._send(200, b")]}'\n\n12\n[[\"wrb.fr\",\"jQ1olc\",null]]\n")
            else:
                self._send(200, google_reply(audio))
        finally:
            request.finished = time.monotonic()
            with owner.lock:
                owner.active -= 1

    def _send(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True



@dataclass
class TTSServer(LoopbackServer):
    """`with TTSServer(delay_s=0.4) as server:`; `server.url` is the batchexecute endpoint."""

    delay_s: float = 0.0
    status: int = 200
    garbage: bool = False
    voice: str = "espeak"  # or "tone"
    requests: list[TTSRequest] = field(default_factory=list)
    active: int = 0
    max_active: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self._serve(_Handler, "tts-loopback")

    @property
    def url(self) -> str:
        return f"{self.address}{BATCH_PATH}"

    def mp3_for(self, text: str) -> bytes:
        with self.lock:
            cached = self._cache.get(text)
        if cached is None:
            pcm = espeak_pcm(text) if self.voice == "espeak" else tone_pcm()
            cached = encode_mp3(pcm)
            with self.lock:
                self._cache[text] = cached
        return cached

