"""Every connection a process tree tries, read from `strace -f -e trace=connect,sendto,sendmmsg`.

`traced(cmd)` is the command line that records them into a file; `read_trace(path)` turns that file
into `Connection`s (one per address a socket was connected or sent to: AF_INET, AF_INET6, AF_UNIX
and any other family); `unexpected(connections, allowed_inet, allowed_unix)` keeps the ones outside
what the test allows. A DNS query is a connection to port 53, so it is never allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: connect() plus the calls that name a destination without it (UDP: sendto, and glibc's resolver's sendmmsg)
SYSCALLS = "connect,sendto,sendmmsg"

_INET = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'sa_family=AF_INET6, sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([^"]+)"')
_UNIX = re.compile(r'sa_family=AF_UNIX(?:, sun_path=(@?)"((?:[^"\\]|\\.)*)")?')
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
_CALL = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(\w+)")


@dataclass(frozen=True)
class Connection:
    pid: int
    call: str  # connect, sendto, sendmmsg
    family: str  # AF_INET, AF_INET6, AF_UNIX, …
    address: str  # an IP, a socket path ("@name" for the abstract namespace), "" when unnamed
    port: int | None = None
    line: str = ""

    def __str__(self) -> str:
        where = f"{self.address}:{self.port}" if self.port is not None else self.address or "(unnamed)"
        return f"{self.family} {where} ({self.call}, pid {self.pid})"


def traced(cmd: Sequence[str], out: Path, *, detached: bool = False) -> list[str]:
    """`cmd` under strace, following every child, recording only the calls that pick a destination.
    `detached`: strace runs as a grandchild, so `cmd` keeps the pid its parent started (a window
    found by its pid); each process's end is written as `<pid> +++ exited with N +++` (`ended`)."""
    return ["strace", *(["-D"] if detached else []), "-f", "-q", "--seccomp-bpf", "-e", f"trace={SYSCALLS}",
            "-e", "signal=none", "-s", "0", "-o", str(out), "--", *cmd]


def ended(trace: Path, pid: int) -> bool:
    """Whether strace has written the end of process `pid` (the trace file is then complete for it)."""
    try:
        text = trace.read_text(errors="replace")
    except FileNotFoundError:
        return False
    return re.search(rf"^{pid}\s+\+\+\+ (exited with|killed by)", text, re.MULTILINE) is not None


def parse_line(line: str) -> list[Connection]:
    call = _CALL.match(line)
    if call is None or call.group(2) not in SYSCALLS.split(","):
        return []
    pid, name = int(call.group(1)), call.group(2)
    found: list[Connection] = []
    for port, ip in _INET.findall(line):
        found.append(Connection(pid, name, "AF_INET", ip, int(port), line))
    for port, ip in _INET6.findall(line):
        found.append(Connection(pid, name, "AF_INET6", ip, int(port), line))
    for abstract, path in _UNIX.findall(line):
        found.append(Connection(pid, name, "AF_UNIX", abstract + path, None, line))
    for family in _FAMILY.findall(line):
        if family not in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_UNSPEC"):  # AF_UNSPEC: a UDP socket let go
            found.append(Connection(pid, name, family, "", None, line))
    return found


def read_trace(path: Path) -> list[Connection]:
    return [conn for line in path.read_text(errors="replace").splitlines() for conn in parse_line(line)]


def unexpected(connections: Iterable[Connection], allowed_inet: Iterable[tuple[str, int]],
               allowed_unix: Iterable[str]) -> list[Connection]:
    """The connections to anything but `allowed_inet` (ip, port) pairs and socket paths matching one of
    the `allowed_unix` regular expressions (whole path)."""
    inet, unix = set(allowed_inet), [re.compile(pattern) for pattern in allowed_unix]
    bad = []
    for conn in connections:
        if conn.family in ("AF_INET", "AF_INET6"):
            ok = (conn.address, conn.port) in inet and conn.port != 53
        elif conn.family == "AF_UNIX":
            ok = any(pattern.fullmatch(conn.address) for pattern in unix)
        else:
            ok = False
        if not ok:
            bad.append(conn)
    return bad
