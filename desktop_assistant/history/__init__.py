"""Conversation history: one SQLite file (`Paths.database_file`), Qt-free.

- `store.HistoryStore` — the only code that reads or writes the database
  (turn writes, browsing, search, stats, export); `store.app_store(app)` is
  the app's shared instance. It is built from `access` (a session per call,
  rows to records), `turns` (the write path of a turn) and `browsing` (list,
  read, rename, delete).
- `records` — the frozen records it returns; `schema` — the ORM mapping;
  `migrations` — `PRAGMA user_version` steps; `db` — connections, pragmas,
  corruption recovery and error classification.
- `search` — FTS5 queries built safely from user text; `export` — Markdown,
  JSON, text; `stats` — per-day turns and latency percentiles;
  `diagnose` — a read-only health report for `desktop-assistant check`.
"""
