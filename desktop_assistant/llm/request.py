"""What a chat request holds, as values that import without the groq SDK or httpx (a turn builds
them before any client exists)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ChatOptions:
    model: str
    temperature: float = 0.7
    max_tokens: int = 512
