"""What the LLM sees: the agent's system prompt plus a window of the conversation.

The window is the last `max_history` messages, trimmed further (oldest first) when a
rough token estimate exceeds `token_budget`. The newest user message is always kept.
Failed messages and empty texts are left out; an interrupted assistant reply is kept
with what was actually said, so the model knows where it was cut off.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop_assistant.llm.request import ChatMessage
from desktop_assistant.messages import MessageLike, MessageStatus

DEFAULT_TOKEN_BUDGET = 6000
_ROLES = ("user", "assistant")


def estimate_tokens(text: str) -> int:
    """A cheap, slightly pessimistic token estimate (about 4 characters per token)."""
    return len(text) // 4 + 4


def build_messages(system_prompt: str, history: Sequence[MessageLike], *, max_history: int,
                   token_budget: int = DEFAULT_TOKEN_BUDGET) -> list[ChatMessage]:
    """System prompt + the usable tail of `history` (oldest first) within the budgets."""
    unusable = (MessageStatus.FAILED, MessageStatus.STREAMING)
    usable = [m for m in history if m.role in _ROLES and m.status not in unusable and m.text.strip()]
    window = usable[-max_history:] if max_history > 0 else usable[-1:]
    budget = token_budget - estimate_tokens(system_prompt)
    kept: list[ChatMessage] = []
    for message in reversed(window):
        cost = estimate_tokens(message.text)
        if kept and cost > budget:
            break
        budget -= cost
        kept.append(ChatMessage(message.role, message.text.strip()))
    kept.reverse()
    # a window that starts with an assistant reply confuses some models: drop it
    while len(kept) > 1 and kept[0].role == "assistant":
        kept.pop(0)
    return [ChatMessage("system", system_prompt.strip()), *kept]
