"""Profiles merged by time (issue 23 item 3): the same files in every order give the same current
profile, keep every field no later statement changed, and one profile as of any date.

    python bench/profile_orders.py                      # this checkout
    LANGMEM_CODE=/path/to/other/checkout python bench/profile_orders.py   # the reference

Two people, each over four conversations in three transcript formats (OpenAI messages, a ChatGPT
export, a Claude Code session). "priya" is the test story (tests/support/profile_story.py), the
one the rules were checked on; "tomas" is written with other phrasings and was not used to tune
the rules (its result is reported as measured). For each person, every order of the four files
(4! = 24) is extracted offline (the `local` extractor, `--profile`, fixtures/schemas/user_profile.json)
into a fresh SQLite store; the figures are the orders whose current profile is identical to the
date-order one, the fields it keeps against the expected profile, the dates whose `--as-of`
answer is exactly one profile, and whether any two versions' intervals overlap.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]
if os.environ.get("LANGMEM_CODE"):  # the same check on another checkout (e.g. main before this change), for reference
    sys.path.insert(0, os.environ["LANGMEM_CODE"])

def _story_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("profile_story", HERE.parent / "tests" / "support" / "profile_story.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_s = _story_module()
CURRENT, SCHEMA, _chatgpt, _claude_code, _openai, story = _s.CURRENT, _s.SCHEMA, _s._chatgpt, _s._claude_code, _s._openai, _s.story


def tomas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _chatgpt(folder / "2023-05-export.json", "hello", [
            ("user", "Call me Tomás. I'm from Valencia originally, but these days I live in Madrid.", "2023-05-02T20:00:00Z"),
            ("assistant", "Hola Tomás! What can I do for you?", "2023-05-02T20:00:08Z"),
            ("user", "I work as a nurse at a children's hospital, mostly nights. Our dog Pepa hates the rain.", "2023-05-02T20:01:00Z"),
            ("user", "I prefer detailed explanations with examples, please.", "2023-05-02T20:02:00Z"),
        ]),
        _openai(folder / "2023-09.jsonl", [
            ("user", "Quick one about recipes: I'm vegan since last month, so no dairy suggestions.", "2023-09-14T12:00:00Z"),
            ("assistant", "Understood, vegan recipes only.", "2023-09-14T12:00:06Z"),
        ]),
        _claude_code(folder / "2024-01-session.jsonl", [
            ("user", "Before the refactor: we moved to Seville over the holidays, so set the default timezone to Europe/Madrid.", "2024-01-08T09:15:00Z"),
            ("assistant", "Done: the default timezone is Europe/Madrid.", "2024-01-08T09:15:30Z"),
        ]),
        _openai(folder / "2024-04.jsonl", [
            ("user", "I'm not vegan anymore, the doctor wanted more protein. Also I now work as a paramedic.", "2024-04-21T07:40:00Z"),
            ("assistant", "Thanks for the update.", "2024-04-21T07:40:09Z"),
        ]),
    ]


TOMAS = {"name": "Tomás", "city": "Seville", "job": "a paramedic", "pets": ["Pepa"],
         "answer_style": "detailed explanations with examples, please"}
PEOPLE = {"priya": (story, CURRENT, ["2024-01-20", "2024-04-01", "2024-07-01", "2024-12-01"]),
          "tomas": (tomas, TOMAS, ["2023-06-01", "2023-10-01", "2024-02-01", "2024-05-01"])}


def langmem(db: Path, *args: object) -> str:
    """One langmem command, in this process (the CLI's own entry, as a user runs it)."""
    from typer.testing import CliRunner

    from langmem_cli.cli.app import app

    result = CliRunner().invoke(app, ["--db", str(db), *map(str, args)],
                                env={"LANGMEM_EMBEDDING_MODEL": "hash:64", "HF_HUB_OFFLINE": "1"})
    if result.exit_code != 0:
        raise SystemExit(f"langmem {' '.join(map(str, args))}: exit {result.exit_code}: {result.stderr}")
    return result.stdout


def run_order(db: Path, files: list[Path], dates: list[str]) -> dict:
    started = time.perf_counter()
    langmem(db, "extract", *files, "-n", "u/x", "--schema", SCHEMA, "--profile", "--json")
    seconds = time.perf_counter() - started
    [current] = json.loads(langmem(db, "show-profile", "-n", "u/x", "--json"))
    as_of = [len(json.loads(langmem(db, "show-profile", "-n", "u/x", "--as-of", d, "--json"))) for d in dates]
    rows = json.loads(langmem(db, "list", "-n", "u/x", "--include-expired", "--json", "--limit", "1000"))
    spans = sorted((r["valid_from"], r["valid_until"]) for r in rows if r["valid_until"] is None or r["valid_until"] > r["valid_from"])
    overlap = any(u is None or u > s for (_, u), (s, _) in zip(spans, spans[1:]))
    return {"current": current["content"], "as_of": as_of, "overlap": overlap, "seconds": seconds, "rows": len(rows)}


def main() -> None:
    load = os.getloadavg()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.machine()} · {os.cpu_count()} cores · "
          f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print("| person | orders | identical current profile | expected fields kept (worst order) | one profile as of each date | overlapping versions | rows (median) | s per order (median) |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for person, (make, expected, dates) in PEOPLE.items():
            files = make(Path(tmp) / person)
            results = [run_order(Path(tmp) / f"{person}-{n}.db", list(order), dates)
                       for n, order in enumerate(itertools.permutations(files))]
            reference = results[0]["current"]  # date order
            same = sum(1 for r in results if r["current"] == reference)
            kept = min(sum(1 for k, v in expected.items() if r["current"].get(k) == v) for r in results)
            single = sum(1 for r in results for n in r["as_of"] if n == 1)
            print(f"| {person} | {len(results)} | {same}/{len(results)} | {kept}/{len(expected)} | "
                  f"{single}/{sum(len(r['as_of']) for r in results)} | {sum(r['overlap'] for r in results)} | "
                  f"{statistics.median(r['rows'] for r in results):.0f} | {statistics.median(r['seconds'] for r in results):.2f} |")
            if reference != expected:
                print(f"|  | date-order profile: `{json.dumps(reference, ensure_ascii=False)}` |")


if __name__ == "__main__":
    main()
