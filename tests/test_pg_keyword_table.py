"""Issue 28: on PostgreSQL the keyword side ranks over ``memory_keywords``, a narrow copy of each
memory's tsvector and scope columns (migration 8), kept in step with ``memories`` by a trigger.
A database made by the previous schema is filled on open; every write (put, update, supersede,
annotate, delete, bulk delete, purge) leaves the copy equal to the memories; an erased memory is
gone from it and its pages rewritten. Runs on both real servers."""

from __future__ import annotations

import pytest

from langmem_cli.core.extraction import Operation
from langmem_cli.core.records import NewMemory
from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.store.postgres import schema
from langmem_cli.store.postgres.store import PostgresStore

COLUMNS = "id, seq, namespace, kind, valid_from, valid_until, tsv::text"


def open_pg(url: str) -> PostgresStore:
    return PostgresStore(url, embedder=HashEmbedder(64))


def differences(store: PostgresStore) -> tuple[list[tuple], list[tuple]]:
    """Rows of memories missing from the keyword table, and rows of it that no memory has."""
    missing = store.runner.query(f"SELECT {COLUMNS} FROM memories EXCEPT SELECT {COLUMNS} FROM memory_keywords")
    extra = store.runner.query(f"SELECT {COLUMNS} FROM memory_keywords EXCEPT SELECT {COLUMNS} FROM memories")
    return missing, extra


def in_step(store: PostgresStore) -> None:
    assert differences(store) == ([], [])


def keyword_ids(store: PostgresStore, query: str, **scope) -> list[str]:
    return [h.memory.id for h in store.search(query, mode="keyword", limit=20, **scope)]


def test_a_database_of_the_previous_schema_is_filled_on_open_and_searched(pg_url: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    previous = [m for m in schema.MIGRATIONS if m[0] < 8]
    monkeypatch.setattr(schema, "MIGRATIONS", previous)
    with open_pg(pg_url) as old:  # the schema as the previous version left it
        assert old.runner.query("SELECT to_regclass('memory_keywords')") == [(None,)]
        made = old.put_many([NewMemory(f"up/{i % 3}", f"note {i} about {'zanzibar' if i % 10 == 0 else 'weather'}",
                                       kind="fact" if i % 4 == 0 else "memory") for i in range(60)])
        closed = old.put("up/0", "Alice lives in Paris", valid_from="2020-01-01")
        old.apply_operations("up/0", [Operation("update", "memory", {"content": "Alice lives in Oslo"}, closed.id,
                                                valid_from="2024-05-01")], source="t")
        old.delete(made[1].id)
    monkeypatch.undo()
    with open_pg(pg_url) as store:
        assert "pg008_memory_keywords" in store.stats()["migrations"]
        assert store.runner.query("SELECT count(*) FROM memory_keywords") == [(61,)]
        in_step(store)
        # the memories' own GIN index is gone (the narrow table's serves the keyword side)
        assert store.runner.query("SELECT to_regclass('memories_tsv')") == [(None,)]
        zanzibar = {m.id for m in made if "zanzibar" in m.text}
        assert set(keyword_ids(store, "zanzibar")) == zanzibar
        assert set(keyword_ids(store, "zanzibar", namespace="up/0")) == {m.id for m in made[::30]}
        assert [store.get(i).text for i in keyword_ids(store, "Alice lives")] == ["Alice lives in Oslo"]
        assert [store.get(i).text for i in keyword_ids(store, "Alice lives", as_of="2022-06-01")] == ["Alice lives in Paris"]
        hybrid = store.search("zanzibar", limit=6)
        assert {h.memory.id for h in hybrid} == zanzibar and all(h.keyword_score for h in hybrid)
        # and from now on the trigger keeps it
        new = store.put("up/9", "a trip to zanzibar")
        assert new.id in keyword_ids(store, "zanzibar")
        in_step(store)


def test_every_write_keeps_the_keyword_table_in_step(pg_url: str) -> None:
    with open_pg(pg_url) as store:
        made = store.put_many([NewMemory(f"w/{i % 2}", f"entry {i} mentions {'kestrel' if i % 5 == 0 else 'sparrow'}")
                               for i in range(20)])
        in_step(store)
        # update: new text, new tsvector
        store.update(made[0].id, "now about a heron")
        in_step(store)
        assert made[0].id not in keyword_ids(store, "kestrel") and keyword_ids(store, "heron") == [made[0].id]
        # supersede: the old one is closed (valid_until), a new one inserted
        store.apply_operations("w/1", [Operation("update", "memory", {"content": "entry 5 mentions an osprey"},
                                                 made[5].id)], source="t")
        in_step(store)
        assert made[5].id not in keyword_ids(store, "kestrel") and made[5].id in keyword_ids(store, "kestrel",
                                                                                             include_expired=True)
        # an invalidation (a model's delete) closes it too
        store.apply_operations("w/0", [Operation("delete", "memory", None, made[10].id)], source="t")
        in_step(store)
        assert made[10].id not in keyword_ids(store, "kestrel")
        # annotate / reindex touch no keyword column: nothing to do, still in step
        store.runner.execute("UPDATE memories SET metadata = '{\"x\": 1}', embedding = NULL WHERE id = %s", [made[2].id])
        in_step(store)
        # deletes
        store.delete(made[3].id)
        in_step(store)
        store.delete_where(namespace="w/0")
        in_step(store)
        assert store.runner.query("SELECT count(*) FROM memory_keywords WHERE namespace = 'w/0'") == [(0,)]


def test_an_erased_memory_is_gone_from_the_keyword_table_and_its_pages_rewritten(pg_url: str) -> None:
    with open_pg(pg_url) as store:
        secret = store.put("e/a", "my passport number is xq7734")
        store.put("e/a", "an ordinary note")
        before = store.runner.query("SELECT pg_relation_filenode('memory_keywords')")[0][0]
        store.purge([secret.id])
        in_step(store)
        assert store.runner.query("SELECT count(*) FROM memory_keywords WHERE tsv @@ to_tsquery('english', 'xq7734')") \
            == [(0,)]
        assert keyword_ids(store, "passport xq7734") == []
        # VACUUM FULL rewrote the table: no dead row version still holds the erased words
        assert store.runner.query("SELECT pg_relation_filenode('memory_keywords')")[0][0] != before
