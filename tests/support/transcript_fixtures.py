"""The bundled transcript fixtures and the format each is written in (shared by the reader tests)."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "transcripts"
ALL_FIXTURES = {
    "messages.jsonl": "messages",
    "conversations.jsonl": "conversations",
    "langchain.jsonl": "langchain",
    "claude-code.jsonl": "claude-code",
    "claude-code-machine-made.jsonl": "claude-code",
    "chatgpt-conversations.json": "chatgpt",
    "chatgpt-attachments.json": "chatgpt",
    "claude-ai-conversations.json": "claude-ai",
    "codex-rollout.jsonl": "codex",
    "sharegpt.json": "sharegpt",
}
