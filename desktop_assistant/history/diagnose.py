"""A read-only health report of the history database, for `desktop-assistant check`.

Never creates or changes the file: it is opened with `mode=ro`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def diagnose(db_path: Path) -> dict[str, Any]:
    """{path, exists, integrity ("ok" or the problem), schema_version, conversations, messages}."""
    path = Path(db_path)
    report: dict[str, Any] = {
        "path": str(path),
        "exists": path.is_file(),
        "integrity": None,
        "schema_version": None,
        "conversations": None,
        "messages": None,
    }
    if not report["exists"]:
        return report
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error as exc:
        report["integrity"] = f"cannot open: {exc}"
        return report
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        report["integrity"] = "; ".join(str(r[0]) for r in rows[:5])
        report["schema_version"] = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in ("conversations", "messages"):
            if table in tables:
                report[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error as exc:
        if report["integrity"] in (None, "ok"):
            report["integrity"] = str(exc)
    finally:
        conn.close()
    return report
