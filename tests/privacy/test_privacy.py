"""What leaves the machine: a voice turn and a typed turn of `talk --speak`, end to end against the
loopback Groq and gTTS stand-ins, with every connection of the app's process tree recorded by strace.

Only the two stand-ins may be contacted (no DNS query, no telemetry upload), and over AF_UNIX only
the sound server. onnxruntime (faster-whisper's Silero VAD runs on it) ships Microsoft's 1DS
telemetry SDK, on by default: it writes a `.ses` file to TMPDIR, a device id and an event queue to
~/.cache/Microsoft/DeveloperTools/.onnxruntime, and looks up mobile.events.data.microsoft.com.
The app turns it off before onnxruntime loads (speech/onnx_telemetry.py); here nothing of it may
be left in a fresh TMPDIR or HOME.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.commands.test_commands import db_rows, groq_env
from tests.privacy.connections import Connection, ended, parse_line, read_trace, traced, unexpected
from tests.support.audio import FIXTURES, play_into_sink
from tests.support.groq_server import GroqBehaviour, GroqServer
from tests.support.tts_server import TTSServer

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("talk_routed.py")
REPLY = "It is sunny in London. Take sunglasses."

pytestmark = pytest.mark.timeout(150)


class Talk:
    """A `talk` process read line by line."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.stderr = ""
        self._reader = threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout],
                                        daemon=True)
        self._reader.start()

    def wait_for(self, fragment: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if fragment in line:
                return line
        self.proc.kill()
        raise AssertionError(f"no line with {fragment!r}; stdout: {self.seen!r}; stderr: {self.proc.stderr.read()!r}")

    def send(self, text: str) -> None:
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def finish(self, timeout: float = 30) -> int:
        try:
            self.proc.stdin.close()
            code = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
            self._reader.join(5)
            self.stderr = self.proc.stderr.read()
            self.proc.stdout.close()
            self.proc.stderr.close()
        return code


def sound_sockets() -> list[str]:
    """The AF_UNIX sockets the app may use, all of them the local sound system's: the PulseAudio
    server (scripts/test-env.sh sets PULSE_SERVER=unix:…; the app's device probe child opens it too)
    and JACK's server sockets in /dev/shm, which PortAudio's JACK host API looks for while it lists
    devices. No D-Bus and no X server: `talk` is a terminal command (the window's are in
    tests/desktop). Anything else is unexpected, nscd's socket too: glibc tries it for every host name
    (or user) lookup whether nscd runs or not, so its absence means no such lookup on any machine."""
    server = os.environ.get("PULSE_SERVER", "")
    assert server.startswith("unix:"), f"scripts/test-env.sh sets PULSE_SERVER=unix:…, here {server!r}"
    return [re.escape(server.removeprefix("unix:")), r"/dev/shm/jack_[\w-]+"]


#: onnxruntime's telemetry first tried to upload (a DNS lookup) 9 s after the VAD's first run (measured
#: 9.0 s, then retries at ~5 and ~8 s intervals); the app stays open this long after its first VAD run
TELEMETRY_WINDOW_S = 12.0


@pytest.mark.audio
@pytest.mark.slow
def test_a_voice_and_a_typed_turn_contact_only_the_loopback_stand_ins(
        app_home: Path, groq_server: GroqServer, tts_server: TTSServer, embedded_model_dir: Path,
        tmp_path: Path) -> None:
    if shutil.which("strace") is None:  # never skipped: `make test` installs it
        pytest.fail("the privacy test needs strace: run scripts/sysdeps.sh test", pytrace=False)
    groq_server.default = GroqBehaviour(reply=REPLY)
    tmpdir, user_home, trace = tmp_path / "tmpdir", tmp_path / "user", tmp_path / "connect.trace"
    tmpdir.mkdir()
    user_home.mkdir()
    env = {**os.environ, **groq_env(groq_server, STT_MODEL=str(embedded_model_dir), TTS_ENGINE="gtts"),
           "TMPDIR": str(tmpdir), "HOME": str(user_home), "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "ORT_DISABLE_TELEMETRY"):
        env.pop(name, None)  # what onnxruntime keeps goes under the fresh HOME; the app must turn it off itself
    talk = Talk(traced([sys.executable, str(DRIVER), tts_server.url, "talk", "--speak"], trace), env)
    try:
        talk.wait_for("Press Enter to start talking")
        talk.send("\n")
        talk.wait_for("● Recording… press Enter when you are done")
        play_into_sink(FIXTURES / "weather.wav", delay_s=1.0).communicate(timeout=20)
        talk.send("\n")
        heard = talk.wait_for("you:", timeout=90)
        vad_ran = time.monotonic()
        talk.wait_for(REPLY[:20])
        talk.send("And tomorrow?\n")
        talk.wait_for(REPLY[:20])
        time.sleep(max(0.0, vad_ran + TELEMETRY_WINDOW_S - time.monotonic()))  # a window to watch, not a proof
        talk.send("q\n")
    finally:
        code = talk.finish()
    assert code == 0, talk.stderr
    assert len(heard.split("you:", 1)[1].split()) >= 3, heard  # the voice turn went through the VAD and Whisper
    rows = db_rows(app_home)
    assert [(role, text) for role, text, _ in rows][2:] == [("user", "And tomorrow?"), ("assistant", REPLY)]
    assert [role for role, _, _ in rows] == ["user", "assistant"] * 2
    assert len(tts_server.requests) >= 2, "the replies were not spoken through the gTTS stand-in"

    connections = read_trace(trace)
    inet = [c for c in connections if c.family in ("AF_INET", "AF_INET6")]
    stand_ins = {("127.0.0.1", port_of(groq_server.base_url)), ("127.0.0.1", port_of(tts_server.url))}
    assert {(c.address, c.port) for c in inet} == stand_ins, report(connections)  # both reached, nothing else
    assert unexpected(connections, stand_ins, sound_sockets()) == [], report(connections)
    assert sorted(p.name for p in tmpdir.iterdir()) == []  # onnxruntime's .ses, or any other file
    assert [str(p.relative_to(user_home)) for p in user_home.rglob("*") if "Microsoft" in p.parts] == []


def port_of(url: str) -> int:
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def report(connections: list[Connection]) -> str:
    return "connections seen:\n" + "\n".join(sorted({str(c) for c in connections}))


def test_the_trace_reader_sees_dns_telemetry_and_other_hosts() -> None:
    """strace's own lines, as it prints them, for what the test above must catch."""
    lines = [
        '812 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
        '812 sendto(8, ""..., 50, MSG_NOSIGNAL, NULL, 0) = 50',
        '813 connect(9, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2603:1030::5", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>',
        '814  connect(4, {sa_family=AF_INET, sin_port=htons(41234), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '815 connect(5, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
        '815 connect(6, {sa_family=AF_UNIX, sun_path="/run/pulse/native"}, 110) = 0',
        '816 connect(7, {sa_family=AF_UNIX, sun_path=@"/tmp/.X11-unix/X0"}, 20) = 0',
        '817 sendto(3, ""..., 20, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20',
        '818 connect(3, {sa_family=AF_UNSPEC, sa_data="\\0\\0\\0\\0"}, 16) = 0',
    ]
    connections = [conn for line in lines for conn in parse_line(line)]
    bad = unexpected(connections, {("127.0.0.1", 41234), ("10.255.255.53", 53)}, [re.escape("/run/pulse/native")])
    assert [str(c) for c in bad] == [
        "AF_INET 10.255.255.53:53 (connect, pid 812)",  # DNS, even where it was "allowed"
        "AF_INET6 2603:1030::5:443 (connect, pid 813)",
        "AF_UNIX /var/run/nscd/socket (connect, pid 815)",
        "AF_UNIX @/tmp/.X11-unix/X0 (connect, pid 816)",
        "AF_NETLINK (unnamed) (sendto, pid 817)",
    ]
    assert len(connections) == 7  # the padded pid (strace aligns them) and the loopback one are read too


def test_the_trace_reader_knows_when_a_process_ended(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    trace.write_text("2191  connect(5, {sa_family=AF_UNIX, sun_path=@\"/tmp/.X11-unix/X0\"}, 20) = 0\n"
                     "2204  +++ exited with 0 +++\n")
    assert (ended(trace, 2204), ended(trace, 2191), ended(trace, 220), ended(tmp_path / "none", 2204)) == \
        (True, False, False, False)
