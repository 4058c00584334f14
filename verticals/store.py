"""The skills' local store: SQLite in the user's data folder, created on first use, with versioned migrations.
Every write is one transaction, so a process killed mid-write leaves the previous state intact."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path

from simulagent._sqlite import write_transaction
from simulagent.config import data_dir

__all__ = ["MIGRATIONS", "LocalStore"]

MIGRATIONS: tuple[str, ...] = (
    # 1: lists (to-do), notes, timers/alarms/reminders
    """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        list_name TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        due_at REAL,
        done INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE INDEX items_user_kind ON items(user_id, kind);
    """,
)


class LocalStore:
    """A SQLite file (default: `<data folder>/verticals.sqlite`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "verticals.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._migrate()

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        for number, script in enumerate(MIGRATIONS[version:], version + 1):
            with self.transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._db, self._lock)

    def add(self, user_id: str, kind: str, text: str, list_name: str = "", due_at: float | None = None) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO items(user_id, kind, list_name, text, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, kind, list_name, text, due_at, time.time()),
            )
            return int(cursor.lastrowid or 0)

    def items(
        self, user_id: str, kind: str, list_name: str | None = None, include_done: bool = False
    ) -> list[tuple[int, str, float | None]]:
        query = "SELECT id, text, due_at FROM items WHERE user_id = ? AND kind = ?"
        args: list[object] = [user_id, kind]
        if list_name is not None:
            query += " AND list_name = ?"
            args.append(list_name)
        if not include_done:
            query += " AND done = 0"
        return [(int(r[0]), str(r[1]), r[2]) for r in self._db.execute(query + " ORDER BY id", args).fetchall()]

    def complete(self, user_id: str, item_id: int) -> bool:
        with self.transaction() as db:
            return db.execute("UPDATE items SET done = 1 WHERE id = ? AND user_id = ?", (item_id, user_id)).rowcount > 0

    def remove(self, user_id: str, item_id: int) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM items WHERE id = ? AND user_id = ?", (item_id, user_id)).rowcount > 0

    def due(self, now: float) -> list[tuple[int, str, str, str]]:
        """Timers and reminders due by `now` and not done: (id, user_id, kind, text)."""
        rows = self._db.execute(
            "SELECT id, user_id, kind, text FROM items "
            "WHERE due_at IS NOT NULL AND due_at <= ? AND done = 0 ORDER BY due_at",
            (now,),
        ).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def take_due(self, now: float, user_id: str | None = None) -> list[tuple[int, str, str, str, float]]:
        """The timers, alarms and reminders due by `now`, each returned once: (id, user_id, kind, text, due_at).

        In one transaction, an item is marked done, or, when it repeats daily (its text ends in "daily"), moved to
        its next time after `now`; so a crash never fires an alert twice or loses one.
        """
        query = (
            "SELECT id, user_id, kind, text, due_at FROM items WHERE due_at IS NOT NULL AND due_at <= ? AND done = 0"
        )
        args: list[object] = [now]
        if user_id is not None:
            query += " AND user_id = ?"
            args.append(user_id)
        with self.transaction() as db:
            rows = db.execute(query + " ORDER BY due_at", args).fetchall()
            for item_id, _, _, text, due_at in rows:
                if str(text).endswith("daily"):
                    days = int((now - float(due_at)) // 86_400) + 1
                    db.execute("UPDATE items SET due_at = ? WHERE id = ?", (float(due_at) + days * 86_400, item_id))
                else:
                    db.execute("UPDATE items SET done = 1 WHERE id = ?", (item_id,))
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4])) for r in rows]

    def close(self) -> None:
        self._db.close()
