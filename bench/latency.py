"""Voice-to-voice latency: push-to-talk release → first audio sample played.

The streaming pipeline (the app's `Assistant`) against the plain sequential flow that
waits for each stage (whole transcript → whole reply → whole-text TTS → decode → play),
on the same workload: the embedded tiny.en on a fixed 4 s utterance, a loopback Groq
(TTFT 200 ms, 750 tokens/s, about three sentences) and a loopback gTTS endpoint that
takes 400 ms per request. Audio goes to the default output (the PulseAudio null sink
under scripts/test-env.sh). Also measures barge-in: Stop → output silent.

    scripts/test-env.sh .venv/bin/python bench/latency.py [--turns 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_assistant.agents import FALLBACK_AGENT, AgentSet  # noqa: E402
from desktop_assistant.assistant.conductor import Assistant  # noqa: E402
from desktop_assistant.assistant.events import SpeakingStarted, TurnFailed, TurnFinished  # noqa: E402
from desktop_assistant.assistant.sentences import SentenceSplitter  # noqa: E402
from desktop_assistant.audio.clip import AudioClip  # noqa: E402
from desktop_assistant.audio.decode import resample  # noqa: E402
from desktop_assistant.audio.events import ChunkStarted  # noqa: E402
from desktop_assistant.audio.player import Player  # noqa: E402
from desktop_assistant.config import Settings  # noqa: E402
from desktop_assistant.errors import UserFacingError  # noqa: E402
from desktop_assistant.history.store import HistoryStore  # noqa: E402
from desktop_assistant.llm.client import ChatClient, ChatMessage, ChatOptions  # noqa: E402
from desktop_assistant.paths import Paths  # noqa: E402
from desktop_assistant.speech.models import ResolvedModel, embedded_model_dir  # noqa: E402
from desktop_assistant.speech.stt import Transcriber  # noqa: E402
from desktop_assistant.speech.tts import Synthesizer, Voice  # noqa: E402
from tests.support.groq_server import GroqBehaviour, GroqServer, tokens_of  # noqa: E402
from tests.support.tts_server import TTSServer  # noqa: E402

UTTERANCE = "What is the capital of France, and what is it famous for?"
UTTERANCE_S = 4.0
REPLY = ("Paris is the capital of France. It is famous for the Eiffel Tower, the Louvre and its cafés. "
         "Millions of visitors come every year to enjoy its art and food.")
TTFT_S = 0.2
TOKENS_PER_S = 750.0
TTS_DELAY_S = 0.4
AUDIBLE = 1.5 / 32768  # any non-zero 16-bit sample: between turns the sink is digitally silent


def utterance_clip() -> AudioClip:
    """The fixed 4 s utterance (espeak-ng, 16 kHz mono, padded with silence)."""
    import io
    import wave

    wav = subprocess.run(["espeak-ng", "--stdout", UTTERANCE], capture_output=True, timeout=20, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    pcm = resample(pcm, rate, 16000)[: int(UTTERANCE_S * 16000)]
    out = np.zeros(int(UTTERANCE_S * 16000), dtype=np.float32)
    out[: len(pcm)] = pcm
    return AudioClip(out)


class SinkTap:
    """Captures the null sink's monitor (parec, 16 kHz mono) to see when output really goes silent."""

    RATE = 16000

    def __init__(self) -> None:
        self._data = bytearray()
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> SinkTap | None:
        if os.environ.get("DA_TEST_PULSE") != "1" or shutil.which("parec") is None:
            return None
        self._proc = subprocess.Popen(["parec", "-d", "vsink.monitor", f"--rate={self.RATE}", "--channels=1",
                                       "--format=s16le", "--latency-msec=5"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        time.sleep(0.3)
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while chunk := self._proc.stdout.read1(4096):
            self._data.extend(chunk)

    def samples(self) -> np.ndarray:
        data = bytes(self._data[: len(self._data) // 2 * 2])
        return np.abs(np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=5)
            if self._proc.stdout is not None:
                self._proc.stdout.close()


class FirstFragmentSynth:
    """Wraps the Synthesizer to keep each turn's first fragment (to find where its sound begins)."""

    def __init__(self, synth: Synthesizer) -> None:
        self.synth = synth
        self.engine = synth.engine
        self.first: Any = None

    def synthesize(self, text: str, index: int = 0) -> Any:
        audio = self.synth.synthesize(text, index)
        if index == 0:
            self.first = audio
        return audio


def lead_in_s(audio: Any) -> float:
    """Seconds from a clip's first sample to its first audible one."""
    loud = np.flatnonzero(np.abs(audio.pcm) > 2 * AUDIBLE)
    return float(loud[0]) / audio.sample_rate if loud.size else 0.0


def silent_after_stop_ms(tap: SinkTap, since: int, sound_at: float, stop_at: float) -> float | None:
    """Stop → last audible sample at the sink, in ms.

    The capture's clock is aligned on the turn's first audible sample (handed to the device at
    `sound_at`; found in the capture after `since`), so sink and capture latencies cancel out.
    """
    x = tap.samples()
    loud = np.flatnonzero(x[since:] > AUDIBLE)
    if loud.size == 0:
        return None
    onset = since + int(loud[0])
    offset = sound_at - onset / tap.RATE  # monotonic time of capture sample 0
    stop_idx = int((stop_at - offset) * tap.RATE)
    tail = np.flatnonzero(x[onset: stop_idx + int(0.5 * tap.RATE)] > AUDIBLE)
    last_loud = onset + int(tail[-1]) if tail.size else onset
    return max(0.0, (offset + (last_loud + 1) / tap.RATE - stop_at) * 1000)


def first_fragment_tokens_s() -> float:
    splitter = SentenceSplitter()
    text = ""
    for token in tokens_of(REPLY):
        text += token
        if splitter.feed(token):
            break
    return len(tokens_of(text)) / TOKENS_PER_S


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(np.floor(k)), int(np.ceil(k))
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Bench:
    def __init__(self, home: Path, turns: int) -> None:
        self.turns = turns
        self.paths = Paths(home / "data", home / "config", home / "logs", home / "cache").ensure()
        self.groq = GroqServer(GroqBehaviour(reply=REPLY, ttft_s=TTFT_S, tokens_per_s=TOKENS_PER_S)).start()
        self.tts = TTSServer(delay_s=TTS_DELAY_S).start()
        self.settings = Settings(groq_api_key="gsk_bench_key_1234", groq_base_url=self.groq.base_url,
                                 stt_model="tiny.en")
        model = ResolvedModel("tiny.en", embedded_model_dir(), "embedded")
        self.stt = Transcriber(self.settings, self.paths, model=model, allow_download=False).start()
        if not self.stt.wait_ready(120):
            raise SystemExit(f"the speech model did not load: {self.stt.status.message}")
        self.store = HistoryStore.open(self.paths.database_file)
        self.chat = ChatClient.from_settings(self.settings)
        self.player = Player(sample_rate=24000)
        self.player.open()
        self.device_buffer_ms = 1000 * self.player.latency  # first audio is heard this much later
        self.synth = Synthesizer("gtts", Voice(), gtts_endpoint=self.tts.url)
        self.clip = utterance_clip()

    def close(self) -> None:
        self.player.close()
        self.chat.close()
        self.store.close()
        self.stt.close()
        self.groq.stop()
        self.tts.stop()

    # -- the app's streaming pipeline -------------------------------------------------------------
    def pipeline(self) -> dict[str, list[float]]:
        spoken = threading.Event()
        synth = FirstFragmentSynth(self.synth)
        assistant = Assistant(self.settings, AgentSet({"assistant": FALLBACK_AGENT}, []), self.store, self.chat,
                              transcriber=self.stt, player=self.player, synthesizer_for=lambda agent: synth,
                              listener=lambda e: spoken.set() if isinstance(e, SpeakingStarted) else None)
        self.player.on_event = assistant.on_player_event
        out: dict[str, list[float]] = {
            key: [] for key in ("first_audio", "stt", "ttft", "stop_call", "silent", "bound")}
        tap = SinkTap().start()
        try:
            for n in range(self.turns + 1):  # the first turn warms up caches and is not counted
                spoken.clear()
                time.sleep(0.2)  # a gap of silence between turns at the sink
                since = len(tap.samples()) if tap else 0
                released = time.monotonic()
                turn = assistant.send_clip(self.clip, released_at=released)
                if not spoken.wait(30):
                    raise SystemExit(f"pipeline turn {n}: no audio ({turn.wait(1)})")
                time.sleep(0.3)  # let it speak a little, then barge in
                stop_at = time.monotonic()
                assistant.stop()
                stop_call_ms = (time.monotonic() - stop_at) * 1000
                # upper bound: the call and one more callback block (stop() drops the device's buffer)
                bound_ms = stop_call_ms + 1000 * getattr(self.player, "_block_s", 0.02)
                if self.player.is_playing:
                    raise SystemExit("the player still plays after stop()")
                result = turn.wait(10)
                if not isinstance(result, (TurnFinished, TurnFailed)) or result.timings.first_audio_ms is None:
                    raise SystemExit(f"pipeline turn {n} did not finish: {result}")
                t = result.timings
                time.sleep(0.6)
                sound_at = released + t.first_audio_ms / 1000 + lead_in_s(synth.first)
                silent = silent_after_stop_ms(tap, since, sound_at, stop_at) if tap else None
                if n == 0:
                    continue
                out["first_audio"].append(t.first_audio_ms)
                out["stt"].append(t.stt_ms)
                out["ttft"].append(t.llm_first_token_ms)
                out["stop_call"].append(stop_call_ms)
                out["bound"].append(bound_ms)
                if silent is not None:
                    out["silent"].append(silent)
        finally:
            assistant.close()
            self.player.on_event = None
            if tap:
                tap.stop()
        return out

    # -- the plain sequential flow ----------------------------------------------------------------
    def sequential(self) -> list[float]:
        started = threading.Event()
        first_at: list[float] = []

        def on_event(event: Any) -> None:
            if isinstance(event, ChunkStarted) and not started.is_set():
                first_at.append(event.at)
                started.set()

        self.player.on_event = on_event
        options = ChatOptions(model=self.settings.llm_model, temperature=0.7, max_tokens=512)
        results: list[float] = []
        try:
            for n in range(self.turns + 1):
                started.clear()
                first_at.clear()
                t0 = time.monotonic()
                transcript = self.stt.transcribe(self.clip, language="en")
                messages = [ChatMessage("system", FALLBACK_AGENT.system_prompt), ChatMessage("user", transcript.text)]
                reply = "".join(self.chat.stream(messages, options))
                audio = self.synth.synthesize(reply)
                if audio is None:
                    raise SystemExit("sequential flow: no speech")
                self.player.enqueue(audio.pcm)
                if not started.wait(10):
                    raise SystemExit("sequential flow: no audio")
                self.player.stop()
                if n:
                    results.append((first_at[0] - t0) * 1000)
        finally:
            self.player.on_event = None
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10, help="measured turns per flow (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="da-bench-") as home:
        try:
            bench = Bench(Path(home), args.turns)
        except UserFacingError as exc:
            print(f"latency bench: {exc} (run it under scripts/test-env.sh)", file=sys.stderr)
            return 1
        device_buffer_ms = bench.device_buffer_ms
        try:
            pipe = bench.pipeline()
            seq = bench.sequential()
        finally:
            bench.close()
    fragment_s = first_fragment_tokens_s()
    overheads = [fa - (stt + TTFT_S * 1000 + fragment_s * 1000 + TTS_DELAY_S * 1000)
                 for fa, stt in zip(pipe["first_audio"], pipe["stt"], strict=True)]
    p50, seq_p50 = statistics.median(pipe["first_audio"]), statistics.median(seq)
    result = {
        "turns": args.turns,
        "first_audio_p50_ms": round(p50, 1),
        "first_audio_p90_ms": round(pct(pipe["first_audio"], 0.9), 1),
        "sequential_first_audio_p50_ms": round(seq_p50, 1),
        "sequential_first_audio_p90_ms": round(pct(seq, 0.9), 1),
        "ratio": round(p50 / seq_p50, 3),
        "device_buffer_ms": round(device_buffer_ms, 1),
        "overhead_p50_ms": round(statistics.median(overheads), 1),
        "stt_p50_ms": round(statistics.median(pipe["stt"]), 1),
        "llm_first_token_p50_ms": round(statistics.median(pipe["ttft"]), 1),
        "first_fragment_tokens_ms": round(fragment_s * 1000, 1),
        "tts_request_ms": TTS_DELAY_S * 1000,
        # Stop → output silent at the sink (null-sink monitor); without it, Stop → player silenced
        "barge_in_stop_ms": round(statistics.median(pipe["silent"] or pipe["stop_call"]), 1),
        "barge_in_stop_max_ms": round(max(pipe["silent"] or pipe["stop_call"]), 1),
        "barge_in_measured_at": "sink" if pipe["silent"] else "player",
        "barge_in_stop_call_ms": round(statistics.median(pipe["stop_call"]), 2),
        "barge_in_bound_ms": round(statistics.median(pipe["bound"]), 1),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"voice-to-voice latency over {args.turns} turns (4 s utterance, tiny.en, TTFT 200 ms, "
          f"750 tok/s, TTS 400 ms/request)")
    print(f"  pipeline    first audio  p50 {result['first_audio_p50_ms']:7.1f} ms   "
          f"p90 {result['first_audio_p90_ms']:7.1f} ms   (goal p50 ≤ 1000)")
    print(f"              (handed to the device; heard {result['device_buffer_ms']:.0f} ms later, its buffer)")
    print(f"  sequential  first audio  p50 {result['sequential_first_audio_p50_ms']:7.1f} ms   "
          f"p90 {result['sequential_first_audio_p90_ms']:7.1f} ms")
    print(f"  ratio pipeline/sequential      {result['ratio']:.3f}   (goal ≤ 0.5)")
    print(f"  STT p50 {result['stt_p50_ms']:.1f} ms; LLM first token p50 {result['llm_first_token_p50_ms']:.1f} ms; "
          f"first fragment tokens {result['first_fragment_tokens_ms']:.1f} ms; TTS request 400 ms")
    print(f"  app overhead p50               {result['overhead_p50_ms']:.1f} ms   (goal ≤ 50)")
    print(f"  barge-in Stop → silent ({result['barge_in_measured_at']})  p50 {result['barge_in_stop_ms']:.1f} ms, "
          f"max {result['barge_in_stop_max_ms']:.1f} ms   (goal ≤ 50; ±10 ms resolution)")
    print(f"      stop() call {result['barge_in_stop_call_ms']:.2f} ms (it drops the device buffer); "
          f"bound (call + one block) {result['barge_in_bound_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
