"""`open_sqlite`: the one way citebot's SQLite files are opened."""

import sqlite3
from pathlib import Path

import pytest

from retrieval.index.sqlite_file import open_sqlite

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"


def test_a_new_file_is_made_in_wal_mode_with_its_tables_and_reopened_as_it_is(tmp_path: Path):
    path = tmp_path / "deeper" / "notes.sqlite3"
    db = open_sqlite(path, SCHEMA)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("INSERT INTO notes (text) VALUES ('kept')")
    db.close()
    again = open_sqlite(path, SCHEMA)
    assert again.execute("SELECT text FROM notes").fetchall() == [("kept",)]
    again.close()


def test_a_file_that_is_no_database_raises_and_leaves_the_file_as_it_was(tmp_path: Path):
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"not a database at all, " * 200)
    with pytest.raises(sqlite3.DatabaseError):
        open_sqlite(path, SCHEMA)
    assert path.read_bytes().startswith(b"not a database at all")
