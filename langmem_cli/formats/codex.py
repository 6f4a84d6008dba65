"""OpenAI Codex CLI session rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``): lines
``{"timestamp", "type", "payload"}`` of type ``session_meta``, ``response_item``, ``event_msg``,
``turn_context`` or ``compacted`` (older rollouts: a first line ``{"id", "timestamp", "instructions"}``,
then bare items and ``{"record_type": "state"}`` lines). The file is one conversation.

Read: ``response_item`` messages (user, assistant; developer/system instructions are skipped), function and
shell calls as context, their output as ``tool``. Skipped, with the reason: the environment context and
AGENTS.md instructions Codex sends as "user" turns, reasoning, compaction summaries, turn contexts and
events (``event_msg`` user/agent messages repeat the message lines; they are read only in a file that
has no message lines). Metadata: ``session_id``, ``cwd`` (``cwds`` when it changes), ``git_branch``,
``started_at``.
"""

from __future__ import annotations

from typing import Any, Iterator

from langmem_cli.core.conversation import Conversation, Message
from langmem_cli.formats.common import ReadReport, Record, at, kind, message, timestamp
from langmem_cli.formats.content import flatten_content, parts, split_message, tool_call, tool_result

_MACHINE_MADE = (  # "user" texts Codex writes itself: (prefix, reason)
    ("<environment_context>", "environment context"),
    ("<user_instructions>", "AGENTS.md instructions"),
    ("# AGENTS.md instructions", "AGENTS.md instructions"),
    ("<INSTRUCTIONS>", "AGENTS.md instructions"),
    ("<user_shell_command>", "shell command"),
    ("<turn_aborted>", "interrupt marker"),
)


def _item(payload: dict[str, Any], stamp: str | None, line: int | None, skip: Any) -> list[Message]:
    type_ = payload.get("type")
    if type_ == "message":
        role = payload.get("role")
        if not isinstance(role, str):
            raise ValueError("a message item needs a string 'role'")
        if role in ("developer", "system"):
            skip("developer instructions", role, flatten_content(payload.get("content")))
            return []
        content_parts = parts(payload.get("content"))
        if role == "user":
            kept = []
            for part_kind, text in content_parts:
                reason = next((why for prefix, why in _MACHINE_MADE if text.startswith(prefix)), None)
                if reason:
                    skip(reason, role, text)
                else:
                    kept.append((part_kind, text))
            content_parts = kept
        return split_message(role, content_parts, lambda why, text: skip(why, role, text), None, stamp, line)
    if type_ in ("function_call", "custom_tool_call", "local_shell_call", "web_search_call"):
        arguments = payload.get("arguments", payload.get("input", payload.get("action", {})))
        return [Message("assistant", tool_call(payload.get("name") or type_, arguments), None, stamp, line, True)]
    if type_ in ("function_call_output", "custom_tool_call_output", "local_shell_call_output"):
        output = payload.get("output")
        if isinstance(output, dict):
            output = output.get("content", output.get("output", ""))
        text = output if isinstance(output, str) else flatten_content(output) if isinstance(output, list) else ""
        return [Message("tool", tool_result(text), None, stamp, line)]
    if type_ == "reasoning":
        skip("thinking", None, "")
        return []
    skip(f"'{str(type_)[:40]}' item", None, "")
    return []


def read_codex(records: Iterator[Record], name: str, report: ReadReport) -> Iterator[Conversation]:
    metadata: dict[str, Any] = {}
    messages: list[Message] = []
    events: list[tuple[Record, Message]] = []
    source = f"{name}:1"
    first_line = None

    def skipper(line: int) -> Any:
        return lambda reason, role, text: report.skip(line, reason, role, text, source)

    for record in records:
        obj = record.value
        with at(record.location):
            obj = _legacy(obj)
            if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not isinstance(obj.get("payload"), dict):
                raise ValueError("expected a Codex rollout line: an object with a 'type' and a 'payload' object")
            type_, payload = obj["type"], obj["payload"]
            stamp = timestamp(obj.get("timestamp"))
            skip = skipper(record.line)
            if first_line is None:
                first_line = record.line
            if type_ == "session_meta":
                _session_meta(metadata, payload, stamp)
                skip("session metadata", None, payload.get("instructions") or "")
            elif type_ == "turn_context":
                _cwd(metadata, payload.get("cwd"))
                skip("turn context", None, "")
            elif type_ == "response_item":
                messages.extend(_item(payload, stamp, record.message_line, skip))
            elif type_ == "state":
                skip("state line", None, "")
            elif type_ == "compacted":
                skip("compaction summary", None, payload.get("message") or "")
            elif type_ == "event_msg" and payload.get("type") in ("user_message", "agent_message"):
                text = payload.get("message")
                if text is not None and not isinstance(text, str):
                    raise ValueError(f"'payload.message' must be a string, not {kind(text)}")
                role = "user" if payload["type"] == "user_message" else "assistant"
                found = message(role, text or "", None, stamp, record.message_line)
                if found is not None:
                    events.append((record, found))
            else:
                event = payload.get("type") if type_ == "event_msg" else None
                skip(f"'{str(event or type_)[:40]}' {'event' if event else 'line'}", None, "")
    if not messages:  # an older rollout with events only
        messages = [found for _, found in events]
    else:
        for record, found in events:
            report.skip(record.line, "event (repeats a message line)", found.role, found.content, source)
    if messages:
        yield Conversation(messages, metadata, source)


def _legacy(obj: Any) -> Any:
    """Rollouts written before the ``{"type", "payload"}`` envelope (spring 2025): a first line with the
    session's ``id``/``timestamp``/``instructions``, ``{"record_type": "state"}`` lines, and bare items."""
    if not isinstance(obj, dict) or "payload" in obj:
        return obj
    if obj.get("record_type") == "state":
        return {"type": "state", "payload": {}}
    if "type" not in obj and "id" in obj and "timestamp" in obj:
        return {"type": "session_meta", "timestamp": obj.get("timestamp"), "payload": obj}
    if isinstance(obj.get("type"), str) and "role" in obj or obj.get("type") in (
            "function_call", "function_call_output", "reasoning", "local_shell_call", "local_shell_call_output"):
        return {"type": "response_item", "timestamp": obj.get("timestamp"), "payload": obj}
    return obj


def _session_meta(metadata: dict[str, Any], payload: dict[str, Any], stamp: str | None) -> None:
    if isinstance(payload.get("id"), str):
        metadata.setdefault("session_id", payload["id"])
    started = timestamp(payload.get("timestamp")) if isinstance(payload.get("timestamp"), str) else stamp
    if started:
        metadata.setdefault("started_at", started)
    _cwd(metadata, payload.get("cwd"))
    git = payload.get("git")
    if isinstance(git, dict) and isinstance(git.get("branch"), str):
        metadata.setdefault("git_branch", git["branch"])


def _cwd(metadata: dict[str, Any], cwd: Any) -> None:
    if not isinstance(cwd, str) or not cwd:
        return
    if "cwd" not in metadata:
        metadata["cwd"] = cwd
    elif cwd != metadata["cwd"] and cwd not in metadata.get("cwds", []):
        metadata.setdefault("cwds", [metadata["cwd"]]).append(cwd)
