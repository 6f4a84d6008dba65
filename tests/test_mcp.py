"""`langmem mcp`: a real MCP client from the SDK starts the server as a subprocess over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

pytest.importorskip("mcp")
from mcp import Client, StdioServerParameters  # noqa: E402


def server_params(db_path, *args, **env):
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "langmem_cli", "--db", str(db_path), "mcp", *args],
        env={**{k: v for k, v in os.environ.items() if k.startswith(("LANGMEM", "HF_", "PATH", "HOME"))}, **env},
    )


def payload(result):
    if result.structured_content is not None:
        value = result.structured_content
        return value.get("result", value) if isinstance(value, dict) and set(value) == {"result"} else value
    return json.loads(result.content[0].text)


def error_text(result) -> str:
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=120))


def test_tools_create_update_search_delete_and_cli_sees_them(db_path, cli):
    async def session():
        async with Client(server_params(db_path, "-n", "memories/{user_id}", "--var", "user_id=alice")) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"manage_memory", "search_memory"} <= names
            created = payload(await client.call_tool("manage_memory", {"content": "Alice is allergic to peanuts"}))
            other = payload(await client.call_tool("manage_memory", {"content": "Alice plays the cello"}))
            updated = payload(await client.call_tool(
                "manage_memory", {"action": "update", "id": created["id"], "content": "Alice is allergic to peanuts and cashews"}))
            hits = payload(await client.call_tool("search_memory", {"query": "allergic to cashews", "limit": 5}))
            deleted = payload(await client.call_tool("manage_memory", {"action": "delete", "id": other["id"]}))
            return created, other, updated, hits, deleted

    created, other, updated, hits, deleted = run(session())
    # the agent is a model: its update supersedes (a new version, the old one closed and linked) and
    # its delete invalidates; nothing is erased
    assert created["action"] == "created" and updated["action"] == "updated" and updated["replaces"] == created["id"]
    assert deleted == {"action": "invalidated", "id": other["id"]}
    assert hits[0]["id"] == updated["id"] and "cashews" in hits[0]["text"]
    assert {"score", "created_at", "updated_at", "content"} <= set(hits[0])
    # the CLI sees the same memory, the same record format as extract, and its history
    memory = cli.json("get", updated["id"])
    assert memory["namespace"] == "memories/alice" and memory["content"] == {"content": "Alice is allergic to peanuts and cashews"}
    assert memory["source"] == "mcp"
    old = cli.json("get", created["id"])
    assert old["text"] == "Alice is allergic to peanuts" and old["superseded_by"] == updated["id"] and old["valid_until"]
    history = cli.json("history", created["id"])
    assert [h["action"] for h in history] == ["insert", "supersede", "insert"] and history[0]["run_id"]
    gone = cli.json("get", other["id"])
    assert gone["valid_until"] and not gone.get("superseded_by")
    assert [h["action"] for h in cli.json("history", other["id"])] == ["insert", "invalidate"]
    assert other["id"] not in {m["id"] for m in cli.json("list", "-n", "memories/alice")}
    assert [r for r in cli.json("runs") if r["command"] == "mcp"][0]["status"] == "ok"


def test_an_agent_cannot_change_a_version_that_is_no_longer_valid(db_path, cli):
    old = cli.put("Alice lives in Lyon", "-n", "memories/alice")

    async def session():
        async with Client(server_params(db_path, "-n", "memories/alice")) as client:
            call = client.call_tool
            new = payload(await call("manage_memory", {"action": "update", "id": old["id"], "content": "Alice lives in Porto"}))
            again = await call("manage_memory", {"action": "update", "id": old["id"], "content": "Alice lives in Oslo"})
            gone = await call("manage_memory", {"action": "delete", "id": old["id"]})
            return new, error_text(again), error_text(gone)

    new, again, gone = run(session())
    assert again == gone and again.endswith(f"memory {old['id']} is no longer valid; its current version is {new['id']}")
    assert [m["text"] for m in cli.json("list", "-n", "memories/alice")] == ["Alice lives in Porto"]


def test_refusals_keep_the_server_running_and_write_nothing(db_path, cli):
    foreign = cli.put("Bob's secret", "-n", "memories/bob")

    async def session():
        async with Client(server_params(db_path, "-n", "memories/{user_id}", "--actions", "create,update",
                                        user_id="alice")) as client:
            call = client.call_tool
            out = {
                "delete": await call("manage_memory", {"action": "delete", "id": foreign["id"]}),
                "foreign": await call("manage_memory", {"action": "update", "id": foreign["id"], "content": "x"}),
                "unknown": await call("manage_memory", {"action": "update", "id": "nope", "content": "x"}),
                "empty": await call("manage_memory", {"content": "   "}),
                "wrong": await call("manage_memory", {"action": "explode", "content": "x"}),
                "big": await call("manage_memory", {"content": "x" * 10_001}),
                "noid": await call("manage_memory", {"action": "update", "content": "x"}),
                "query": await call("search_memory", {"query": ""}),
            }
            ok = payload(await call("manage_memory", {"content": "still alive"}))
            return out, ok

    out, ok = run(session())
    assert "not enabled" in error_text(out["delete"])
    assert "no memory with id" in error_text(out["foreign"]) and "no memory with id" in error_text(out["unknown"])
    assert "empty" in error_text(out["empty"])
    assert "unknown action" in error_text(out["wrong"])
    assert "limit is 10000" in error_text(out["big"])
    assert "needs the id" in error_text(out["noid"])
    assert "query is empty" in error_text(out["query"])
    assert ok["action"] == "created"
    assert cli.json("get", foreign["id"])["text"] == "Bob's secret"
    assert [m["text"] for m in cli.json("list", "-n", "memories/alice")] == ["still alive"]


def test_missing_template_variable_fails_at_start(db_path, cli):
    result = cli("--db", db_path, "mcp", "-n", "memories/{tenant_xyz}", code=2)
    assert "tenant_xyz" in result.stderr


def test_structured_kind_validates_content(db_path):
    async def session():
        async with Client(server_params(db_path, "-n", "eps", "--kind", "episode")) as client:
            bad = await client.call_tool("manage_memory", {"content": {"thoughts": "no observation"}})
            good = payload(await client.call_tool("manage_memory", {"content": {"observation": "user asked", "result": "done"}}))
            return bad, good

    bad, good = run(session())
    assert "observation" in error_text(bad) and good["action"] == "created"


def test_tools_have_annotations_an_action_enum_and_short_validation_errors(db_path):
    async def session():
        async with Client(server_params(db_path, "--actions", "create,update")) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            call = client.call_tool
            errors = {
                "type": await call("search_memory", {"query": "tea", "limit": "many"}),
                "disabled": await call("manage_memory", {"action": "delete", "id": "x"}),
                "unknown": await call("manage_memory", {"action": "explode", "content": "x"}),
            }
            return listed, errors

    listed, errors = run(session())
    search, manage = listed["search_memory"], listed["manage_memory"]
    assert search.annotations.read_only_hint is True and search.annotations.destructive_hint is False
    assert search.title == "Search memories"
    assert manage.annotations.read_only_hint is False and manage.annotations.destructive_hint is False  # no delete
    assert manage.input_schema["properties"]["action"]["enum"] == ["create", "update"]
    for name, result in errors.items():
        text = error_text(result)
        assert "\n" not in text and "pydantic" not in text and "http" not in text, (name, text)
    assert "limit" in error_text(errors["type"]) and "integer" in error_text(errors["type"])
    assert "'delete' is not enabled on this server (enabled: create, update)" in error_text(errors["disabled"])
    assert "unknown action 'explode': use create, update" in error_text(errors["unknown"])


def test_delete_enabled_is_a_destructive_hint(db_path):
    async def session():
        async with Client(server_params(db_path)) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    manage = run(session())["manage_memory"]
    assert manage.annotations.destructive_hint is True and manage.title == "Save, update or delete a memory"
    assert manage.input_schema["properties"]["action"]["enum"] == ["create", "update", "delete"]
