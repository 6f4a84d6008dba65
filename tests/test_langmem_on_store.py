"""LangMem 0.0.30's tools and memory manager on LangmemStore, with a scripted chat model (no
network), on SQLite and both PostgreSQL servers."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("langmem")

from conftest import Cli  # noqa: E402
from langmem import (  # noqa: E402
    create_manage_memory_tool,
    create_memory_store_manager,
    create_search_memory_tool,
)
from support.scripted_chat import ScriptedChatModel, tool_call  # noqa: E402

from langmem_cli.langgraph import LangmemStore  # noqa: E402

CONFIG = {"configurable": {"user_id": "alice"}}


@pytest.fixture
def lg(backend_db: str):
    with LangmemStore.from_conn_string(backend_db) as store:
        yield store


def test_manage_and_search_tools_create_update_delete_and_find(lg: LangmemStore, backend_db: str) -> None:
    manage = create_manage_memory_tool(namespace=("memories", "{user_id}"), store=lg)
    search = create_search_memory_tool(namespace=("memories", "{user_id}"), store=lg)
    created = manage.invoke({"content": "Alice is vegetarian", "action": "create"}, config=CONFIG)
    memory_id = created.split()[-1]
    manage.invoke({"content": "Alice cooks lentil curry on Sundays", "action": "create"}, config=CONFIG)
    found = json.loads(search.invoke({"query": "what does Alice eat?"}, config=CONFIG))
    assert {f["value"]["content"] for f in found} == {"Alice is vegetarian", "Alice cooks lentil curry on Sundays"}
    assert all(isinstance(f["score"], float) for f in found)

    manage.invoke({"content": "Alice is vegan since March", "action": "update", "id": memory_id}, config=CONFIG)
    assert lg.get(("memories", "alice"), memory_id).value == {"content": "Alice is vegan since March"}
    # what the agent wrote is an ordinary memory
    listed = Cli(backend_db).json("list", "--namespace", "memories/alice")
    assert {r["content"]["content"] for r in listed} == {"Alice is vegan since March",
                                                         "Alice cooks lentil curry on Sundays"}

    manage.invoke({"action": "delete", "id": memory_id}, config=CONFIG)
    found = json.loads(search.invoke({"query": "vegan"}, config=CONFIG))
    assert [f["value"]["content"] for f in found] == ["Alice cooks lentil curry on Sundays"]
    # the model's delete invalidated the memory; it is not erased
    assert len(Cli(backend_db).json("list", "--namespace", "memories/alice", "--include-expired")) == 2


def test_search_tool_passes_filters_limit_and_offset(lg: LangmemStore) -> None:
    for i in range(12):
        lg.put(("memories", "alice"), f"k{i}", {"content": f"note {i} about tea", "rank": i})
    search = create_search_memory_tool(namespace=("memories", "{user_id}"), store=lg)
    found = json.loads(search.invoke({"query": "tea", "filter": {"rank": {"$gte": 6}}, "limit": 4, "offset": 4},
                                     config=CONFIG))
    assert len(found) == 2 and all(f["value"]["rank"] >= 6 for f in found)


def test_an_agent_with_a_scripted_model_uses_the_tools(lg: LangmemStore) -> None:
    from langchain.agents import create_agent

    model = ScriptedChatModel(script=[
        tool_call("manage_memory", {"content": "User's dog is called Max", "action": "create"}),
        lambda messages: tool_call("search_memory", {"query": "dog name"}, "call_2"),
        lambda messages: AIMessageFrom(messages),
    ])
    agent = create_agent(model, tools=[create_manage_memory_tool(namespace=("memories", "{user_id}")),
                                             create_search_memory_tool(namespace=("memories", "{user_id}"))],
                               store=lg)
    result = agent.invoke({"messages": [{"role": "user", "content": "My dog is Max. What is his name?"}]},
                          config=CONFIG)
    assert "Max" in result["messages"][-1].content
    [item] = lg.search(("memories", "alice"))
    assert item.value == {"content": "User's dog is called Max"}


def AIMessageFrom(messages):  # noqa: N802 - the final answer repeats what the search tool returned
    from langchain_core.messages import AIMessage

    found = json.loads(messages[-1].content)
    return AIMessage(content=f"Your dog is {found[0]['value']['content'].split()[-1]}")


def test_memory_store_manager_extracts_updates_and_searches(lg: LangmemStore) -> None:
    model = ScriptedChatModel(script=[
        tool_call("Memory", {"content": "Alice lives in Lisbon"}),
    ])
    manager = create_memory_store_manager(model, namespace=("memories", "{user_id}"), store=lg)
    puts = manager.invoke({"messages": [{"role": "user", "content": "I live in Lisbon now."}]}, config=CONFIG)
    assert [p["value"] for p in puts] == [{"kind": "Memory", "content": {"content": "Alice lives in Lisbon"}}]
    [item] = lg.search(("memories", "alice"), query="where does Alice live")
    assert item.value["content"] == {"content": "Alice lives in Lisbon"}
    # the second conversation: the manager finds the stored memory and the model patches it
    model.script.append(lambda messages: tool_call("PatchDoc", {
        "json_doc_id": shown_id(messages), "planned_edits": "replace the city",
        "patches": [{"op": "replace", "path": "/content", "value": "Alice moved to Porto"}]}, "call_2"))
    manager.invoke({"messages": [{"role": "user", "content": "I moved to Porto."}]}, config=CONFIG)
    [moved] = lg.search(("memories", "alice"))
    assert moved.key == item.key and moved.value["content"] == {"content": "Alice moved to Porto"}
    assert "Lisbon" in str(model.calls[-1])  # the existing memory was shown to the model
    assert [i.value.content for i in manager.search(query="Porto", config=CONFIG)] == [
        "Alice moved to Porto"]


def shown_id(messages) -> str:
    """The id LangMem showed the model for the one existing memory (as a model would read it)."""
    import re

    [found] = set(re.findall(r"\b[0-9a-f]{32}\b", " ".join(str(m.content) for m in messages)))
    return found


def test_async_tools_and_manager_and_a_model_proposed_removal(lg: LangmemStore, backend_db: str) -> None:
    import asyncio

    manage = create_manage_memory_tool(namespace=("memories", "{user_id}"), store=lg)
    model = ScriptedChatModel(script=[tool_call("Memory", {"content": "Alice has a cat named Tom"})])
    manager = create_memory_store_manager(model, namespace=("facts", "{user_id}"), store=lg, enable_deletes=True)

    async def main():
        await manage.ainvoke({"content": "Alice prefers mornings", "action": "create"}, config=CONFIG)
        await manager.ainvoke({"messages": [{"role": "user", "content": "My cat is Tom."}]}, config=CONFIG)
        model.script.append(lambda messages: tool_call("RemoveDoc", {"json_doc_id": shown_id(messages)}, "c3"))
        await manager.ainvoke({"messages": [{"role": "user", "content": "Tom ran away, forget him."}]},
                              config=CONFIG)
        return await lg.asearch(("memories", "alice")), await lg.asearch(("facts", "alice"))

    tool_items, manager_items = asyncio.run(main())
    assert [i.value for i in tool_items] == [{"content": "Alice prefers mornings"}]
    assert manager_items == []  # removed by the model: closed, kept for the record
    closed = Cli(backend_db).json("list", "--namespace", "facts/alice", "--include-expired")
    assert [r["content"]["content"]["content"] for r in closed] == ["Alice has a cat named Tom"]
    assert closed[0]["valid_until"]
