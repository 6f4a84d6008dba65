"""The type checker checks every module (issue 28.4): no module is exempted in pyproject.toml,
`make test` runs ruff and mypy before the tests, and each `# type: ignore` left names its error
code and says why."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def exempted(config: dict) -> list[str]:
    """Modules a mypy override exempts from errors (ignore_errors) or from checking (follow_imports=skip)."""
    out: list[str] = []
    for override in config.get("overrides", []):
        if override.get("ignore_errors") or override.get("follow_imports") == "skip":
            modules = override.get("module", [])
            out += [modules] if isinstance(modules, str) else list(modules)
    return out


def unexplained_ignores(source: str) -> list[int]:
    """Lines with a `# type: ignore` that names no error code, or has no reason beside or above it."""
    lines = source.splitlines()
    bad = []
    for n, line in enumerate(lines):
        found = re.search(r"#\s*type:\s*ignore(\[[\w\-, ]+\])?(.*)$", line)
        if not found:
            continue
        reason_after = bool(found.group(2).strip(" #"))
        reason_above = n > 0 and lines[n - 1].strip().startswith("#")
        if not found.group(1) or not (reason_after or reason_above):
            bad.append(n + 1)
    return bad


def test_mypy_checks_every_module():
    config = mypy_config()
    assert config["packages"] == ["langmem_cli"]
    assert config.get("check_untyped_defs") is True
    assert config.get("ignore_errors") is not True
    assert exempted(config) == []


def test_make_test_runs_ruff_and_mypy_before_the_tests():
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    steps = [line.strip() for line in recipe.splitlines()[1:]]
    assert steps[0] == "$(BIN)/ruff check ."
    assert steps[1] == "$(BIN)/mypy"
    assert "pytest" in steps[2]


def test_every_type_ignore_says_which_error_and_why():
    bad = {str(p.relative_to(ROOT)): lines for p in sorted((ROOT / "langmem_cli").rglob("*.py"))
           if (lines := unexplained_ignores(p.read_text()))}
    assert bad == {}


def test_the_checks_see_what_they_look_for():
    assert exempted({"overrides": [{"module": ["a.b", "c"], "ignore_errors": True}]}) == ["a.b", "c"]
    assert exempted({"overrides": [{"module": "a", "follow_imports": "skip"}]}) == ["a"]
    assert exempted({"overrides": [{"module": "a", "disallow_untyped_defs": True}]}) == []
    assert unexplained_ignores("x = 1  # type: ignore\n") == [1]
    assert unexplained_ignores("x = 1  # type: ignore[attr-defined]\n") == [1]
    assert unexplained_ignores("# the stub lacks it\nx = 1  # type: ignore[attr-defined]\n") == []
    assert unexplained_ignores("x = 1  # type: ignore[attr-defined]  # the stub lacks it\n") == []


def test_the_langmem_command_is_installed():
    """`pip install .` gives the `langmem` command (the README, the demo and cron use it): the entry
    point is declared and in the installed metadata."""
    from importlib.metadata import entry_points

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts.get("langmem") == "langmem_cli.cli.app:main"
    assert [e.value for e in entry_points(group="console_scripts", name="langmem")] == ["langmem_cli.cli.app:main"]
