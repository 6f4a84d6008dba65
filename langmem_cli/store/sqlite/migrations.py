"""Named, append-only migrations applied when the store is opened.

Never edit or reorder a migration that has shipped: append a new one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_memories(db: sqlite_utils.Database) -> None:
    db.table("memories").create(
        {
            "id": str,
            "namespace": str,
            "kind": str,
            "content": str,  # JSON
            "text": str,  # rendered text: what is searched and embedded
            "content_hash": str,
            "metadata": str,  # JSON object
            "source": str,  # file:line or "cli"
            "created_at": str,
            "updated_at": str,
            "embedding_model": str,
            "embedding": bytes,  # little-endian float32
        },
        pk="id",
        not_null={"namespace", "kind", "content", "text", "content_hash", "created_at", "updated_at"},
    )
    db.table("memories").create_index(["namespace", "kind"])
    db.table("memories").create_index(["content_hash", "embedding_model"])
    db.table("memories").create_index(["updated_at"])


@migration
def m002_history(db: sqlite_utils.Database) -> None:
    db.table("history").create(
        {
            "id": int,
            "memory_id": str,
            "namespace": str,
            "action": str,  # insert | update | delete
            "before": str,  # JSON of the record before (null for insert)
            "after": str,  # JSON of the record after (null for delete)
            "at": str,
            "run_id": str,
            "source": str,
        },
        pk="id",
        not_null={"memory_id", "namespace", "action", "at"},
    )
    db.table("history").create_index(["memory_id"])
    db.table("history").create_index(["run_id"])


@migration
def m003_runs(db: sqlite_utils.Database) -> None:
    db.table("runs").create(
        {
            "id": str,
            "command": str,
            "arguments": str,  # JSON
            "model": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "cost": float,
            "status": str,  # running | ok | failed | partial
            "error": str,
            "started_at": str,
            "ended_at": str,
        },
        pk="id",
        defaults={"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0},
    )


@migration
def m004_fts(db: sqlite_utils.Database) -> None:
    db.table("memories").enable_fts(["text"], create_triggers=True, tokenize="porter")


@migration
def m005_meta(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")


@migration
def m006_processed(db: sqlite_utils.Database) -> None:
    """Conversations already extracted (by content hash), so re-runs skip them."""
    db.table("processed").create(
        {"namespace": str, "conversation_hash": str, "source": str, "run_id": str, "at": str,
         "inserted": int, "updated": int, "deleted": int},
        pk=("namespace", "conversation_hash"),
    )


@migration
def m007_fts_instances(db: sqlite_utils.Database) -> None:
    """The FTS5 tokens of every memory (read by the in-memory keyword index)."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts_instance USING fts5vocab(memories_fts, 'instance')")


@migration
def m008_consolidated(db: sqlite_utils.Database) -> None:
    """Memories (at a content hash) already considered by consolidate: unchanged clusters are skipped."""
    db.table("consolidated").create({"memory_id": str, "content_hash": str, "at": str}, pk="memory_id")


@migration
def m009_prompt_versions(db: sqlite_utils.Database) -> None:
    """Procedural memory: every version of every optimised prompt."""
    db.table("prompt_versions").create(
        {"id": int, "name": str, "hash": str, "text": str, "kind": str, "trajectories": int,
         "rationale": str, "changed": int, "run_id": str, "at": str},
        pk="id",
    )
    db.table("prompt_versions").create_index(["name", "id"])


@migration
def m010_validity(db: sqlite_utils.Database) -> None:
    """Issue 14: when each fact held (valid_from, valid_until; NULL = open) and what replaced it."""
    for column in ("valid_from", "valid_until", "superseded_by"):
        db.execute(f"ALTER TABLE memories ADD COLUMN {column} TEXT")
    # Reads keep memories valid now: the few rows that are not (expired, or valid from a later
    # date) are found through these two indexes.
    db.execute("CREATE INDEX memories_valid_until ON memories(valid_until) WHERE valid_until IS NOT NULL")
    db.execute("CREATE INDEX memories_valid_from ON memories(valid_from) WHERE valid_from IS NOT NULL")
    db.execute("CREATE INDEX memories_superseded_by ON memories(superseded_by) WHERE superseded_by IS NOT NULL")


