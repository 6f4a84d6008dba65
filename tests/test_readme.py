"""README examples reproduce on a fresh clone (issue 16 item 8): the ones whose output does not
depend on the embedding model are run here and compared line by line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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


def test_optimize_prompt_example(db_path, model_env):
    """The offline optimizer (no model, no scripted one; the real embedding model groups lessons said
    in other words): the diff and the verdict, exit 1 (would change). Run as the user runs it, in a
    process of its own (the on-device model is exported there on first use)."""
    commands, expected = example("langmem optimize-prompt fixtures/prompts/support.md")
    env = {**os.environ, "LANGMEM_DB": str(db_path), "LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2",
           "LANGMEM_CACHE_DIR": str(model_env), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")) if p)}

    def langmem(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "langmem_cli", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 1, result.stderr
        return result

    result = langmem(*commands[0].split()[1:])
    got = (result.stdout + result.stderr).splitlines()
    assert [line for line in got if not line.startswith("preparing the embedding model")] == expected
    evidence = re.search(r"```json\n(.*?)```", README[README.index(commands[0]):], re.S).group(1)
    shown = json.loads(evidence)
    args = [a for a in commands[0].split()[1:] if a != "--diff"]
    got = json.loads(langmem(*args, "--json").stdout)["prompts"][0]["instructions"]
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
