"""One SQLite write transaction helper shared by the stores of rag/ and verticals/ (both write each logical change
in one transaction so a killed process leaves the previous state intact)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["write_transaction"]


@contextmanager
def write_transaction(db: sqlite3.Connection, lock: AbstractContextManager[object]) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` ... `COMMIT` under `lock` (the connection is in autocommit mode); rolled back on any error."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
