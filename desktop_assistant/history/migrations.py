"""Schema versions, as `PRAGMA user_version` steps.

Step N (1-based) moves a database from version N-1 to N. Each step runs in
one `BEGIN IMMEDIATE` transaction together with its `user_version` bump, so a
crash mid-migration leaves the previous version intact. Steps are plain SQL
kept in this module (nothing to bundle). Never edit a released step: add one.

- v1: conversations and messages.
- v2: the FTS5 full-text index (external content over `messages.text`) and
  the triggers that keep it in sync; existing rows are indexed.
- v3: turn timings and model names on messages; the conversation list index
  by agent.
- v4: `conversations.message_count`, kept by triggers, so the list and its
  count need no per-row subquery (and hide conversations with no messages).
- v5: the live transcript's facts on a reply: release → final transcript (ms), the partials shown
  while the user spoke, whether the final decode started at a pause was used (`early`) and whether
  the reply asked for before the release was (`speculation`).
"""

from __future__ import annotations

import sqlite3

from desktop_assistant.errors import ErrorKind, UserFacingError

_V1 = (
    """CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        title TEXT,
        started_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'complete',
        error TEXT,
        source TEXT NOT NULL DEFAULT 'typed'
    )""",
    "CREATE INDEX ix_messages_conversation ON messages(conversation_id, id)",
    "CREATE INDEX ix_conversations_updated ON conversations(updated_at)",
)

_V2 = (
    # prefix='2 3' keeps the as-you-type prefix queries ("wea*") fast.
    """CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )""",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    "CREATE INDEX ix_messages_status ON messages(status) WHERE status = 'streaming'",
)

_V3 = (
    "ALTER TABLE messages ADD COLUMN stt_ms REAL",
    "ALTER TABLE messages ADD COLUMN llm_first_token_ms REAL",
    "ALTER TABLE messages ADD COLUMN first_audio_ms REAL",
    "ALTER TABLE messages ADD COLUMN total_ms REAL",
    "ALTER TABLE messages ADD COLUMN stt_model TEXT",
    "ALTER TABLE messages ADD COLUMN llm_model TEXT",
    "CREATE INDEX ix_messages_created ON messages(created_at)",
    "CREATE INDEX ix_conversations_agent_updated ON conversations(agent, updated_at)",
)

_V4 = (
    "ALTER TABLE conversations ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0",
    """CREATE TRIGGER conversations_count_insert AFTER INSERT ON messages BEGIN
        UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
    END""",
    """CREATE TRIGGER conversations_count_delete AFTER DELETE ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
    END""",
    """CREATE TRIGGER conversations_count_move AFTER UPDATE OF conversation_id ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
        UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
    END""",
    """UPDATE conversations SET message_count =
        (SELECT count(*) FROM messages WHERE messages.conversation_id = conversations.id)""",
    "CREATE INDEX ix_conversations_listed ON conversations(updated_at) WHERE message_count > 0",
)

_V5 = (
    "ALTER TABLE messages ADD COLUMN final_transcript_ms REAL",
    "ALTER TABLE messages ADD COLUMN partials INTEGER",
    "ALTER TABLE messages ADD COLUMN early TEXT",
    "ALTER TABLE messages ADD COLUMN speculation TEXT",
)

STEPS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5)
LATEST_VERSION = len(STEPS)


class NewerSchemaError(UserFacingError):
    kind = ErrorKind.HISTORY


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Bring the database to LATEST_VERSION; returns the versions applied.

    `conn` must be in autocommit mode (isolation_level=None). A database already at the
    latest version is only read (no write lock is taken).
    """
    applied: list[int] = []
    if schema_version(conn) == LATEST_VERSION:  # committed state: nothing to do, nothing to wait for
        return applied
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # read again inside the write lock: another process may have migrated meanwhile
            version = schema_version(conn)
            if version > LATEST_VERSION:
                raise NewerSchemaError(
                    f"The history database was made by a newer Desktop Assistant (schema {version}, "
                    f"this version knows up to {LATEST_VERSION})",
                    "Update Desktop Assistant, or move the history file aside",
                )
            if version == LATEST_VERSION:
                conn.execute("COMMIT")
                return applied
            for statement in STEPS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
            applied.append(version + 1)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
