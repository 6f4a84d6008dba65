"""The PostgreSQL schema: versioned, append-only migrations applied on connect under an advisory
lock (several processes may open a new database at once), and the server's pgvector abilities.

Text that is compared or sorted (namespaces, kinds, timestamps) is ``COLLATE "C"``: byte order,
as SQLite compares, whatever the database's locale. A namespace prefix is then a byte range that
the b-tree index serves (see clauses.py), with no LIKE pattern at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


# Advisory lock keys (one 64-bit key space per database): hashes of fixed names.
def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"langmem:{name}".encode()).digest()[:8], "big", signed=True)


MIGRATE_LOCK = lock_key("migrate")
VECTOR_INDEX_LOCK = lock_key("vector-index")

C = 'COLLATE "C"'

# (version, name, statements). Never edit or reorder one that has shipped: append.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "pg001_memories", [
        "CREATE EXTENSION IF NOT EXISTS vector",
        f"""CREATE TABLE memories (
            id text {C} PRIMARY KEY,
            seq bigserial NOT NULL UNIQUE,
            namespace text {C} NOT NULL,
            kind text {C} NOT NULL,
            content text NOT NULL,
            text text NOT NULL,
            content_hash text {C} NOT NULL,
            metadata text NOT NULL DEFAULT '{{}}',
            source text,
            created_at text {C} NOT NULL,
            updated_at text {C} NOT NULL,
            embedding_model text {C},
            embedding vector,
            valid_from text {C},
            valid_until text {C},
            superseded_by text {C},
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED
        )""",
        # Vectors stay in the row (pgvector's default storage moves a 1.5 KB vector to TOAST as
        # soon as the row passes 2 KB, and an exact scan then reads three pages per row).
        "ALTER TABLE memories ALTER COLUMN embedding SET STORAGE MAIN",
        "ALTER TABLE memories SET (toast_tuple_target = 8160)",
        "CREATE INDEX memories_namespace_kind ON memories (namespace, kind)",
        "CREATE INDEX memories_hash_model ON memories (content_hash, embedding_model)",
        "CREATE INDEX memories_created ON memories (created_at, seq)",
        "CREATE INDEX memories_updated ON memories (updated_at, seq)",
        "CREATE INDEX memories_superseded_by ON memories (superseded_by) WHERE superseded_by IS NOT NULL",
        "CREATE INDEX memories_tsv ON memories USING gin (tsv)",
    ]),
    (2, "pg002_history", [
        f"""CREATE TABLE history (
            id bigserial PRIMARY KEY,
            memory_id text {C} NOT NULL,
            namespace text {C} NOT NULL,
            action text NOT NULL,
            before text,
            after text,
            at text {C} NOT NULL,
            run_id text,
            source text
        )""",
        "CREATE INDEX history_memory ON history (memory_id, id)",
        "CREATE INDEX history_run ON history (run_id)",
        "CREATE INDEX history_namespace ON history (namespace)",
    ]),
    (3, "pg003_runs", [
        f"""CREATE TABLE runs (
            id text PRIMARY KEY, command text, arguments text, model text,
            prompt_tokens bigint NOT NULL DEFAULT 0, completion_tokens bigint NOT NULL DEFAULT 0,
            cost double precision NOT NULL DEFAULT 0, status text, error text,
            started_at text {C}, ended_at text {C}
        )""",
        "CREATE INDEX runs_started ON runs (started_at)",
    ]),
    (4, "pg004_meta_processed_consolidated", [
        "CREATE TABLE meta (key text PRIMARY KEY, value text)",
        f"""CREATE TABLE processed (
            namespace text {C} NOT NULL, conversation_hash text NOT NULL, source text, run_id text,
            at text, inserted integer, updated integer, deleted integer,
            PRIMARY KEY (namespace, conversation_hash)
        )""",
        "CREATE TABLE consolidated (memory_id text PRIMARY KEY, content_hash text, at text)",
    ]),
    (5, "pg005_prompt_versions", [
        f"""CREATE TABLE prompt_versions (
            id bigserial PRIMARY KEY, name text {C} NOT NULL, hash text, text text, kind text,
            trajectories integer, rationale text, changed integer, run_id text, at text
        )""",
        "CREATE INDEX prompt_versions_name ON prompt_versions (name, id)",
    ]),
    (6, "pg006_grounding", [  # issue 11: a run's counts (rejected by the gate), parked clusters
        "ALTER TABLE runs ADD COLUMN rejected integer",
        "ALTER TABLE runs ADD COLUMN counts text",
        f"""CREATE TABLE consolidate_marks (
            cluster text PRIMARY KEY, namespace text {C}, failures integer NOT NULL, last_error text,
            parked integer NOT NULL, at text
        )""",
    ]),
    (7, "pg007_watch_state", [  # issue 13: `langmem watch` (as SQLite's m011)
        f"""CREATE TABLE watch_sources (
            path text {C} PRIMARY KEY, size bigint, mtime_ns bigint, inode bigint, byte_offset bigint,
            content_hash text, at text
        )""",
        f"""CREATE TABLE watch_progress (
            path text {C} NOT NULL, conversation text NOT NULL, count integer, digest text, seen text,
            run_id text, at text, PRIMARY KEY (path, conversation)
        )""",
        "CREATE TABLE watch_leases (source text PRIMARY KEY, holder text, host text, pid integer, "
        "expires_at double precision)",
    ]),
    # issue 28: the keyword side ranks over a narrow copy of what it reads (the tsvector and the
    # columns a scope is made of: about a tenth of a memories row, which carries its vector), kept
    # in step with memories by a trigger whatever writes (put, update, supersede, delete, purge,
    # reindex, another program), filled here from the rows an older version wrote.
    (8, "pg008_memory_keywords", [
        f"""CREATE TABLE memory_keywords (
            id text {C} PRIMARY KEY,
            seq bigint NOT NULL,
            namespace text {C} NOT NULL,
            kind text {C} NOT NULL,
            valid_from text {C},
            valid_until text {C},
            tsv tsvector NOT NULL
        )""",
        "INSERT INTO memory_keywords (id, seq, namespace, kind, valid_from, valid_until, tsv) "
        "SELECT id, seq, namespace, kind, valid_from, valid_until, tsv FROM memories ORDER BY seq",
        "CREATE INDEX memory_keywords_tsv ON memory_keywords USING gin (tsv)",
        "CREATE INDEX memory_keywords_namespace_kind ON memory_keywords (namespace, kind)",
        """CREATE FUNCTION langmem_memory_keywords() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                TRUNCATE memory_keywords;
            ELSIF TG_OP = 'DELETE' THEN
                DELETE FROM memory_keywords WHERE id = OLD.id;
            ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO memory_keywords (id, seq, namespace, kind, valid_from, valid_until, tsv)
                VALUES (NEW.id, NEW.seq, NEW.namespace, NEW.kind, NEW.valid_from, NEW.valid_until, NEW.tsv);
            ELSIF (NEW.id, NEW.seq, NEW.namespace, NEW.kind, NEW.valid_from, NEW.valid_until, NEW.tsv)
                    IS DISTINCT FROM (OLD.id, OLD.seq, OLD.namespace, OLD.kind, OLD.valid_from, OLD.valid_until, OLD.tsv) THEN
                UPDATE memory_keywords SET id = NEW.id, seq = NEW.seq, namespace = NEW.namespace, kind = NEW.kind,
                    valid_from = NEW.valid_from, valid_until = NEW.valid_until, tsv = NEW.tsv
                WHERE id = OLD.id;
            END IF;
            RETURN NULL;
        END
        $$""",
        "CREATE TRIGGER memories_keywords AFTER INSERT OR UPDATE OR DELETE ON memories "
        "FOR EACH ROW EXECUTE FUNCTION langmem_memory_keywords()",
        "CREATE TRIGGER memories_keywords_truncate AFTER TRUNCATE ON memories "
        "FOR EACH STATEMENT EXECUTE FUNCTION langmem_memory_keywords()",
        # The memories' own GIN index served only the keyword side (the column stays: its
        # statistics tell common terms from rare ones).
        "DROP INDEX IF EXISTS memories_tsv",
        "ANALYZE memory_keywords",
    ]),
    # issue 24: the keyword side reads the text and the words around what a memory quotes
    # (metadata.index_text, core/index_text.py); memory_keywords takes the new tsvector from the
    # trigger on the next write of a row, and here for the rows already stored.
    (9, "pg009_keyword_text", [
        "ALTER TABLE memories DROP COLUMN tsv",
        "ALTER TABLE memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, "
        "text || coalesce(' ' || (metadata::jsonb ->> 'index_text'), ''))) STORED",
        "UPDATE memory_keywords k SET tsv = m.tsv FROM memories m WHERE k.id = m.id AND k.tsv IS DISTINCT FROM m.tsv",
        "ANALYZE memory_keywords",
    ]),
]


def apply(conn) -> list[str]:
    """Apply pending migrations in one transaction, holding the migration lock. Returns names."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS langmem_migrations (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at text NOT NULL)"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM langmem_migrations")}
        applied = []
        for version, name, statements in MIGRATIONS:
            if version in done:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO langmem_migrations (version, name, applied_at) VALUES (%s, %s, now()::text)",
                (version, name),
            )
            applied.append(name)
    return applied


