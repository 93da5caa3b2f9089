"""Versioned schema migrations. Each entry is applied once, in order, inside a transaction."""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "runs, unit results, rule results, findings, events", """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            label TEXT NOT NULL UNIQUE,
            pack_id TEXT NOT NULL,
            pack_title TEXT NOT NULL,
            edition TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            as_of TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('self', 'mock', 'official')),
            who TEXT NOT NULL,
            formula TEXT NOT NULL,
            unit_count INTEGER NOT NULL,
            rule_ids TEXT NOT NULL
        );
        CREATE TABLE unit_results (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            unit_id TEXT NOT NULL,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            region TEXT NOT NULL,
            grp TEXT,
            total REAL NOT NULL,
            total_without_waivers REAL NOT NULL,
            grade TEXT NOT NULL,
            passed INTEGER NOT NULL,
            disqualified INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            result_json TEXT NOT NULL,
            PRIMARY KEY (run_id, unit_id)
        );
        CREATE TABLE rule_results (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            unit_id TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            earned REAL NOT NULL,
            max REAL NOT NULL,
            level TEXT,
            message TEXT NOT NULL,
            PRIMARY KEY (run_id, unit_id, rule_id)
        );
        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,
            pack_id TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            unit_name TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            sub_item TEXT NOT NULL,
            title TEXT NOT NULL,
            problem TEXT NOT NULL,
            requirement TEXT NOT NULL,
            role TEXT NOT NULL,
            severity TEXT NOT NULL,
            points REAL NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'rectified', 'verified', 'reopened')),
            opened_on TEXT NOT NULL,
            due TEXT NOT NULL,
            first_run_id INTEGER NOT NULL REFERENCES runs(id),
            last_run_id INTEGER NOT NULL REFERENCES runs(id),
            consecutive_failures INTEGER NOT NULL DEFAULT 1,
            escalation TEXT,
            closed_run_id INTEGER REFERENCES runs(id)
        );
        CREATE INDEX findings_unit ON findings(pack_id, unit_id);
        CREATE TABLE finding_events (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
            run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
            event TEXT NOT NULL,
            on_date TEXT NOT NULL,
            who TEXT,
            note TEXT
        );
    """),
]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to the newest schema; returns its version."""
    """``conn`` must be in autocommit mode (isolation_level=None): transactions here are explicit."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, title TEXT NOT NULL)")
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, title, script in MIGRATIONS:
        if version in applied:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (version, title) VALUES (?, ?)", (version, title))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return max(v for v, _, _ in MIGRATIONS)
