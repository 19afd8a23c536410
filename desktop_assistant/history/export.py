"""Export conversations as Markdown, JSON or plain text.

Markdown and text show local times and speaker names ("You", the agent's
name); JSON keeps every field with ISO 8601 UTC times and reads back
(`read_json`) into equal records.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields
from datetime import datetime
from typing import IO, Any

from desktop_assistant.history.records import ConversationDetail, ConversationRecord, MessageRecord
from desktop_assistant.messages import MessageStatus

FORMATS = ("md", "json", "txt")
JSON_FORMAT = "desktop-assistant-history"
JSON_VERSION = 1


def speaker(role: str, agent: str, speakers: Mapping[str, str] | None = None) -> str:
    """ "You" for the user, the agent's display name (from `speakers`, by agent id) for replies."""
    if role == "user":
        return "You"
    if role == "system":
        return "System"
    return (speakers or {}).get(agent) or agent.replace("-", " ").replace("_", " ").title() or "Assistant"


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _status_note(m: MessageRecord) -> str:
    if m.status == MessageStatus.COMPLETE:
        return ""
    note = m.status.replace("_", " ")
    return f" ({note}: {m.error})" if m.error else f" ({note})"


def _markdown(d: ConversationDetail, speakers: Mapping[str, str] | None) -> str:
    c = d.conversation
    lines = [
        f"# {c.display_title}",
        "",
        f"*Conversation {c.id} · {speaker('assistant', c.agent, speakers)} · started {_local(c.started_at)}*",
        "",
    ]
    for m in d.messages:
        lines.append(f"**{speaker(m.role, c.agent, speakers)}** · {_local(m.created_at)}{_status_note(m)}")
        lines.append("")
        lines.extend(f"> {line}" if line else ">" for line in (m.text or "").splitlines() or [""])
        lines.append("")
    return "\n".join(lines) + "\n"


def _text(d: ConversationDetail, speakers: Mapping[str, str] | None) -> str:
    c = d.conversation
    lines = [
        f"== {c.display_title} (conversation {c.id}, {speaker('assistant', c.agent, speakers)}, "
        f"started {_local(c.started_at)}) =="
    ]
    for m in d.messages:
        body = (m.text or "").replace("\n", "\n    ")
        lines.append(
            f"[{_local(m.created_at)}] {speaker(m.role, c.agent, speakers)}: {body}{_status_note(m)}"
        )
    return "\n".join(lines) + "\n\n"


def detail_to_dict(d: ConversationDetail) -> dict[str, Any]:
    conv = {k: _jsonable(v) for k, v in asdict(d.conversation).items()}
    conv["messages"] = [{k: _jsonable(v) for k, v in asdict(m).items()} for m in d.messages]
    return conv


def detail_from_dict(data: Mapping[str, Any]) -> ConversationDetail:
    conv_fields = {f.name for f in fields(ConversationRecord)}
    msg_fields = {f.name for f in fields(MessageRecord)}
    conv = ConversationRecord(**{k: _parse(k, v) for k, v in data.items() if k in conv_fields})
    messages = tuple(
        MessageRecord(**{k: _parse(k, v) for k, v in m.items() if k in msg_fields})
        for m in data.get("messages", [])
    )
    return ConversationDetail(conv, messages)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _parse(key: str, value: Any) -> Any:
    if key.endswith("_at") and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def write_export(
    details: Iterable[ConversationDetail], fmt: str, out: IO[str], *, speakers: Mapping[str, str] | None = None
) -> int:
    """Write the conversations to `out` one by one (so exporting everything needs little memory)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    n = 0
    if fmt == "json":
        out.write(f'{{"format": "{JSON_FORMAT}", "version": {JSON_VERSION}, "conversations": [')
        for d in details:
            out.write(("," if n else "") + "\n" + json.dumps(detail_to_dict(d), ensure_ascii=False))
            n += 1
        out.write("\n]}\n")
        return n
    render = _markdown if fmt == "md" else _text
    for d in details:
        if n and fmt == "md":
            out.write("\n---\n\n")
        out.write(render(d, speakers))
        n += 1
    return n


def export_conversation(
    detail: ConversationDetail, fmt: str, *, speakers: Mapping[str, str] | None = None
) -> str:
    """One conversation as a string in `fmt` (md, json or txt)."""
    out = io.StringIO()
    write_export([detail], fmt, out, speakers=speakers)
    return out.getvalue()


def read_json(text: str) -> list[ConversationDetail]:
    """Conversations from a JSON export (raises ValueError if it is not one)."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise ValueError("not a Desktop Assistant history export")
    return [detail_from_dict(c) for c in data.get("conversations", [])]
