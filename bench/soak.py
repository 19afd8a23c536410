"""Soak: many text and voice turns in one process; memory, threads, open files and temp files stay flat.

The engine is built as the app builds it (`App` + `engine.Engine`: SQLite history, groq SDK,
the real Recorder, Player, embedded tiny.en and gTTS code) against the loopback Groq and gTTS
stand-ins, which run in a child process so that only the app is measured. Voice turns hold
push-to-talk while `paplay` plays a fixture clip into the PulseAudio null sink, whose monitor is the
microphone (scripts/test-env.sh); the reply is spoken to the null sink. Typed turns run with speech
muted (the Mute toggle) except every 10th, which is spoken; every 25th is barged in on by the next
once its reply streams. Every `--every` turns it prints RSS (after a collection), threads, open fds,
files in the process's own TMPDIR and Turn objects still alive.
Goal: RSS growth ≤ 20 MB after the warm-up turns, threads and fds flat, at most 2 Turn objects
alive, no temp file left.

    scripts/test-env.sh .venv/bin/python bench/soak.py [--text-turns 500] [--voice-turns 50] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIPS = ("weather.wav", "lights.wav", "fox.wav")  # tests/fixtures: spoken requests, 2–4 s
SPOKEN_REPLY = "Sure, it is sunny today."
SLOW_REPLY = " ".join(f"This is sentence {n} of a long answer." for n in range(1, 12))
SPEAK_EVERY = 10  # every 10th typed turn is spoken
BARGE_IN_EVERY = 25  # every 25th typed turn is cut off by the next one
RSS_GOAL_MB = 20.0
TURNS_KEPT = 2  # the assistant's latest turn, and the one its latest speech run belongs to


# -- the stand-ins, in a child process ------------------------------------------------------------
def serve() -> int:
    """`--serve`: run the loopback Groq and gTTS endpoints; print their URLs as one JSON line, then
    take one command per stdin line (`text`, `spoken`, `slow`: the next reply) and answer `ok`."""
    from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour, GroqServer
    from tests.support.tts_server import TTSServer

    replies = {"text": GroqBehaviour(reply=DEFAULT_REPLY),
               "spoken": GroqBehaviour(reply=SPOKEN_REPLY),
               "slow": GroqBehaviour(reply=SLOW_REPLY, tokens_per_s=40)}
    with GroqServer() as groq, TTSServer() as tts:
        print(json.dumps({"groq": groq.base_url, "tts": tts.url}), flush=True)
        for line in sys.stdin:
            groq.received.clear()  # the stand-ins' request logs are not what is measured
            with tts.lock:
                tts.requests.clear()
            groq.queue.append(replies[line.strip()])
            print("ok", flush=True)
    return 0


class StandIns:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        urls = json.loads(self._out.readline() or "{}")
        if not urls:
            raise SystemExit("soak bench: the loopback servers did not start")
        self.groq_url, self.tts_url = urls["groq"], urls["tts"]

    def next_reply(self, kind: str) -> None:
        self._in.write(kind + "\n")
        self._in.flush()
        if self._out.readline().strip() != "ok":
            raise SystemExit("soak bench: the loopback servers stopped")

    def close(self) -> None:
        self._in.close()
        self.proc.wait(timeout=10)
        self._out.close()


# -- what is measured -----------------------------------------------------------------------------
@dataclass
class Sample:
    turns: int
    rss_mb: float
    threads: int
    fds: int
    temp_files: int
    turns_alive: int


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Watch:
    """Listens to the engine: results by turn id, and which turns have begun to stream."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._streaming: set[int] = set()
        self.failures: dict[str, int] = {}

    def __call__(self, event: Any) -> None:
        from desktop_assistant.assistant.events import ReplyDelta

        if isinstance(event, ReplyDelta):
            with self._cond:
                self._streaming.add(event.turn_id)
                self._cond.notify_all()

    def streaming(self, turn_id: int, timeout: float = 30.0) -> bool:
        with self._cond:
            ok = self._cond.wait_for(lambda: turn_id in self._streaming, timeout)
            self._streaming.discard(turn_id)
            return ok


