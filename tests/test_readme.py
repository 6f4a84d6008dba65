"""README examples reproduce on a fresh clone (issue 16 item 8): the ones whose output does not
depend on the embedding model are run here and compared line by line."""

from __future__ import annotations

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


def test_optimize_prompt_example(cli, monkeypatch):
    commands, expected = example("export LANGMEM_FAKE_SCRIPT")
    monkeypatch.chdir(ROOT)
    script = commands[0].split("=", 1)[1].split()[0]
    args = commands[1].split()[1:]
    result = cli(*args, env={"LANGMEM_FAKE_SCRIPT": script})
    assert (result.stdout + result.stderr).splitlines() == expected


@pytest.mark.parametrize("first", ["langmem import fixtures/memories.jsonl"])
def test_import_example(cli, monkeypatch, first):
    commands, expected = example(first)
    monkeypatch.chdir(ROOT)
    got = []
    for command in commands[:2]:
        got += cli(*command.split()[1:], "--no-json").stdout.splitlines()
    assert got == expected[:2]
