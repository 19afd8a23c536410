"""The LLM context window: system prompt + recent messages within a token budget."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_assistant.llm.context import build_messages, estimate_tokens


@dataclass(frozen=True)
class M:
    role: str
    text: str
    status: str = "complete"


def test_system_prompt_then_the_last_messages_in_order() -> None:
    history = [M("user", f"q{i}") if i % 2 == 0 else M("assistant", f"a{i}") for i in range(10)]
    out = build_messages("Be brief.", history, max_history=4)
    assert [m.role for m in out] == ["system", "user", "assistant", "user", "assistant"]
    assert [m.content for m in out] == ["Be brief.", "q6", "a7", "q8", "a9"]


def test_failed_and_streaming_messages_are_left_out_interrupted_kept() -> None:
    history = [M("user", "one"), M("assistant", "partial", "failed"), M("user", "two"),
               M("assistant", "said this much", "interrupted"), M("user", "three"),
               M("assistant", "", "streaming")]
    out = build_messages("S", history, max_history=10)
    assert [m.content for m in out] == ["S", "one", "two", "said this much", "three"]


def test_token_budget_trims_oldest_but_keeps_the_newest_message() -> None:
    big = "x" * 4000
    history = [M("user", big), M("assistant", big), M("user", "short question")]
    out = build_messages("S", history, max_history=20, token_budget=1200)
    assert [m.content for m in out] == ["S", "short question"]
    huge = build_messages("S", [M("user", big * 5)], max_history=20, token_budget=100)
    assert huge[-1].content == big * 5  # never drop what the user just said


def test_window_never_starts_with_an_assistant_reply() -> None:
    history = [M("user", "q1"), M("assistant", "a1"), M("user", "q2")]
    out = build_messages("S", history, max_history=2)
    assert [m.role for m in out] == ["system", "user"]


def test_estimate_grows_with_length() -> None:
    assert estimate_tokens("a" * 400) > estimate_tokens("a" * 40) > 0
