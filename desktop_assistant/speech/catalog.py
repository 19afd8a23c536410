"""The Whisper models the app offers by name (Settings → Speech), smallest first.

Any other name or a folder still works (`models.resolve`); this is only the list offered.
Kept free of imports so that the Settings dialog can show it at no cost.
"""

from __future__ import annotations

WHISPER_MODELS = (
    "tiny.en",
    "tiny",
    "base.en",
    "base",
    "small.en",
    "small",
    "medium.en",
    "medium",
    "large-v3",
    "distil-large-v3",
)
