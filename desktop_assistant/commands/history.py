"""`desktop-assistant history list|show|search|export|delete|stats` — works offline, no API key."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.history.export import FORMATS, detail_to_dict, export_conversation
from desktop_assistant.output_file import check_output, output_file
from desktop_assistant.terminal import inert

if TYPE_CHECKING:
    from desktop_assistant.history.store import HistoryStore


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "history",
        help="list, show, search, export or delete past conversations",
        description="Browse the conversation history.",
    )
    sub = parser.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="conversations, newest first")
    p.add_argument("--limit", type=_LIMIT, default=20, metavar="N")
    p.add_argument("--offset", type=_OFFSET, default=0, metavar="N")
    p.add_argument("--agent", metavar="ID", help="only this agent's conversations")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = sub.add_parser("show", help="one conversation with its messages")
    p.add_argument("id", type=_ID)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = sub.add_parser("search", help="full-text search over all messages")
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=_LIMIT, default=20, metavar="N")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_search)

    p = sub.add_parser("export", help="write conversations as Markdown, JSON or text")
    p.add_argument("id", type=_ID, nargs="?")
    p.add_argument("--all", action="store_true", help="every conversation")
    p.add_argument("--format", choices=FORMATS, default="md")
    p.add_argument("--out", type=Path, metavar="PATH", help="file to write (default: standard output)")
    p.set_defaults(func=_export)

    p = sub.add_parser("delete", help="delete a conversation")
    p.add_argument("id", type=_ID)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_delete)

    p = sub.add_parser("stats", help="message counts and latency per day")
    p.add_argument("--days", type=_DAYS, default=30)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_stats)


def _whole(lo: int, hi: int, what: str) -> Any:
    """An argparse type: a whole number from `lo` to `hi` (SQLite and dates have limits)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{inert(text)!r} is not valid: expected {what} from {lo} to {hi}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


_LIMIT = _whole(1, 100_000, "a whole number")
_OFFSET = _whole(0, 10**9, "a whole number")
_ID = _whole(1, 2**63 - 1, "a conversation ID")
_DAYS = _whole(1, 36_500, "a number of days")


def _store(app: Any, *, read_only: bool = True) -> HistoryStore:
    """The store; read-only (never waiting for another program's writes) unless the command writes."""
    from desktop_assistant.history.store import app_store

    store = app_store(app, read_only=read_only)
    while store.notices:
        print(f"desktop-assistant: {store.notices.pop(0)}", file=sys.stderr)
    return store


def _speakers(app: Any) -> dict[str, str]:
    return {agent_id: agent.name for agent_id, agent in app.agents.agents.items()}


def _dump(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_iso))


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, (datetime, date)) else str(value)


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def _list(app: Any, args: argparse.Namespace) -> int:
    store = _store(app)
    convs = store.list_conversations(limit=args.limit, offset=args.offset, agent=args.agent)
    if args.json:
        _dump(
            [
                {**asdict(c), "started_at": c.started_at.isoformat(), "updated_at": c.updated_at.isoformat()}
                for c in convs
            ]
        )
        return 0
    if not convs:
        print("No conversations yet.")
        return 0
    for c in convs:
        print(inert(
            f"{c.id:>6}  {_local(c.updated_at)}  {c.agent:<12} {c.message_count:>4} msgs  {c.display_title}"
        ))
    total = store.count_conversations(agent=args.agent)
    if total > args.offset + len(convs):
        print(f"({total} conversations; more with --offset {args.offset + len(convs)})")
    return 0


def _show(app: Any, args: argparse.Namespace) -> int:
    detail = _store(app).get_conversation(args.id)
    if detail is None:
        raise UserFacingError(
            f"There is no conversation {args.id}", "See `desktop-assistant history list`", kind=ErrorKind.INPUT
        )
    if args.json:
        _dump(detail_to_dict(detail))
    else:  # stored text may hold terminal escapes (from a reply): shown, never obeyed
        sys.stdout.write(inert(export_conversation(detail, "txt", speakers=_speakers(app))))
    return 0


def _search(app: Any, args: argparse.Namespace) -> int:
    hits = _store(app).search(" ".join(args.query), limit=args.limit)
    if args.json:
        _dump([{**asdict(h), "created_at": h.created_at.isoformat()} for h in hits])
        return 0
    if not hits:
        print("No matches.")
        return 0
    for h in hits:
        snippet = " ".join(h.snippet.split())
        print(inert(f"#{h.conversation_id:<5} {_local(h.created_at)}  {h.role:<9} {snippet}"))
    return 0


def _export(app: Any, args: argparse.Namespace) -> int:
    if (args.id is None) == (not args.all):
        raise UserFacingError("Give a conversation ID or --all (not both)", kind=ErrorKind.INPUT)
    store = _store(app)
    speakers = _speakers(app)
    if args.out is None:
        n = store.export(sys.stdout, args.format, args.id, speakers=speakers)
    else:
        check_output(args.out, create_parents=True)
        with output_file(args.out, "w", encoding="utf-8", newline="\n") as out:
            n = store.export(out, args.format, args.id, speakers=speakers)
        print(f"Exported {n} conversation(s) to {args.out}", file=sys.stderr)
    return 0


def _delete(app: Any, args: argparse.Namespace) -> int:
    store = _store(app, read_only=False)
    detail = store.get_conversation(args.id)
    if detail is None:
        raise UserFacingError(f"There is no conversation {args.id}", kind=ErrorKind.INPUT)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserFacingError("Not deleting without confirmation", "Add --yes", kind=ErrorKind.INPUT)
        c = detail.conversation
        answer = input(f"Delete conversation {c.id} “{c.display_title}” ({c.message_count} messages)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept.")
            return 1
    store.delete(args.id)
    print(f"Deleted conversation {args.id}.")
    return 0


def _stats(app: Any, args: argparse.Namespace) -> int:
    stats = _store(app).stats(days=args.days)
    if args.json:
        _dump(asdict(stats))
        return 0
    print(
        f"{stats.conversations} conversations, {stats.messages} messages"
        + (
            f" ({', '.join(f'{k} {v}' for k, v in sorted(stats.by_status.items()))})"
            if stats.by_status
            else ""
        )
    )
    if not stats.days:
        print(f"No messages in the last {args.days} days.")
    for d in stats.days:
        parts = [f"{d.day}  {d.turns:>4} turns"]
        if d.failed or d.interrupted:
            parts.append(f"{d.failed} failed, {d.interrupted} interrupted")
        for key, lat in d.latency.items():
            parts.append(f"{key} p50 {lat.p50:.0f} p95 {lat.p95:.0f}")
        print("  ".join(parts))
    return 0
