"""Full-text search over message text (FTS5, bm25 ranking).

User text is never passed to MATCH as it is: `match_query()` keeps only the
words (runs of letters and digits in any script), quotes each one as an FTS5
string, and ANDs them; so quotes, `AND`/`OR`/`NOT`, `*`, `-`, `NEAR(`,
unbalanced parentheses or emoji are searched as words or dropped, never
parsed as syntax. While the user is still typing the last word (no space
after it), that word matches as a prefix.

Snippets (see `snippet.py`) mark the matched words with `HIGHLIGHT_START` «
and `HIGHLIGHT_END` » (the GUI shows them in bold) and cut long text with
`ELLIPSIS` ….

Ranking: bm25 over the newest `RANK_WINDOW` matches. For rare words that is
every match; for words found in a large part of the history it bounds the
cost (and favours recent messages), so a search stays fast at a million
messages.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from desktop_assistant.history.schema import from_epoch
from desktop_assistant.history.snippet import ELLIPSIS, END, START, WORD, make_snippet

__all__ = [
    "ELLIPSIS",
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "SearchHit",
    "match_query",
    "query_terms",
    "search",
]

HIGHLIGHT_START = START
HIGHLIGHT_END = END
SNIPPET_TOKENS = 16
RANK_WINDOW = 1000
MAX_TERMS = 12
MAX_TERM_CHARS = 64
MIN_PREFIX_CHARS = 2


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    message_id: int
    role: str
    #: the matching text with «matched words» marked; cut with … at both ends when long
    snippet: str
    created_at: datetime
    conversation_title: str | None
    #: bm25 score: lower (more negative) is a better match
    rank: float


def query_terms(text: str, *, prefix_last: bool = True) -> tuple[list[str], bool]:
    """The words to search for, and whether the last one is a prefix (still being typed)."""
    normal = unicodedata.normalize("NFKC", text)
    matches = list(WORD.finditer(normal))[:MAX_TERMS]
    if not matches:
        return [], False
    last = matches[-1]
    typing_last = last.end() == len(normal) and len(last.group()) >= MIN_PREFIX_CHARS
    return [m.group()[:MAX_TERM_CHARS] for m in matches], prefix_last and typing_last


def match_query(text: str, *, prefix_last: bool = True) -> str | None:
    """A safe FTS5 query for what the user typed, or None when it has no words."""
    terms, prefix = query_terms(text, prefix_last=prefix_last)
    if not terms:
        return None
    parts = [f'"{t}"' for t in terms]
    if prefix:
        parts[-1] += "*"
    return " ".join(parts)


_WINDOW_ALL = """
        SELECT rowid AS id, rank AS r FROM messages_fts
        WHERE messages_fts MATCH :q ORDER BY rowid DESC LIMIT :window"""
_WINDOW_AGENT = """
        SELECT messages_fts.rowid AS id, messages_fts.rank AS r FROM messages_fts
        JOIN messages AS wm ON wm.id = messages_fts.rowid
        JOIN conversations AS wc ON wc.id = wm.conversation_id
        WHERE messages_fts MATCH :q AND wc.agent = :agent
        ORDER BY messages_fts.rowid DESC LIMIT :window"""
_SEARCH_SQL = """
SELECT h.id, h.r, m.text, m.conversation_id, m.role, m.created_at, c.title
FROM (
    SELECT id, r FROM ({window}
    ) ORDER BY r, id DESC LIMIT :limit OFFSET :offset
) AS h
JOIN messages AS m ON m.id = h.id
JOIN conversations AS c ON c.id = m.conversation_id
ORDER BY h.r, h.id DESC
"""


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 20,
    offset: int = 0,
    prefix_last: bool = True,
    window: int = RANK_WINDOW,
    agent: str | None = None,
) -> list[SearchHit]:
    """Hits for `text`, best first; `agent` keeps only that agent's conversations."""
    terms, prefix = query_terms(text, prefix_last=prefix_last)
    if not terms or limit <= 0:
        return []
    query = match_query(text, prefix_last=prefix_last)
    params = {
        "q": query,
        "window": max(window, limit + offset),
        "limit": limit,
        "offset": max(offset, 0),
        "agent": agent,
    }
    sql = _SEARCH_SQL.format(window=_WINDOW_ALL if agent is None else _WINDOW_AGENT)
    rows = conn.execute(sql, params).fetchall()
    return [
        SearchHit(
            conversation_id=conv,
            message_id=mid,
            role=role,
            snippet=make_snippet(body or "", terms, prefix_last=prefix, size=SNIPPET_TOKENS),
            created_at=from_epoch(created),
            conversation_title=title,
            rank=float(rank),
        )
        for mid, rank, body, conv, role, created, title in rows
    ]
