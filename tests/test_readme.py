"""README examples reproduce on a fresh clone (issue 16 item 8): the ones whose output does not
depend on the embedding model are run here and compared line by line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def example(first_command: str) -> tuple[list[str], list[str]]:
    """The README console block holding ``$ first_command``: (commands, expected output lines) from it to
    the next blank line or the end of the block."""
    block = next(b for b in re.findall(r"```console\n(.*?)```", README, re.S) if f"$ {first_command}" in b)
    lines = block[block.index(f"$ {first_command}"):].split("\n\n")[0].splitlines()
    return [line[2:] for line in lines if line.startswith("$ ")], [line for line in lines if not line.startswith("$ ")]


def test_optimize_prompt_example(cli, monkeypatch, model_env):
    """The offline optimizer (no model, no scripted one; the real embedding model groups lessons said
    in other words): the diff and the verdict, exit 1 (would change)."""
    commands, expected = example("langmem optimize-prompt fixtures/prompts/support.md")
    monkeypatch.chdir(ROOT)
    env = {"LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "LANGMEM_CACHE_DIR": str(model_env)}
    cli.env.update(env)
    result = cli(*commands[0].split()[1:], code=1)
    got = (result.stdout + result.stderr).splitlines()
    assert [line for line in got if not line.startswith("preparing the embedding model")] == expected
    evidence = re.search(r"```json\n(.*?)```", README[README.index(commands[0]):], re.S).group(1)
    shown = json.loads(evidence)
    args = [a for a in commands[0].split()[1:] if a != "--diff"]
    got = cli.json(*args, "--json", code=1)["prompts"][0]["instructions"]
    assert shown in got


@pytest.mark.parametrize("first", ["langmem import fixtures/memories.jsonl"])
def test_import_example(cli, monkeypatch, first):
    commands, expected = example(first)
    monkeypatch.chdir(ROOT)
    got = []
    for command in commands[:2]:
        got += cli(*command.split()[1:], "--no-json").stdout.splitlines()
    assert got == expected[:2]


def _normalised(lines: list[str]) -> list[str]:
    """Ids differ on every run, and so may the seconds; the model's one-time preparation note is
    not part of the example."""
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    ids: dict[str, str] = {}
    out = []
    for line in lines:
        if line.startswith("preparing the embedding model"):
            continue
        line = uuid.sub(lambda m: ids.setdefault(m.group(0), f"<id{len(ids)}>"), line)
        out.append(re.sub(r"\d+\.\d s$", "<s> s", line))
    return out


def test_offline_consolidate_example(cli, model_env, tmp_path):
    """The consolidate example with the real embedding model, offline: same changes, same counts,
    the same ids in the same places."""
    import shlex

    commands, expected = example("export LANGMEM_DB=/tmp/consolidate-demo")
    next_commands, next_expected = example("langmem --no-json consolidate --all\nconsolidate (local): 2 namespaces, 4")
    env = {"LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2", "LANGMEM_CACHE_DIR": str(model_env)}
    got = []
    for command in commands[1:] + next_commands:
        args = shlex.split(command.replace(" >/dev/null", ""))[1:]
        result = cli(*args, env=env)
        if ">/dev/null" not in command:
            got += (result.stdout + result.stderr).splitlines()
    assert _normalised(got) == _normalised(expected + next_expected)
