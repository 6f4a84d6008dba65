"""The README section "Use with LangGraph and LangMem": every python block runs, in order, in one
namespace, with the on-device model, and prints what the text block after it says. The chat model
(``init_chat_model``) is the scripted one from tests/support: no network."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("langmem")

from support.scripted_chat import ScriptedChatModel, tool_call  # noqa: E402

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def section_blocks() -> list[tuple[str, str | None]]:
    """(python code, the text block that follows it or None)."""
    body = README.split("## Use with LangGraph and LangMem", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(python|text)\n(.*?)```", body, re.S)
    out: list[tuple[str, str | None]] = []
    for kind, text in blocks:
        if kind == "python":
            out.append((text, None))
        else:
            out[-1] = (out[-1][0], text)
    return out


@pytest.mark.model
def test_the_langgraph_section_runs_and_prints_what_it_says(model_env, tmp_path, monkeypatch) -> None:
    from langchain_core.messages import AIMessage

    monkeypatch.chdir(tmp_path)
    model = ScriptedChatModel(script=[
        tool_call("manage_memory", {"content": "The user's dog is called Max", "action": "create"}),
        AIMessage(content="Noted: Max."),
        tool_call("Memory", {"content": "Alice started learning the cello"}),
    ])
    import langchain.chat_models

    monkeypatch.setattr(langchain.chat_models, "init_chat_model", lambda *a, **k: model)
    blocks = section_blocks()
    assert len(blocks) >= 3
    namespace: dict = {}
    for code, expected in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
        if expected is not None:
            assert out.getvalue().splitlines() == expected.splitlines(), code
    assert not model.script  # the agent and the manager used every scripted reply