class Soak:
    def __init__(self, home: Path, tmp: Path, stand_ins: StandIns) -> None:
        from desktop_assistant.app import App
        from desktop_assistant.engine import Engine

        self.tmp = tmp
        self.stand_ins = stand_ins
        self.watch = Watch()
        self.refs: list[weakref.ref[Any]] = []
        self.counts = {"text": 0, "spoken": 0, "barged_in": 0, "voice": 0, "complete": 0, "interrupted": 0,
                       "failed": 0}
        self.app = App.create(console_log=False)
        self.assistant = Engine(self.app, on_event=self.watch, gtts_endpoint=stand_ins.tts_url).build()
        stt = self.assistant.transcriber
        if not stt.wait_ready(180):
            raise SystemExit(f"soak bench: the speech model did not load: {stt.status.message}")
        self.assistant.warm_up().join(30)
        self._clip = 0

    def close(self) -> None:
        self.assistant = None  # type: ignore[assignment]
        self.app.close()

    # -- turns ------------------------------------------------------------------------------------
    def _result(self, turn: Any, timeout: float = 120.0) -> None:
        from desktop_assistant.assistant.events import TurnFinished

        self.refs.append(weakref.ref(turn))
        result = turn.wait(timeout)
        if isinstance(result, TurnFinished):
            self.counts[result.status] = self.counts.get(result.status, 0) + 1
        else:
            self.counts["failed"] += 1
            kind = getattr(getattr(result, "error", None), "kind", "timeout")
            self.watch.failures[kind] = self.watch.failures.get(kind, 0) + 1

    def text_turn(self, n: int) -> None:
        spoken = n % SPEAK_EVERY == 0
        self.assistant.set_muted(not spoken)
        if n % BARGE_IN_EVERY == 0:  # a slow reply, cut off by the next message once it streams
            self.stand_ins.next_reply("slow")
            cut = self.assistant.send_text(f"typed question {n}, cut off")
            self.watch.streaming(cut.id)
            self.counts["barged_in"] += 1
            self.stand_ins.next_reply("spoken" if spoken else "text")
            turn = self.assistant.send_text(f"typed question {n}")
            self._result(cut, 30)
        else:
            self.stand_ins.next_reply("spoken" if spoken else "text")
            turn = self.assistant.send_text(f"typed question {n}")
        self.counts["spoken" if spoken else "text"] += 1
        self._result(turn)

    def voice_turn(self) -> None:
        from tests.support.audio import FIXTURES, play_into_sink

        self.assistant.set_muted(False)
        self.stand_ins.next_reply("spoken")
        clip = FIXTURES / CLIPS[self._clip % len(CLIPS)]
        self._clip += 1
        self.assistant.push_to_talk_pressed()
        # as tests/assistant/test_turn_e2e.py: let the capture stream start flowing, play, a short tail
        play_into_sink(clip, delay_s=0.8).communicate(timeout=30)
        time.sleep(0.3)
        turn = self.assistant.push_to_talk_released()
        self.counts["voice"] += 1
        if turn is None:
            self.counts["failed"] += 1
            self.watch.failures["no_turn"] = self.watch.failures.get("no_turn", 0) + 1
            return
        self._result(turn)

    # -- figures ----------------------------------------------------------------------------------
    def sample(self, turns: int) -> Sample:
        gc.collect()
        return Sample(turns, round(rss_mb(), 1), threading.active_count(), len(os.listdir("/proc/self/fd")),
                      len(os.listdir(self.tmp)), sum(1 for r in self.refs if r() is not None))

    def settle(self, turns: int, baseline: Sample, timeout: float = 15.0) -> Sample:
        """The last sample, once the last turn's threads have ended (bounded: a slow machine)."""
        deadline = time.monotonic() + timeout
        while True:
            now = self.sample(turns)
            if (now.threads <= baseline.threads and now.fds <= baseline.fds) or time.monotonic() > deadline:
                return now
            time.sleep(0.1)


def schedule(text_turns: int, voice_turns: int) -> list[str]:
    """The turn kinds in order: voice turns spread evenly among the typed ones."""
    total = text_turns + voice_turns
    voice_at = {round((i + 1) * total / voice_turns) - 1 for i in range(voice_turns)} if voice_turns else set()
    return ["voice" if i in voice_at else "text" for i in range(total)]


