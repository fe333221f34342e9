import os
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
);
"""


def database_path() -> str:
    return os.environ.get("NOTES_DB", "/app/data/notes.db")


def connect() -> sqlite3.Connection:
    return sqlite3.connect(database_path())


def migrate() -> None:
    os.makedirs(os.path.dirname(database_path()) or ".", exist_ok=True)
    with connect() as conn:
        conn.executescript(SCHEMA)
