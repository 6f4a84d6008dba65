"""A LangChain chat model that answers from a script: for LangMem's tools and managers in tests,
with no network. Each reply is an AIMessage or a function of the messages it was sent; once the
script is spent it says "done" with no tool call. ``calls`` keeps what it was sent."""

from __future__ import annotations

from typing import Any, Callable

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

Reply = AIMessage | Callable[[list[BaseMessage]], AIMessage]


def tool_call(name: str, args: dict[str, Any], call_id: str = "call_1") -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])


class ScriptedChatModel(BaseChatModel):
    script: list[Any] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.calls.append(list(messages))
        reply = self.script.pop(0) if self.script else AIMessage(content="done")
        if callable(reply) and not isinstance(reply, BaseMessage):
            reply = reply(list(messages))
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        # a binding, as real chat models return (trustcall reaches the model through ``.bound``)
        return self.bind()
