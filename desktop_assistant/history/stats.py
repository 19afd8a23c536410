"""History statistics: totals, and per day the turns and latency percentiles."""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from desktop_assistant.history.schema import from_epoch
from desktop_assistant.messages import MessageStatus, TimingKey


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p95: float


@dataclass(frozen=True)
class DayStats:
    day: date
    #: user messages that day (each one starts a turn)
    turns: int
    failed: int
    interrupted: int
    #: per timing key (stt_ms, llm_first_token_ms, first_audio_ms, total_ms, final_transcript_ms); absent
    #: when no values
    latency: dict[TimingKey, Latency]


@dataclass(frozen=True)
class HistoryStats:
    conversations: int
    messages: int
    by_status: dict[str, int]
    first_at: datetime | None
    last_at: datetime | None
    days: tuple[DayStats, ...]


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..1); `values` must be sorted and non-empty."""
    pos = (len(values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def compute_stats(
    conn: sqlite3.Connection, now: datetime, *, days: int = 30, tz: tzinfo | None = None
) -> HistoryStats:
    conversations = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
    by_status = dict(conn.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall())
    first, last = conn.execute("SELECT min(created_at), max(created_at) FROM messages").fetchone()
    since = (now - timedelta(days=max(days, 0))).timestamp()
    cols = ", ".join(TimingKey)
    rows = conn.execute(
        f"SELECT created_at, role, status, {cols} FROM messages WHERE created_at >= ? ORDER BY created_at",
        (since,),
    ).fetchall()
    turns: dict[date, int] = defaultdict(int)
    failed: dict[date, int] = defaultdict(int)
    interrupted: dict[date, int] = defaultdict(int)
    values: dict[date, dict[TimingKey, list[float]]] = defaultdict(lambda: defaultdict(list))
    for created, role, status, *timings in rows:
        day = datetime.fromtimestamp(created, tz).date() if tz else datetime.fromtimestamp(created).date()
        turns[day] += role == "user"
        failed[day] += status == MessageStatus.FAILED
        interrupted[day] += status == MessageStatus.INTERRUPTED
        for key, value in zip(TimingKey, timings, strict=True):
            if value is not None:
                values[day][key].append(float(value))
    day_stats = []
    for day in sorted(set(turns) | set(values)):
        latency: dict[TimingKey, Latency] = {}
        for key, vals in values[day].items():
            vals.sort()
            latency[key] = Latency(
                len(vals), round(percentile(vals, 0.5), 1), round(percentile(vals, 0.95), 1)
            )
        day_stats.append(DayStats(day, turns[day], failed[day], interrupted[day], latency))
    return HistoryStats(
        conversations=conversations,
        messages=sum(by_status.values()),
        by_status=by_status,
        first_at=from_epoch(first) if first is not None else None,
        last_at=from_epoch(last) if last is not None else None,
        days=tuple(day_stats),
    )