def run(args: argparse.Namespace) -> dict[str, Any]:
    kinds = schedule(args.text_turns, args.voice_turns)
    warm_up = min(args.warm_up, len(kinds))
    with tempfile.TemporaryDirectory(prefix="da-soak-") as root:
        home, tmp = Path(root) / "home", Path(root) / "tmp"
        home.mkdir()
        tmp.mkdir()
        stand_ins = StandIns({**os.environ, "PYTHONPATH": str(ROOT)})
        # the app's environment: its own home and TMPDIR (what is left there is the app's), no downloads
        os.environ.update({"DESKTOP_ASSISTANT_HOME": str(home), "TMPDIR": str(tmp), "HF_HUB_OFFLINE": "1",
                           "GROQ_API_KEY": "gsk_soak_bench_key_1234", "GROQ_BASE_URL": stand_ins.groq_url,
                           "STT_MODEL": "tiny.en", "AUDIO_CUES": "0"})
        tempfile.tempdir = str(tmp)
        started = time.monotonic()
        try:
            soak = Soak(home, tmp, stand_ins)
            samples = [soak.sample(0)]
            print_sample(samples[0], args)
            text_n = 0
            for i, kind in enumerate(kinds, start=1):
                if kind == "voice":
                    soak.voice_turn()
                else:
                    text_n += 1
                    soak.text_turn(text_n)
                if i == warm_up or i % args.every == 0 or i == len(kinds):
                    baseline = next((s for s in samples if s.turns == warm_up), None)
                    last = i == len(kinds) and baseline is not None
                    samples.append(soak.settle(i, baseline) if last else soak.sample(i))
                    print_sample(samples[-1], args)
            counts, failures = soak.counts, soak.watch.failures
            soak.close()
            left = sorted(os.listdir(tmp))
        finally:
            stand_ins.close()
    at_warm_up = next(s for s in samples if s.turns == warm_up)
    end = samples[-1]
    growth = round(end.rss_mb - at_warm_up.rss_mb, 1)
    return {
        "text_turns": args.text_turns, "voice_turns": args.voice_turns, "warm_up_turns": warm_up,
        "seconds": round(time.monotonic() - started, 1), "turns": counts, "failures": failures,
        "samples": [asdict(s) for s in samples],
        "rss_warm_up_mb": at_warm_up.rss_mb, "rss_end_mb": end.rss_mb, "rss_growth_mb": growth,
        "threads_warm_up": at_warm_up.threads, "threads_end": end.threads,
        "fds_warm_up": at_warm_up.fds, "fds_end": end.fds,
        "turns_alive_end": end.turns_alive, "temp_files_left": left,
        "goals_met": growth <= RSS_GOAL_MB and end.threads <= at_warm_up.threads and end.fds <= at_warm_up.fds
        and end.turns_alive <= TURNS_KEPT and not left,
    }


def print_sample(s: Sample, args: argparse.Namespace) -> None:
    if not args.json:
        print(f"  {s.turns:5d} turns  RSS {s.rss_mb:7.1f} MB  threads {s.threads:3d}  fds {s.fds:3d}  "
              f"temp files {s.temp_files}  turns alive {s.turns_alive}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-turns", type=int, default=500, help="typed turns (default 500)")
    parser.add_argument("--voice-turns", type=int, default=50, help="push-to-talk turns (default 50)")
    parser.add_argument("--warm-up", type=int, default=50, help="turns before the baseline sample (default 50)")
    parser.add_argument("--every", type=int, default=50, help="print the figures every N turns (default 50)")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
    if args.voice_turns and os.environ.get("DA_TEST_PULSE") != "1":
        print("soak bench: voice turns need the PulseAudio null sink: run it under scripts/test-env.sh "
              "(or pass --voice-turns 0)", file=sys.stderr)
        return 1
    if not args.json:
        print(f"soak: {args.text_turns} typed + {args.voice_turns} voice turns in one process "
              f"(baseline after {args.warm_up})")
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"  RSS {result['rss_warm_up_mb']} MB after warm-up → {result['rss_end_mb']} MB at the end: "
          f"{result['rss_growth_mb']:+.1f} MB (goal ≤ {RSS_GOAL_MB:.0f})")
    print(f"  threads {result['threads_warm_up']} → {result['threads_end']}; open fds {result['fds_warm_up']} → "
          f"{result['fds_end']}; Turn objects alive at the end {result['turns_alive_end']}")
    print(f"  temp files left: {len(result['temp_files_left'])} {' '.join(result['temp_files_left'])}")
    print(f"  turns: {result['turns']}; failures by kind: {result['failures'] or 'none'}; "
          f"{result['seconds']:.0f} s")
    print(f"  goals met: {'yes' if result['goals_met'] else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
