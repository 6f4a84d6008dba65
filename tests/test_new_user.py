"""What a new user hit (issue 27): cron output, short ids, batches that go on, narrow terminals,
namespace slugs, readers for role + text lines, huge messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_grounding_runs import load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
CONVERSATIONS = FIXTURES / "conversations.jsonl"


# -- cron-friendly (27.6) ---------------------------------------------------------------------------

def test_quiet_and_verbose_also_after_the_command(cli):
    quiet = cli("extract", CONVERSATIONS, "-n", "demo/{user_id}", "-q")
    assert quiet.stderr == ""
    verbose = cli("list", "-v", "--json")
    assert json.loads(verbose.stdout)
    # after `--` nothing moves: it is content
    put = cli.json("put", "--", "-q")
    assert put["text"] == "-q"


def test_one_summary_line_per_run_when_stdout_is_not_a_terminal(cli):
    result = cli("extract", CONVERSATIONS, "-n", "demo/{user_id}")  # the test runner's stdout is no terminal
    [line] = result.stdout.splitlines()
    assert line.startswith("extract (local): 4 conversations, 5 inserted,") and line.endswith(" s")
    full = json.loads(cli("extract", CONVERSATIONS, "-n", "demo/{user_id}", "--json").stdout)
    assert full["summary"]["skipped"] == 4
    [line] = cli("consolidate", "--all").stdout.splitlines()
    assert line.startswith("consolidate (local): 2 namespaces,")


def test_a_warning_repeated_every_night_is_a_count_with_a_way_to_list_it(cli, tmp_path):
    load(cli, tmp_path, [("Alice likes green tea", "e1"), ("Alice does not like green tea", "e3"),
                         ("Bob plays the cello", "e4")])
    for _ in range(2):  # every night the same pair comes back until a model settles it
        result = cli("consolidate", "-n", "u/a", "--threshold", "0.3")
        assert "possible contradiction in" not in result.stderr
        assert "1 possible contradictions left for a run with --model (--show-contradictions lists them" in result.stderr
        assert len(result.stdout.splitlines()) == 1
    listed = cli("consolidate", "-n", "u/a", "--threshold", "0.3", "--show-contradictions").stderr
    assert "possible contradiction in u/a" in listed and "left for a run with --model" in listed
