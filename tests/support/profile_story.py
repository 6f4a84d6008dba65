"""One person over four conversations in three transcript formats (OpenAI messages, a ChatGPT
export, a Claude Code session), January to August 2024, for the profile-by-time tests: who she
is, where she lives and works, what she eats, her cat, how she likes answers; then a move, a diet
that ends, a new job. Written for these tests (not taken from any data set)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[2] / "fixtures" / "schemas" / "user_profile.json"


def _openai(path: Path, turns: list[tuple[str, str, str]]) -> Path:
    path.write_text("".join(json.dumps({"role": r, "content": c, "timestamp": t}) + "\n" for r, c, t in turns))
    return path


def _chatgpt(path: Path, title: str, turns: list[tuple[str, str, str]]) -> Path:
    mapping = {"root": {"id": "root", "message": None, "parent": None, "children": ["m0"]}}
    for n, (role, content, stamp) in enumerate(turns):
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        mapping[f"m{n}"] = {"id": f"m{n}", "parent": "root" if n == 0 else f"m{n - 1}",
                            "children": [f"m{n + 1}"] if n + 1 < len(turns) else [],
                            "message": {"id": f"m{n}", "author": {"role": role, "name": None, "metadata": {}},
                                        "create_time": when, "content": {"content_type": "text", "parts": [content]},
                                        "status": "finished_successfully", "weight": 1.0, "metadata": {}, "recipient": "all"}}
    first = datetime.fromisoformat(turns[0][2].replace("Z", "+00:00")).timestamp()
    conversation = {"title": title, "create_time": first, "update_time": first + 60, "id": title, "conversation_id": title,
                    "current_node": f"m{len(turns) - 1}", "mapping": mapping}
    path.write_text(json.dumps([conversation]))
    return path


def _claude_code(path: Path, turns: list[tuple[str, str, str]]) -> Path:
    lines, parent = [], None
    for n, (role, content, stamp) in enumerate(turns):
        uuid = f"00000000-0000-4000-8000-{n:012d}"
        message = {"role": role, "content": content if role == "user" else [{"type": "text", "text": content}]}
        if role == "assistant":
            message.update({"type": "message", "model": "claude", "id": f"msg_{n}"})
        lines.append({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/home/p/src/app",
                      "sessionId": "11111111-2222-4333-8444-555555555555", "version": "1.0.24", "type": role,
                      "message": message, "uuid": uuid, "timestamp": stamp})
        parent = uuid
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def story(folder: Path) -> list[Path]:
    """The four files in date order."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _openai(folder / "2024-01.jsonl", [
            ("user", "Hi, I'm Priya. I live in Berlin and work as a data engineer at a fintech called Kontora.", "2024-01-10T09:00:00Z"),
            ("assistant", "Nice to meet you, Priya. How can I help?", "2024-01-10T09:00:05Z"),
            ("user", "I'm vegetarian, and I'm allergic to peanuts. My cat Miso keeps walking over my keyboard.", "2024-01-10T09:01:00Z"),
            ("assistant", "Noted. Anything else?", "2024-01-10T09:01:05Z"),
            ("user", "I prefer short answers with bullet points.", "2024-01-10T09:02:00Z"),
        ]),
        _chatgpt(folder / "2024-03-export.json", "moving", [
            ("user", "We moved to Lisbon last month and the flat is still full of boxes.", "2024-03-05T18:00:00Z"),
            ("assistant", "Congratulations on the move! How are you settling in?", "2024-03-05T18:00:10Z"),
            ("user", "Slowly. The light here is wonderful though.", "2024-03-05T18:01:00Z"),
        ]),
        _claude_code(folder / "2024-06-session.jsonl", [
            ("user", "I'm not vegetarian anymore, I eat fish now, so the meal planner app needs a pescatarian filter.", "2024-06-12T08:30:00Z"),
            ("assistant", "I'll add a pescatarian option to the filter.", "2024-06-12T08:30:20Z"),
        ]),
        _openai(folder / "2024-08.jsonl", [
            ("user", "Big news: I left Kontora and now work as a freelance data consultant.", "2024-08-20T10:00:00Z"),
            ("assistant", "Congratulations! Want help with invoices?", "2024-08-20T10:00:05Z"),
        ]),
    ]


CURRENT = {"name": "Priya", "city": "Lisbon", "job": "a freelance data consultant", "pets": ["Miso"],
           "food_preferences": ["allergic to peanuts"], "answer_style": "short answers with bullet points"}
FEBRUARY = {"name": "Priya", "city": "Berlin", "job": "a data engineer at a fintech called Kontora", "pets": ["Miso"],
            "food_preferences": ["vegetarian", "allergic to peanuts"], "answer_style": "short answers with bullet points"}
