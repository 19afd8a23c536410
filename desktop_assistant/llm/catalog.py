"""The Groq chat models the app offers by name (Settings → Assistant); the first is the default.

Any other model name Groq serves can be typed in; this is only the list offered. Kept free of
imports (the client pulls in the groq SDK) so that the Settings dialog can show it at no cost.
"""

from __future__ import annotations

LLM_MODELS = ("llama-3.1-8b-instant", "llama-3.3-70b-versatile", "openai/gpt-oss-20b", "openai/gpt-oss-120b")