def pending(conn) -> bool:
    """Whether any migration is missing (checked without the lock; apply() re-checks under it)."""
    exists = conn.execute("SELECT to_regclass('langmem_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return True
    done = {row[0] for row in conn.execute("SELECT version FROM langmem_migrations")}
    return any(version not in done for version, _, _ in MIGRATIONS)


def applied_names(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM langmem_migrations ORDER BY version")]


@dataclass(frozen=True)
class Capabilities:
    """What the server's pgvector can do."""

    pgvector: tuple[int, ...]
    server_version: int

    @property
    def halfvec(self) -> bool:  # pgvector 0.7.0
        return self.pgvector >= (0, 7, 0)

    @property
    def iterative_scan(self) -> bool:  # pgvector 0.8.0
        return self.pgvector >= (0, 8, 0)

    @property
    def index_type(self) -> str:
        return "halfvec" if self.halfvec else "vector"


def capabilities(conn) -> Capabilities:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    version = tuple(int(p) for p in row[0].split(".") if p.isdigit()) if row else (0,)
    return Capabilities(version, conn.info.server_version)


def vector_index_name(model: str, dim: int) -> str:
    return "memories_hnsw_" + hashlib.sha256(f"{model}\0{dim}".encode()).hexdigest()[:16]


def vector_expression(caps: Capabilities, dim: int) -> str:
    """The indexed expression: the stored float32 vector cast to ``halfvec(dim)`` (half the index
    size) where pgvector has it, else to ``vector(dim)``. Queries order by this same expression."""
    return f"(embedding::{caps.index_type}({int(dim)}))"


def ensure_vector_index(conn, caps: Capabilities, model: str, dim: int) -> bool:
    """Create the HNSW index of one (model, dimension) if missing. Returns True if it exists now.

    Only vectors of that model and size are in it (a partial index); building it takes the
    vector-index advisory lock so that concurrent processes build it once."""
    from psycopg import sql

    name = vector_index_name(model, dim)
    if conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]:
        return True
    ops = f"{caps.index_type}_ip_ops"
    statement = sql.SQL(
        "CREATE INDEX IF NOT EXISTS {name} ON memories USING hnsw ({expr} {ops}) "
        "WHERE embedding_model = {model} AND vector_dims(embedding) = {dim}"
    ).format(name=sql.Identifier(name), expr=sql.SQL(vector_expression(caps, dim)), ops=sql.SQL(ops),
             model=sql.Literal(model), dim=sql.Literal(int(dim)))
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (VECTOR_INDEX_LOCK,))
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        conn.execute(statement)
    return True