@migration
def m011_watch_state(db: sqlite_utils.Database) -> None:
    """`langmem watch`: per source file, what was read (stat, byte offset, content hash); per
    conversation, what was extracted; and the lease a watcher holds on a source while it extracts."""
    db.table("watch_sources").create(
        {"path": str, "size": int, "mtime_ns": int, "inode": int, "offset": int, "content_hash": str, "at": str},
        pk="path",
    )
    db.table("watch_progress").create(
        {"path": str, "conversation": str, "count": int, "digest": str, "seen": str, "run_id": str, "at": str},
        pk=("path", "conversation"),
    )
    db.table("watch_leases").create(
        {"source": str, "holder": str, "host": str, "pid": int, "expires_at": float},
        pk="source",
    )


@migration
def m012_grounding(db: sqlite_utils.Database) -> None:
    """Issue 11: what a run counted (inserted, rejected by the grounding gate, …) and consolidation
    clusters that keep failing (parked: not re-sent every night)."""
    db.table("runs").add_column("rejected", int)
    db.table("runs").add_column("counts", str)  # JSON of the run's summary counts
    db.table("consolidate_marks").create(
        {"cluster": str, "namespace": str, "failures": int, "last_error": str, "parked": int, "at": str},
        pk="cluster",
    )


# What the keyword index reads: the memory's text, then its metadata's index_text (issue 24;
# core/index_text.py). A virtual column: computed when read, nothing stored twice.
KEYWORD_TEXT = ("text || coalesce(' ' || CASE WHEN json_valid(metadata) THEN "
                "json_extract(metadata, '$.index_text') END, '')")


@migration
def m013_keyword_text(db: sqlite_utils.Database) -> None:
    """Issue 24: the full-text index reads ``keyword_text`` (the text and the words around what a
    memory quotes) instead of ``text``; rebuilt from the rows already stored."""
    conn = db.conn
    conn.execute(f"ALTER TABLE memories ADD COLUMN keyword_text TEXT GENERATED ALWAYS AS ({KEYWORD_TEXT}) VIRTUAL")
    for trigger in ("memories_ai", "memories_ad", "memories_au"):
        conn.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
    conn.execute("DROP TABLE IF EXISTS memories_fts_instance")
    conn.execute("DROP TABLE IF EXISTS memories_fts")
    conn.execute("CREATE VIRTUAL TABLE memories_fts USING FTS5 (keyword_text, tokenize='porter', content='memories')")
    conn.execute("CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN "
                 "INSERT INTO memories_fts (rowid, keyword_text) VALUES (new.rowid, new.keyword_text); END")
    conn.execute("CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN "
                 "INSERT INTO memories_fts (memories_fts, rowid, keyword_text) "
                 "VALUES ('delete', old.rowid, old.keyword_text); END")
    conn.execute("CREATE TRIGGER memories_au AFTER UPDATE ON memories BEGIN "
                 "INSERT INTO memories_fts (memories_fts, rowid, keyword_text) "
                 "VALUES ('delete', old.rowid, old.keyword_text); "
                 "INSERT INTO memories_fts (rowid, keyword_text) VALUES (new.rowid, new.keyword_text); END")
    conn.execute("INSERT INTO memories_fts (memories_fts) VALUES ('rebuild')")
    conn.execute("CREATE VIRTUAL TABLE memories_fts_instance USING fts5vocab(memories_fts, 'instance')")


def apply(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, all in one transaction (a failure leaves the
    database as it was). Returns the names applied."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        applied = []
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            fn(db)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(timezone.utc).isoformat()),
            )
            applied.append(name)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return applied


def pending(db: sqlite_utils.Database) -> list[str]:
    if "_migrations" not in db.table_names():
        return [name for name, _ in MIGRATIONS]
    done = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    return [name for name, _ in MIGRATIONS if name not in done]
